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
  void drainTurnsReadinessDownFirstClaimsNothingNewAndARestartFinishes(Vertx emulatorVertx, @TempDir Path dir) {
    TestService s = TestService.start(emulatorVertx, Vertx.vertx(), dir, e -> e.setLatencyMs(400),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 2));
    String id = s.submit(TestService.apiKeyJob("drain", 40));
    s.poll(() -> s.cyclr.stats().inFlight(), n -> n > 0, Duration.ofSeconds(10), "requests at Cyclr");
    io.vertx.core.Future<Void> drained = s.app.drain(10_000);
    s.poll(() -> s.get("/health/ready").statusCode(), code -> code == 503, Duration.ofSeconds(5),
        "readiness DOWN");
    assertThat(drained.isComplete()).as("readiness went down before the drain finished").isFalse();
    TestService.await(drained);
    assertThat(s.get("/health/ready").statusCode()).isEqualTo(503);
    JsonObject counts = s.job(id).getJsonObject("counts");
    long requestsAfterDrain = s.cyclr.stats().requests();
    assertThat(counts.getLong("PENDING")).as("most items never claimed").isGreaterThan(20);
    s.cyclr.options().setLatencyMs(5);
    Vertx next = Vertx.vertx();
    try (TestService restarted = s.crashAndRestart(next)) {
      assertThat(requestsAfterDrain).isLessThan(40L * 2);
      JsonObject done = restarted.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(restarted.cyclr.stats().installs()).isEqualTo(40);
      assertThat(restarted.cyclr.stats().duplicateInstalls()).isZero();
    } finally {
      TestService.await(next.close());
    }
  }

  @Test
  void aCancelSurvivesARestart(Vertx emulatorVertx, @TempDir Path dir) {
    TestService s = TestService.start(emulatorVertx, Vertx.vertx(), dir, e -> e.setLatencyMs(30),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 2));
    String id = s.submit(TestService.apiKeyJob("cx", 100));
    s.poll(() -> s.job(id).getJsonObject("counts").getLong("INSTALLED"), n -> n >= 2, Duration.ofSeconds(30),
        "some installs");
    assertThat(s.post("/v1/jobs/" + id + "/cancel", null).statusCode()).isEqualTo(200);
    Vertx next = Vertx.vertx();
    try (TestService restarted = s.crashAndRestart(next)) {
      JsonObject done = restarted.awaitJob(id, Duration.ofSeconds(30));
      assertThat(done.getString("status")).isEqualTo("CANCELLED");
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("CANCELLED")).isGreaterThan(50);
      assertThat(restarted.cyclr.stats().installs())
          .isEqualTo(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED"));
      assertThat(restarted.cyclr.stats().duplicateInstalls()).isZero();
    } finally {
      TestService.await(next.close());
    }
  }

  @Test
  void aChangedSecretKeyFailsTheAffectedItemsClearlyInsteadOfStallingTheJob(Vertx emulatorVertx,
                                                                           @TempDir Path dir) {
    String keyA = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    byte[] b = new byte[32];
    b[0] = 1;
    String keyB = java.util.Base64.getEncoder().encodeToString(b);
    TestService s = TestService.start(emulatorVertx, Vertx.vertx(), dir, e -> e.setLatencyMs(200), c -> {
      ConfigLoader.put(c, "store.secretKey", keyA);
      ConfigLoader.put(c, "gateway.maxConcurrency", 1);
    });
    String id = s.submit(TestService.apiKeyJob("key", 30));
    Vertx next = Vertx.vertx();
    try (TestService restarted = s.crashAndRestart(next, c -> ConfigLoader.put(c, "store.secretKey", keyB))) {
      JsonObject done = restarted.awaitJob(id, Duration.ofSeconds(30));
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(restarted.items(id, "FAILED")).isNotEmpty()
          .allSatisfy(i -> assertThat(i.getJsonObject("error").getString("code")).isEqualTo("AUTH_VALUE_UNREADABLE"));
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
