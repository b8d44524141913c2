package io.onboarder.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.store.SchemaTemplates;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped mid-job: the service stays up, answers not-ready while the database is gone,
 * keeps what it learned from Cyclr, and finishes the job by itself once the database is back, with
 * no account installed twice.
 */
@ExtendWith(VertxExtension.class)
class StoreOutageTest {

  @Test
  void postgresStoppedMidJobLeavesTheNodeUpNotReadyAndTheJobCompletesWithoutDuplicates(Vertx vertx,
                                                                                   @TempDir Path dir) {
    String url = SchemaTemplates.postgresDatabaseUrl();
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(40), c -> {
      ConfigLoader.put(c, "store.url", url);
      ConfigLoader.put(c, "store.secretKey", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
      ConfigLoader.put(c, "jobs.leaseMs", 3000);
    })) {
      int n = 600;
      String id = s.submit(TestService.apiKeyJob("outage", n));
      s.poll(() -> s.job(id), j -> j.getJsonObject("counts").getLong("INSTALLED") >= 100, Duration.ofSeconds(30),
          "progress");
      Postgres.stop();
      try {
        s.poll(() -> s.get("/health/ready").statusCode(), code -> code == 503, Duration.ofSeconds(10),
            "readiness to go down");
        assertThat(s.get("/health/live").statusCode()).isEqualTo(200);
        // While the store is gone a submission is refused clearly, not lost.
        assertThat(s.post("/v1/jobs", TestService.apiKeyJob("refused", 1)).statusCode()).isEqualTo(503);
        // Until every lease this node held has lapsed (no renewal for a whole lease), so others could take over.
        s.poll(() -> s.app.node().leasesLapsed(), lapsed -> lapsed, Duration.ofSeconds(10), "the leases to lapse");
      } finally {
        Postgres.start();
      }
      s.poll(() -> s.get("/health/ready").statusCode(), code -> code == 200, Duration.ofSeconds(20),
          "readiness to come back");
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(120));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED")).isEqualTo(n);
      assertThat(s.cyclr.stats().installs()).isEqualTo(n);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }
}
