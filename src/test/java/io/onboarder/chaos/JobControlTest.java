package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Cancel, retry, the failure policy and the intake bound, including races. */
@ExtendWith(VertxExtension.class)
class JobControlTest {

  @Test
  void cancelStopsDispatchLetsInFlightFinishAndEndsCancelled(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(30),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 2))) {
      String id = s.submit(TestService.apiKeyJob("c", 100));
      s.poll(() -> s.job(id).getJsonObject("counts").getLong("INSTALLED"), n -> n >= 3, Duration.ofSeconds(20),
          "some installs");
      HttpResponse<Buffer> cancel = s.post("/v1/jobs/" + id + "/cancel", null);
      assertThat(cancel.statusCode()).isEqualTo(200);
      JsonObject done = s.awaitJob(id);
      JsonObject counts = done.getJsonObject("counts");
      assertThat(done.getString("status")).isEqualTo("CANCELLED");
      assertThat(counts.getLong("PENDING") + counts.getLong("RUNNING")).isZero();
      assertThat(counts.getLong("CANCELLED")).isPositive();
      assertThat(s.cyclr.stats().installs()).isEqualTo(counts.getLong("INSTALLED"));
      assertThat(s.post("/v1/jobs/" + id + "/cancel", null).statusCode()).isEqualTo(409);
    }
  }

  @Test
  void cancelRacingTheLastItemLeavesAConsistentFinalStatus(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(3), c -> { })) {
      for (int round = 0; round < 12; round++) {
        String id = s.submit(TestService.apiKeyJob("race" + round, 1));
        // Cancel at a different moment each round: right away, or after a few milliseconds.
        TestService.await(vertx.timer(1 + round % 4 * 4L));
        int status = s.post("/v1/jobs/" + id + "/cancel", null).statusCode();
        JsonObject done = s.awaitJob(id);
        JsonObject counts = done.getJsonObject("counts");
        assertThat(counts.getLong("PENDING") + counts.getLong("RUNNING")).isZero();
        if (status == 200) {
          assertThat(done.getString("status")).isEqualTo("CANCELLED");
        } else {
          assertThat(status).isEqualTo(409);
          assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
        }
        long installed = counts.getLong("INSTALLED");
        assertThat(s.cyclr.stats().installsFor(String.format("race%d-0001", round))).isEqualTo(installed);
      }
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void retryRerunsOnlyFailedItemsEvenWhenRequestedConcurrently(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "gateway.maxAttempts", 1);
      ConfigLoader.put(c, "gateway.breakerThreshold", 10_000);
      ConfigLoader.put(c, "gateway.maxOutageMs", 300); // 503 to everything is an outage: fail it fast
    })) {
      s.awaitJob(s.submit(TestService.apiKeyJob("r", 10)));
      s.cyclr.options().setFailureRate(1.0);
      JsonObject job = TestService.apiKeyJob("r", 20); // 10 already installed, 10 new
      String id = s.submit(job);
      JsonObject failed = s.awaitJob(id);
      assertThat(failed.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(failed.getJsonObject("counts").getLong("FAILED")).isEqualTo(20);
      s.cyclr.options().setFailureRate(0);
      // Five retries at once: one re-opens the job, the others see it running or find nothing to retry.
      List<Future<HttpResponse<Buffer>>> retries = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        retries.add(s.http.postAbs(s.base() + "/v1/jobs/" + id + "/retry").bearerTokenAuthentication(TestService.TOKEN)
            .send());
      }
      TestService.await(Future.join(retries));
      assertThat(retries).allSatisfy(r -> assertThat(r.result().statusCode()).isIn(200, 409));
      assertThat(retries).anySatisfy(r -> assertThat(r.result().statusCode()).isEqualTo(200));
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("counts").getLong("ALREADY_INSTALLED")).isEqualTo(10);
      assertThat(done.getJsonObject("counts").getLong("INSTALLED")).isEqualTo(10);
      assertThat(s.cyclr.stats().installs()).isEqualTo(20);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      assertThat(s.post("/v1/jobs/" + id + "/retry", null).statusCode()).isEqualTo(409);
    }
  }

  @Test
  void failurePolicyStopsDispatchOnceTheToleratedShareIsExceeded(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(10),
        c -> ConfigLoader.put(c, "gateway.maxConcurrency", 2))) {
      JsonArray items = new JsonArray();
      for (int i = 0; i < 100; i++) {
        JsonObject item = new JsonObject().put("account", "fp-" + i).put("authValue", "k");
        if (i < 30) {
          item.put("connector", new JsonObject().put("id", 999)); // does not exist: fails
        }
        items.add(item);
      }
      JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items)
          .put("options", new JsonObject().put("toleratedFailurePercent", 10));
      JsonObject done = s.awaitJob(s.submit(job));
      JsonObject counts = done.getJsonObject("counts");
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(counts.getLong("FAILED")).isGreaterThan(10);
      assertThat(counts.getLong("CANCELLED")).isPositive();
      assertThat(counts.getLong("PENDING") + counts.getLong("RUNNING")).isZero();
      assertThat(s.cyclr.stats().installs()).isEqualTo(counts.getLong("INSTALLED")).isLessThan(70);
    }
  }

  @Test
  void aJobStoppedByItsFailurePolicyCanBeRetriedOnceFinishedAndLeavesNothingPending(Vertx vertx,
                                                                                 @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(10), c -> {
      ConfigLoader.put(c, "gateway.maxConcurrency", 2);
      ConfigLoader.put(c, "gateway.maxAttempts", 1);
      ConfigLoader.put(c, "gateway.breakerThreshold", 10_000);
      ConfigLoader.put(c, "gateway.maxOutageMs", 300); // 503 to everything is an outage: fail it fast
    })) {
      s.cyclr.options().setFailureRate(1.0);
      JsonObject job = TestService.apiKeyJob("pol", 40)
          .put("options", new JsonObject().put("toleratedFailurePercent", 5));
      String id = s.submit(job);
      s.poll(() -> s.job(id), j -> j.getJsonObject("counts").getLong("FAILED") >= 3
          || TestService.TERMINAL.contains(j.getString("status")), Duration.ofSeconds(20), "failures");
      int early = s.post("/v1/jobs/" + id + "/retry", null).statusCode();
      JsonObject stopped = s.awaitJob(id);
      assertThat(early).isIn(409, 200);
      assertThat(stopped.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      s.cyclr.options().setFailureRate(0);
      assertThat(s.post("/v1/jobs/" + id + "/retry", null).statusCode()).isEqualTo(200);
      JsonObject done = s.awaitJob(id);
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("PENDING") + counts.getLong("RUNNING")).isZero();
      assertThat(counts.getLong("FAILED")).isZero();
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void badEventBusMessagesFailFastInsteadOfHanging(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      for (Object body : List.of("not an object", new JsonObject(), new JsonObject().put("id", 42))) {
        Throwable err = TestService.await(vertx.eventBus().request(Addresses.JOBS_GET, body,
            new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5000))
            .transform(ar -> Future.succeededFuture(ar.cause())));
        assertThat(err).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) err).failureCode()).isEqualTo(400);
      }
    }
  }

  @Test
  void intakeIsBoundedByPendingItemsWith503AndRetryAfter(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(200), c -> {
      ConfigLoader.put(c, "jobs.maxPendingItems", 50);
      ConfigLoader.put(c, "gateway.maxConcurrency", 1);
    })) {
      s.submit(TestService.apiKeyJob("a", 45));
      HttpResponse<Buffer> busy = s.post("/v1/jobs", TestService.apiKeyJob("b", 20));
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.getHeader("Retry-After")).isNotNull();
      assertThat(busy.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(busy.bodyAsJsonObject().getInteger("status")).isEqualTo(503);
      Throwable onBus = TestService.await(vertx.eventBus().request(Addresses.JOBS_SUBMIT,
          TestService.apiKeyJob("c", 20)).transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(onBus).isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) onBus).failureCode()).isEqualTo(503);
      // Smaller jobs that fit still get in.
      assertThat(s.post("/v1/jobs", TestService.apiKeyJob("d", 5)).statusCode()).isEqualTo(202);
    }
  }
}
