package io.onboarder.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Main;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fleet plan|apply|status|tenants} (docs/cli.md): the plan's lines and exit codes (0 no changes,
 * 4 changes), apply refusing without a terminal or --yes (2), then applying and following the steps.
 */
class FleetCliTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static Path tokenFile;

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    s = TestService.start(vertx, Files.createDirectories(dir.resolve("svc")), e -> { }, c -> { });
    tokenFile = Files.writeString(dir.resolve("token"), TestService.TOKEN + "\n");
  }

  @AfterAll
  static void stop() {
    s.close();
    TestService.await(vertx.close());
  }

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String[] common = {"--server", s.base(), "--token-file", tokenFile.toString(), "--poll-ms", "50"};
    String[] all = new String[args.length + common.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(common, 0, all, args.length, common.length);
    return new Run(cl.execute(all), out.toString(), err.toString());
  }

  @Test
  void planShowsTheChangesApplyNeedsYesWithoutATerminalAndFollowsTheSteps() throws IOException {
    StringBuilder ndjson = new StringBuilder("{\"connector\":{\"id\":1},\"createAccounts\":true,"
        + "\"policy\":{\"rollout\":{\"pauseSeconds\":0}}}\n");
    for (int i = 1; i <= 12; i++) {
      ndjson.append("{\"account\":\"t-").append(i).append("\",\"authValue\":\"k").append(i).append("\"}\n");
    }
    Path file = Files.writeString(dir.resolve("fleet.ndjson"), ndjson);

    Run plan = cli("fleet", "plan", file.toString(), "--name", "cli");
    assertThat(plan.exit()).as(plan.err()).isEqualTo(FleetCommands.CHANGES);
    assertThat(plan.out()).contains("fleet cli (generation 1, 12 tenants)", "install 12",
        "+ install t-1 (account missing at Cyclr: created, then installed)\n", "+ install t-12 (");
    assertThat(s.cyclr.accountConnectors("t-1")).as("a plan changes nothing").isEmpty();

    Run refused = cli("fleet", "apply", file.toString(), "--name", "cli");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("--yes");

    Run applied = cli("fleet", "apply", file.toString(), "--name", "cli", "--yes", "--wait");
    assertThat(applied.exit()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("applying plan", "CONVERGED");
    assertThat(s.cyclr.accountConnectors("t-12")).hasSize(1);

    Run again = cli("fleet", "plan", file.toString(), "--name", "cli");
    assertThat(again.exit()).as("nothing left to change").isZero();
    Run status = cli("fleet", "status", "cli");
    assertThat(status.out()).startsWith("cli  CONVERGED  generation 1 (applied 1)");
    Run tenants = cli("fleet", "tenants", "cli", "--state", "CONNECTED");
    assertThat(tenants.out().lines()).hasSize(12).allSatisfy(l -> assertThat(l).contains("CONNECTED"));
    assertThat(cli("fleet", "status", "Not_A_Name").exit()).isEqualTo(2);

    // t-3's key is refused at the third party: the plan says why it is left as it is; a new key is a change.
    s.cyclr.refuseCredentials(s.cyclr.accountConnectors("t-3").get(0).getInteger("Id"));
    Run refusedKey = cli("fleet", "plan", file.toString(), "--name", "cli");
    assertThat(refusedKey.exit()).as("nothing a job could change").isZero();
    assertThat(refusedKey.out()).contains("! drifted t-3 (credentials refused: supply a new authValue)\n");
    Path rotated = Files.writeString(dir.resolve("rotated.ndjson"), ndjson.toString()
        .replace("\"authValue\":\"k3\"", "\"authValue\":\"k3-new\""));
    Run newKey = cli("fleet", "plan", rotated.toString(), "--name", "cli");
    assertThat(newKey.exit()).isEqualTo(FleetCommands.CHANGES);
    assertThat(newKey.out()).contains("+ reinstall t-3 (new credentials)\n").doesNotContain("! drifted");

    // Prune on, t-11 and t-12 leave: 2 of 12 (17 %) is over maxPrunePercent (5 %) and needs --confirm-prune 2.
    String pruning = ndjson.toString().replace("\"pauseSeconds\":0}", "\"pauseSeconds\":0},\"prune\":true")
        .replace("{\"account\":\"t-11\",\"authValue\":\"k11\"}\n", "")
        .replace("{\"account\":\"t-12\",\"authValue\":\"k12\"}\n", "");
    Files.writeString(file, pruning);
    Run prunePlan = cli("fleet", "plan", file.toString(), "--name", "cli");
    assertThat(prunePlan.exit()).as(prunePlan.err()).isEqualTo(FleetCommands.CHANGES);
    assertThat(prunePlan.out()).contains("uninstall 2", "- uninstall t-11 (not in the spec: prune removes what "
        + "this fleet installed)\n", "- uninstall t-12 (");
    Run unconfirmed = cli("fleet", "apply", file.toString(), "--name", "cli", "--yes");
    assertThat(unconfirmed.exit()).isEqualTo(2);
    assertThat(unconfirmed.err()).contains("uninstall 2 of the 12 tenants", "--confirm-prune 2");
    assertThat(s.cyclr.accountConnectors("t-11")).hasSize(1);
    Run pruned = cli("fleet", "apply", file.toString(), "--name", "cli", "--yes", "--wait", "--confirm-prune", "2");
    assertThat(pruned.exit()).as(pruned.err()).isZero();
    assertThat(pruned.out()).contains("CONVERGED");
    assertThat(s.cyclr.accountConnectors("t-11")).isEmpty();
    assertThat(s.cyclr.accountConnectors("t-10")).hasSize(1);
  }
}
