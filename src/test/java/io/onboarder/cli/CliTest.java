package io.onboarder.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Main;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line end to end, against the service and the Cyclr emulator in this JVM: what a
 * customer-success engineer sees (progress lines when the output is not a terminal, one clear line
 * for an error), the exit codes, and the report file.
 */
class CliTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static Path tokenFile;

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    s = TestService.start(vertx, Files.createDirectories(dir.resolve("svc")), e -> e.setLatencyMs(2), c -> { });
    tokenFile = Files.writeString(dir.resolve("token"), TestService.TOKEN + "\n");
  }

  @AfterAll
  static void stop() {
    if (s != null) {
      s.close();
    }
    TestService.await(vertx.close());
  }

  @AfterEach
  void restoreEnv() {
    ServerOptions.env = System::getenv;
  }

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** The usual connection arguments (and fast polling, for the test). */
  static String[] with(String... args) {
    String[] common = {"--server", s.base(), "--token-file", tokenFile.toString(), "--poll-ms", "50",
        "--progress-every", "0.2"};
    String[] all = new String[args.length + common.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(common, 0, all, args.length, common.length);
    return all;
  }

  static Path csv(String name, String prefix, int n, String extraRow) throws IOException {
    StringBuilder b = new StringBuilder("account,authValue,prop:Region\n");
    for (int i = 1; i <= n; i++) {
      b.append(prefix).append('-').append(i).append(",key-").append(i).append(",eu\n");
    }
    if (extraRow != null) {
      b.append(extraRow).append('\n');
    }
    return Files.writeString(dir.resolve(name), b.toString());
  }

  @Test
  void submitWaitShowsProgressLinesThenTheSummaryWritesTheReportAndExits0() throws IOException {
    Path file = csv("tenants.csv", "cli", 300, null);
    Path report = dir.resolve("tenants.report.csv");
    Run run = cli(with("submit", file.toString(), "--connector-id", "1", "--install-name", "CLI install", "--wait",
        "--report", report.toString()));

    assertThat(run.exit()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).startsWith("accepted: job ").contains("(300 items)");
    String id = lines.get(0).split(" ")[2];
    // Not a terminal: plain, timestamped progress lines, no carriage returns or bar.
    assertThat(run.out()).doesNotContain("\r").doesNotContain("[#");
    assertThat(lines).anySatisfy(l -> assertThat(l).matches("\\d\\d:\\d\\d:\\d\\d (PENDING|RUNNING) +\\d+/300 .*"));
    assertThat(lines).anySatisfy(l -> assertThat(l).matches("\\d\\d:\\d\\d:\\d\\d SUCCEEDED +300/300 .*"));
    assertThat(lines).contains("SUCCEEDED  300/300  INSTALLED 300", "report: " + report + " (300 items)");

    List<String> rows = Files.readAllLines(report);
    assertThat(rows).hasSize(301);
    List<JsonObject> api = s.items(id, null);
    for (int i = 0; i < api.size(); i++) {
      assertThat(rows.get(i + 1)).startsWith(api.get(i).getString("id") + "," + api.get(i).getString("account")
          + ",1,,INSTALLED,1," + api.get(i).getLong("accountConnectorId") + ",");
    }
    assertThat(s.cyclr.accountConnectors("cli-1").get(0).getString("Name")).isEqualTo("CLI install");
    assertThat(cli(with("status", id)).out()).startsWith(id + "  SUCCEEDED  300/300");
  }

  @Test
  void aJobWithFailuresExits1AndTheFailedItemsCanBeReported() throws IOException {
    Path file = csv("with-failures.ndjson", "nd", 0, null);
    Files.writeString(file, "{\"connector\": {\"id\": 1}}\n{\"account\": \"nd-ok\", \"authValue\": \"k\"}\n"
        + "{\"account\": \"nd-draft\", \"connector\": {\"id\": 5}}\n");
    Run run = cli(with("submit", file.toString(), "--wait", "--report", dir.resolve("f.csv").toString()));
    assertThat(run.exit()).as(run.toString()).isEqualTo(1);
    assertThat(run.out()).contains("COMPLETED_WITH_ERRORS  2/2  INSTALLED 1, FAILED 1");
    String id = run.out().lines().findFirst().orElseThrow().split(" ")[2];

    Path failed = dir.resolve("failed.csv");
    Run report = cli(with("report", id, "--status", "FAILED", "-o", failed.toString()));
    assertThat(report.exit()).as(report.toString()).isZero();
    assertThat(Files.readAllLines(failed)).hasSize(2).last().asString().contains("nd-draft")
        .contains("CONNECTOR_NOT_INSTALLABLE");
    Run ndjson = cli(with("report", id, "--format", "ndjson"));
    assertThat(ndjson.out().lines().map(JsonObject::new).map(j -> j.getString("account")))
        .containsExactly("nd-ok", "nd-draft");
    assertThat(cli(with("status", id)).exit()).isEqualTo(1);
  }

  @Test
  void aBadRowIsOneClearLineWithItsLineNumberAndExit2() throws IOException {
    Path file = csv("bad.csv", "bad", 50, "bad-51,\"unterminated");
    Run run = cli(with("submit", file.toString(), "--connector-id", "1"));
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err().lines().toList()).singleElement().asString().startsWith("error: HTTP 400 ")
        .contains("line 52");
  }

  @Test
  void usageAndConnectionErrorsExit2WithOneLine() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path file = csv("any.csv", "any", 1, null);
    Run refused = cli("submit", file.toString(), "--server", "http://127.0.0.1:" + closedPort);
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err().lines().toList()).singleElement().asString().startsWith("error: cannot connect to");

    Run missing = cli(with("submit", dir.resolve("nope.csv").toString()));
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("is not a readable file");

    Run noToken = cli("status", "some-job", "--server", s.base());
    assertThat(noToken.exit()).isEqualTo(2);
    assertThat(noToken.err()).contains("HTTP 401").contains("CYCLR_ONBOARDER_TOKEN");

    Run unknownFormat = cli(with("submit", tokenFile.toString()));
    assertThat(unknownFormat.exit()).isEqualTo(2);
    assertThat(unknownFormat.err()).contains("--format");

    assertThat(cli(with("status", "does-not-exist")).exit()).isEqualTo(2);
    assertThat(cli("submit", "--no-such-option").exit()).isEqualTo(2);
  }

  @Test
  void theTokenComesFromTheEnvironmentAndAKeyMakesSubmitIdempotent() throws IOException {
    ServerOptions.env = Map.of("CYCLR_ONBOARDER_TOKEN", TestService.TOKEN, "CYCLR_ONBOARDER_URL", s.base())::get;
    Path file = csv("env.csv", "env", 3, null);
    Run first = cli("submit", file.toString(), "--connector-id", "1", "--dry-run", "--idempotency-key", "cli-key-1");
    Run again = cli("submit", file.toString(), "--connector-id", "1", "--dry-run", "--idempotency-key", "cli-key-1");
    assertThat(first.exit()).as(first.toString()).isZero();
    assertThat(again.exit()).isZero();
    assertThat(first.out()).startsWith("accepted: job ");
    String id = first.out().split(" ")[2];
    assertThat(again.out()).startsWith("already submitted with this idempotency key: job " + id);
  }

  @Test
  void cancelThenStatusWaitExits1() throws IOException {
    s.cyclr.options().setLatencyMs(200);
    try {
      Path file = csv("slow.csv", "slow", 200, null);
      Run submit = cli(with("submit", file.toString(), "--connector-id", "1"));
      String id = submit.out().split(" ")[2];
      Run cancel = cli(with("cancel", id));
      assertThat(cancel.exit()).as(cancel.toString()).isZero();
      assertThat(cancel.out()).startsWith("cancel requested: " + id);
      Run status = cli(with("status", id, "--wait"));
      assertThat(status.exit()).as(status.toString()).isEqualTo(1);
      assertThat(status.out().lines().reduce((a, b) -> b).orElseThrow()).startsWith(id + "  CANCELLED");
      assertThat(cli(with("retry", id)).exit()).as("a cancelled job is not retried").isEqualTo(2);
    } finally {
      s.cyclr.options().setLatencyMs(2);
    }
  }
  /** Connection arguments with another token file. */
  static String[] withToken(Path token, String... args) {
    String[] all = with(args);
    all[args.length + 3] = token.toString();
    return all;
  }

  @Test
  void aTokenFileWithAByteOrderMarkAndCrLfWorksWhileASecondLineOrAStrayCharacterIsAUsageError()
      throws IOException {
    String id = s.submit(TestService.apiKeyJob("cli-bom", 1));
    s.awaitJob(id);
    Path bom = Files.write(dir.resolve("token-bom"), ("\uFEFF" + TestService.TOKEN + "\r\n")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Run ok = cli(withToken(bom, "status", id));
    assertThat(ok.exit()).as(ok.toString()).isZero();
    assertThat(ok.out()).startsWith(id + "  SUCCEEDED");

    Path twoLines = Files.writeString(dir.resolve("token-two"), TestService.TOKEN + "\nsecond-line-secret\n");
    Path stray = Files.writeString(dir.resolve("token-stray"), "tok\u00e9n-secret");
    for (Path bad : List.of(twoLines, stray)) {
      Run run = cli(withToken(bad, "status", id));
      assertThat(run.exit()).as(run.toString()).isEqualTo(2);
      assertThat(run.err().lines().toList()).singleElement().asString().startsWith("error: --token-file " + bad)
          .contains("it must hold the token alone").doesNotContain("secret");
    }
    ServerOptions.env = Map.of("CYCLR_ONBOARDER_TOKEN", TestService.TOKEN + "\nx", "CYCLR_ONBOARDER_URL", s.base())::get;
    Run env = cli("status", id);
    assertThat(env.exit()).isEqualTo(2);
    assertThat(env.err().lines().toList()).singleElement().asString().contains("$CYCLR_ONBOARDER_TOKEN");
  }

  @Test
  void reportToASymbolicLinkWritesThroughItAndToAPipeWritesIntoIt() throws Exception {
    String id = s.submit(TestService.apiKeyJob("cli-link", 2));
    s.awaitJob(id);
    Path real = dir.resolve("real-report.csv");
    Path link = Files.createSymbolicLink(dir.resolve("report-link.csv"), real);
    Run run = cli(with("report", id, "-o", link.toString()));
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(Files.isSymbolicLink(link)).as("the link is still a link").isTrue();
    assertThat(Files.readAllLines(real)).hasSize(3);

    // A named pipe behind a link stands in for /dev/stdout: written into, not replaced.
    Path fifo = dir.resolve("report.fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Path toFifo = Files.createSymbolicLink(dir.resolve("fifo-link.csv"), fifo);
    java.util.concurrent.CompletableFuture<List<String>> read = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return Files.readAllLines(fifo);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    Run piped = cli(with("report", id, "-o", toFifo.toString()));
    assertThat(piped.exit()).as(piped.toString()).isZero();
    assertThat(read.get(30, java.util.concurrent.TimeUnit.SECONDS)).hasSize(3).first().asString()
        .startsWith("itemId,account");
    assertThat(Files.isSymbolicLink(toFifo)).isTrue();
    assertThat(Files.isRegularFile(fifo)).as("the pipe is still a pipe").isFalse();
  }

  @Test
  void historyPrintsAnAccountsEntriesOldestFirstAsTextOrNdjson() {
    String id = s.submit(TestService.apiKeyJob("cli-hist", 1));
    s.awaitJob(id);
    Run text = cli(with("history", "cli-hist-0001"));
    assertThat(text.exit()).as(text.toString()).isZero();
    assertThat(text.out().lines().toList()).singleElement().asString().contains("  connector.installed  ")
        .contains("  job " + id + "  ").contains("\"signInNeeded\":false").doesNotContain("secret-key");
    Run json = cli(with("history", "cli-hist-0001", "--json"));
    assertThat(new io.vertx.core.json.JsonObject(json.out().strip()).getString("kind"))
        .isEqualTo("connector.installed");
    Run none = cli(with("history", "nobody-here"));
    assertThat(none.exit()).isZero();
    assertThat(none.out()).startsWith("no history for account nobody-here");
    assertThat(cli(with("history")).exit()).as("ACCOUNT is required").isEqualTo(2);
  }
}
