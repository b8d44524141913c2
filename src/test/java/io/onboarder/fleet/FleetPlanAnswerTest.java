package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static io.onboarder.fleet.FleetClient.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Main;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A plan that outlives half the HTTP idle timeout is answered 202 (OPEN, with its Location) and goes on reading
 * Cyclr, so a big fleet's plan never sits on a silent connection until the server closes it; GET of the plan
 * then shows it READY with its whole summary. A quick plan is answered 200 as before.
 */
class FleetPlanAnswerTest {

  @Test
  void aPlanStillReadingCyclrIsAnswered202AndReadOnUntilReady(@TempDir Path dir) throws IOException {
    Vertx vertx = Vertx.vertx();
    // Every Cyclr answer takes 600 ms: reading 12 tenants (two or three reads each) takes well over the 1 s
    // answer bound (half of http.idleTimeoutMs).
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(600),
        c -> ConfigLoader.put(c, "http.idleTimeoutMs", 2_000))) {
      FleetClient api = new FleetClient(s, TestService.TOKEN);
      json(api.put("slow", FleetClient.fleet("slow-", 12)), 201);

      HttpResponse<Buffer> answered = api.post("/v1/fleets/slow/plan", null);
      JsonObject open = json(answered, 202);
      assertThat(open.getString("status")).isEqualTo("OPEN");
      String planId = open.getString("planId");
      assertThat(answered.getHeader("Location")).isEqualTo("/v1/fleets/slow/plans/" + planId);

      JsonObject ready = s.poll(() -> json(api.get("/v1/fleets/slow/plans/" + planId), 200),
          p -> "READY".equals(p.getString("status")), Duration.ofSeconds(60), "the plan READY");
      assertThat(ready.getJsonObject("summary").getLong("INSTALL")).isEqualTo(12);
      assertThat(ready.getLong("generation")).isEqualTo(1);
      problem(api.get("/v1/fleets/slow/plans/no-such-plan"), 404);

      // The command line follows an OPEN plan to its end.
      Path file = Files.writeString(dir.resolve("slow.json"), FleetClient.fleet("slow-", 12).encode());
      Path tokenFile = Files.writeString(dir.resolve("token"), TestService.TOKEN);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cl = new CommandLine(new Main());
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      int exit = cl.execute("fleet", "plan", file.toString(), "--name", "slow", "--server", s.base(), "--token-file",
          tokenFile.toString(), "--poll-ms", "50");
      assertThat(exit).as(err.toString()).isEqualTo(4); // changes pending
      assertThat(err.toString()).contains("planning slow: reading each tenant's live state at Cyclr");
      assertThat(out.toString()).contains("install 12", "+ install slow-0 (");

      // Without the latency the plan fits in the bound: 200 and READY at once.
      s.cyclr.options().setLatencyMs(0);
      JsonObject quick = json(api.post("/v1/fleets/slow/plan", null), 200);
      assertThat(quick.getString("status")).isEqualTo("READY");
      assertThat(quick.getJsonObject("summary").getLong("INSTALL")).isEqualTo(12);
    } finally {
      TestService.await(vertx.close());
    }
  }
}
