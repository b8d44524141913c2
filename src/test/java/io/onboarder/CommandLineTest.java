package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line and what an operator sees: config errors and the demo (metrics: MetricsDocsTest). */
@ExtendWith(VertxExtension.class)
class CommandLineTest {

  private static int run(ByteArrayOutputStream err, String... args) {
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new CommandLine(new Main()).execute(args);
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void aMissingConfigFileGivenExplicitlyStopsWithExitCode2(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, "serve", "--config", dir.resolve("nope.json").toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--config").contains("nope.json");
  }

  @Test
  void aMissingSettingStopsWithOneLineNamingTheEnvVarAndExitCode2(@TempDir Path dir) throws Exception {
    // The build's environment has no CYCLR_* or API_TOKENS: start-up must name the first missing one.
    java.nio.file.Files.writeString(dir.resolve("c.json"), "{\"cyclr\": {\"apiUrl\": \"https://api.cyclr.com\"}}");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(err, "serve", "--config", dir.resolve("c.json").toString());
    String out = err.toString(StandardCharsets.UTF_8).trim();
    assertThat(code).isEqualTo(2);
    assertThat(out.lines()).hasSize(1);
    assertThat(out).startsWith("invalid configuration: ").containsPattern("\\([A-Z_]+\\)");
  }

  @Test
  void clusterModeWithoutPostgresStopsWithOneLineAndExitCode2(@TempDir Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("c.json"), new JsonObject()
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
            .put("clientSecret", "s"))
        .put("api", new JsonObject().put("tokens", "t"))
        .put("cluster", new JsonObject().put("members", "127.0.0.1:5701"))
        .put("store", new JsonObject().put("url", "sqlite:" + dir.resolve("x.db"))).encode());
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(err, "serve", "--config", dir.resolve("c.json").toString());
    String out = err.toString(StandardCharsets.UTF_8).trim();
    assertThat(code).isEqualTo(2);
    assertThat(out.lines()).hasSize(1);
    assertThat(out).contains("STORE_URL").contains("cluster mode");
  }

  @Test
  void demoRunsToSuccess() {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new Main()).execute("demo", "--accounts", "12", "--latency-ms", "2");
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isZero();
    assertThat(text).contains("Demo OK.").containsPattern("tenant-001  http://127\\.0\\.0\\.1:\\d+/connect/")
        .contains("tenant-002  AUTHENTICATED").contains("0 new installs").doesNotContain("demo-api-key-")
        .contains("item REAUTH_REQUIRED (webhook item.deauthenticated)").contains("the old link          -> 410")
        .doesNotContain("demo-password-")
        .contains("tenant-003  ACTIVE").contains("SETUP_REQUIRED  prerequisite 40")
        .contains("0 duplicate cycles").contains("0 new cycles, 0 new activations")
        // Fleets: planned, applied in three steps, then drift behind the service's back found and repaired.
        .contains("POST /v1/fleets/acme-sync/plan (reads Cyclr, changes nothing): INSTALL 10")
        .containsPattern("step 3  job \\S+  SUCCEEDED").contains("acme-sync CONVERGED, tenants: ACTIVE 10")
        .contains("POST /v1/fleets/acme-sync/plan: NONE 10")
        .containsPattern("fleet\\.drifted   acme-sync \\{.*CONNECTOR_MISSING")
        .containsPattern("fleet\\.drifted   acme-sync \\{.*CYCLE_INACTIVE")
        .contains("fleet.drifted   acme-crm  {\"DEAUTHENTICATED\":1}")
        .contains("sync-03 installed again (1 install), sync-07's cycle Active")
        .contains("crm-01 has a fresh sign-in link (WAITING_SIGN_IN)");
    // Its progress lines, drawn from the job's event stream, count every item once: "RUNNING 3/12  RUNNING 21,
    // INSTALLED 3" was a job event whose counts already held the items whose RUNNING events followed it.
    Matcher line = Pattern.compile("(?m)^  [A-Z_]+ +\\d+/(\\d+)  ([A-Z_]+ \\d+(?:, [A-Z_]+ \\d+)*)").matcher(text);
    int lines = 0;
    while (line.find()) {
      lines++;
      int shown = Pattern.compile("\\d+").matcher(line.group(2)).results().mapToInt(m -> Integer.parseInt(m.group()))
          .sum();
      assertThat(shown).as("the counts of \"%s\"", line.group()).isEqualTo(Integer.parseInt(line.group(1)));
    }
    assertThat(lines).as("progress lines").isGreaterThan(3);
  }
}
