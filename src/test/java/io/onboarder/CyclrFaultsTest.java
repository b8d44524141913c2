package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
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

/** The gateway against a misbehaving Cyclr: every test asserts on what the emulator saw. */
@ExtendWith(VertxExtension.class)
class CyclrFaultsTest {

  @Test
  void honoursRetryAfterOn429AndFinishes(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setRateLimitPerSecond(10).setRetryAfterValue("1"),
        c -> { })) {
      String id = s.submit(TestService.apiKeyJob("rl", 15));
      JsonObject job = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(job.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().rateLimited()).isPositive();
      assertThat(s.cyclr.stats().installs()).isEqualTo(15);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void retries503sUntilEveryItemIsInstalled(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setFailureRate(0.3),
        c -> ConfigLoader.put(c, "gateway.maxAttempts", 10))) {
      String id = s.submit(TestService.apiKeyJob("u", 30));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().failuresInjected()).isPositive();
      assertThat(s.cyclr.stats().installs()).isEqualTo(30);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void givesUpAfterTheOutageBudgetWithClearError(Vertx vertx, @TempDir Path dir) {
    // Cyclr answers the token call, then 503 to everything: nobody gets an answer, so this is an outage
    // that uses up no attempts; the items fail only once it outlasts gateway.maxOutageMs.
    try (TestService s = TestService.start(vertx, dir, e -> e.setFailureRate(1.0), c -> {
      ConfigLoader.put(c, "gateway.maxAttempts", 3);
      ConfigLoader.put(c, "gateway.breakerThreshold", 1000);
      ConfigLoader.put(c, "gateway.maxOutageMs", 1500);
    })) {
      long start = System.nanoTime();
      String id = s.submit(TestService.apiKeyJob("down", 2));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
      JsonObject error = s.items(id, "FAILED").get(0).getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("CYCLR_UNAVAILABLE");
      assertThat(error.getString("message")).contains("gateway.maxOutageMs");
      assertThat(s.cyclr.stats().installs()).isZero();
    }
  }

  @Test
  void refreshesTheAccessTokenOnceOn401(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      s.awaitJob(s.submit(TestService.apiKeyJob("tok", 3)));
      assertThat(s.cyclr.stats().tokenRequests()).isEqualTo(1);
      s.cyclr.expireAllAccessTokens();
      String id = s.submit(TestService.apiKeyJob("tok2", 5));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().unauthorized()).isPositive();
      assertThat(s.cyclr.stats().tokenRequests()).isEqualTo(2);
    }
  }

  @Test
  void lostInstallResponsesNeverCauseDuplicates(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setDropInstallRate(0.5),
        c -> ConfigLoader.put(c, "gateway.maxAttempts", 10))) {
      String id = s.submit(TestService.apiKeyJob("lost", 40));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().dropsInjected()).isPositive();
      assertThat(s.cyclr.stats().installs()).isEqualTo(40);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void neverExceedsTheConcurrencyCapAtCyclr(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(20),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 4))) {
      String id = s.submit(TestService.apiKeyJob("cap", 60));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().maxInFlight()).isLessThanOrEqualTo(4).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void anOutageFromTheFirstRequestFailsNoItemKeepsReadinessAndShowsInTheJob(Vertx vertx, @TempDir Path dir) {
    // Default attempts (6) and breaker threshold (10); few permits, so most items queue behind the first wave.
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "gateway.maxConcurrency", 4);
      ConfigLoader.put(c, "gateway.degradedAfterMs", 300);
    })) {
      int port = s.cyclr.port();
      assertThat(s.get("/health/ready").statusCode()).isEqualTo(200);
      TestService.await(s.cyclr.stop()); // connection refused from the first request on
      String id = s.submit(TestService.apiKeyJob("first", 40));
      JsonObject status = s.poll(() -> gatewayStatus(vertx), g -> g.getBoolean("degraded"), Duration.ofSeconds(20),
          "the breaker to stay open past gateway.degradedAfterMs");
      assertThat(status.getString("breaker")).isNotEqualTo("CLOSED");
      assertThat(status.getLong("breakerOpenSinceMs")).isLessThanOrEqualTo(System.currentTimeMillis() - 300);
      // Readiness never depends on Cyclr: the replica stays in the Service (API and /connect pages up).
      var ready = s.get("/health/ready");
      assertThat(ready.statusCode()).as("readiness stays up while Cyclr is down").isEqualTo(200);
      JsonObject gatewayCheck = ready.bodyAsJsonObject().getJsonArray("checks").stream().map(JsonObject.class::cast)
          .filter(c -> c.getString("id").equals("gateway")).findFirst().orElseThrow();
      assertThat(gatewayCheck.getString("status")).isEqualTo("UP");
      assertThat(gatewayCheck.getJsonObject("data").getBoolean("degraded")).isTrue();
      assertThat(gatewayCheck.getJsonObject("data").getString("breaker")).isNotEqualTo("CLOSED");
      // The job says why it does not move.
      JsonObject cyclr = s.job(id).getJsonObject("cyclr");
      assertThat(cyclr.getString("breaker")).isNotEqualTo("CLOSED");
      assertThat(java.time.Instant.parse(cyclr.getString("unavailableSince")).toEpochMilli())
          .isEqualTo(status.getLong("breakerOpenSinceMs"));
      // Several open periods (probes) later, still nothing has failed.
      s.poll(() -> gatewayStatus(vertx), g -> System.currentTimeMillis() - g.getLong("breakerOpenSinceMs") > 1_500,
          Duration.ofSeconds(20), "a 1.5 s outage");
      assertThat(s.job(id).getJsonObject("counts").getLong("FAILED")).isZero();

      TestService.await(s.cyclr.start(port));
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().installs()).isEqualTo(40);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      assertThat(gatewayStatus(vertx).getBoolean("degraded")).isFalse();
      assertThat(done.containsKey("cyclr")).as("a finished job shows no Cyclr state").isFalse();
      assertThat(s.get("/health/ready").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void anUnresolvableHostFailsItemsOnlyAfterTheOutageBudgetSoTheJobEnds(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "cyclr.apiUrl", "http://cyclr-onboarder-test.invalid:" + 1);
      ConfigLoader.put(c, "gateway.breakerThreshold", 3);
      ConfigLoader.put(c, "gateway.maxOutageMs", 2_000);
      ConfigLoader.put(c, "gateway.degradedAfterMs", 200);
    })) {
      String id = s.submit(TestService.apiKeyJob("dns", 10));
      s.poll(() -> gatewayStatus(vertx), g -> g.getBoolean("degraded"), Duration.ofSeconds(30),
          "the breaker to stay open");
      assertThat(s.get("/health/ready").statusCode()).isEqualTo(200);
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(s.items(id, "FAILED")).hasSize(10).allSatisfy(item -> {
        assertThat(item.getJsonObject("error").getString("code")).isEqualTo("CYCLR_UNAVAILABLE");
        assertThat(item.getJsonObject("error").getString("message")).contains("gateway.maxOutageMs");
      });
    }
  }

  private static JsonObject gatewayStatus(Vertx vertx) {
    return TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS, new JsonObject())).body();
  }

  @Test
  void sustainedOutageOpensTheBreakerAndItemsWaitThenResume(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setOutage(true), c -> {
      ConfigLoader.put(c, "gateway.breakerThreshold", 3);
      ConfigLoader.put(c, "gateway.breakerOpenMs", 300);
      ConfigLoader.put(c, "gateway.maxAttempts", 3);
    })) {
      String id = s.submit(TestService.apiKeyJob("out", 20));
      s.poll(() -> TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS,
          new JsonObject())).body().getString("breaker"), b -> !b.equals("CLOSED"), Duration.ofSeconds(10),
          "the breaker to open");
      // While Cyclr is down, probes are spaced by the open period (doubling): no retry storm.
      long during = s.cyclr.stats().requests();
      assertThat(during).isLessThan(20);
      assertThat(s.job(id).getJsonObject("counts").getLong("FAILED")).isZero();
      s.cyclr.options().setOutage(false);
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().installs()).isEqualTo(20);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }
}
