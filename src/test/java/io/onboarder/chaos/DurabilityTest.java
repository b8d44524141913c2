package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Restarts on the same database, and a Cyclr that fails in several ways at once. */
@ExtendWith(VertxExtension.class)
class DurabilityTest {

  @Test
  void restartedServiceOnTheSameDatabaseFinishesAHalfDoneJob(Vertx emulatorVertx, @TempDir Path dir) {
    TestService s = TestService.start(emulatorVertx, Vertx.vertx(), dir, e -> e.setLatencyMs(10), c -> { });
    String id = s.submit(TestService.apiKeyJob("half", 300));
    s.poll(() -> s.job(id).getJsonObject("counts").getLong("INSTALLED"), n -> n >= 40, Duration.ofSeconds(30),
        "some installs");
    Vertx next = Vertx.vertx();
    try (TestService restarted = s.crashAndRestart(next)) {
      JsonObject done = restarted.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED")).isEqualTo(300);
      assertThat(restarted.cyclr.stats().installs()).isEqualTo(300);
      assertThat(restarted.cyclr.stats().duplicateInstalls()).isZero();
    } finally {
      TestService.await(next.close());
    }
  }

  @Test
  void tenPercent503sAndThreePercentLostInstallResponsesStillInstallEachAccountOnce(Vertx vertx,
                                                                                   @TempDir Path dir) {
    int n = 400;
    try (TestService s = TestService.start(vertx, dir, e -> e.setFailureRate(0.10).setDropInstallRate(0.03),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 8))) {
      String id = s.submit(TestService.apiKeyJob("mix", n));
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(90));
      assertThat(done.getString("status")).as(s.items(id, "FAILED").toString()).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().installs()).isEqualTo(n);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      assertThat(s.cyclr.stats().dropsInjected()).isPositive();
      assertThat(s.cyclr.stats().maxInFlight()).isLessThanOrEqualTo(8);
      // Calls per item stay bounded: one list and one install, plus retries of the ~10 % that failed.
      long installPosts = s.cyclr.stats().requests("POST /v1.0/connectors/{id}/install");
      long lists = s.cyclr.stats().requests("GET /v1.0/account/connectors");
      assertThat((double) installPosts / n).isLessThan(1.3);
      assertThat((double) (installPosts + lists) / n).isLessThan(2.8);
    }
  }
}
