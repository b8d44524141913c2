package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancel published on {@value Addresses#GATEWAY_CANCEL} ends a job's waiting items in the gateway at once
 * (handed back untried, never sent), while an item whose install may have reached Cyclr finishes. Items are sent
 * straight to the gateway, as the job core does, as the typed records of {@code bus.GatewayContract}.
 */
@ExtendWith(VertxExtension.class)
class GatewayCancelTest {
  private static final DeliveryOptions WAIT = new DeliveryOptions().setSendTimeout(60_000);
  private static final String INSTALL = "POST /v1.0/connectors/{id}/install";

  @Test
  void cancelHandsBackAJobsWaitingItemsAtOnceAndTheirInstallsAreNeverSent(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      int port = s.cyclr.port();
      TestService.await(s.cyclr.stop()); // Cyclr unreachable: every item waits
      Future<Message<ItemReply>> a1 = onboard(vertx, "j1", "cancel-a1");
      Future<Message<ItemReply>> a2 = onboard(vertx, "j1", "cancel-a2");
      Future<Message<ItemReply>> a1Again = onboard(vertx, "j1", "cancel-a1"); // queued behind a1
      Future<Message<ItemReply>> b1 = onboard(vertx, "j2", "cancel-b1");
      Future<Message<ItemReply>> noJob = onboard(vertx, null, "cancel-c1");
      s.poll(() -> status(vertx), g -> g.getInteger("activeItems") == 5 && !"CLOSED".equals(g.getString("breaker")),
          Duration.ofSeconds(20), "five items waiting at an open breaker");

      JsonObject reply = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_CANCEL,
          new JsonObject().put("jobId", "j1"))).body();
      assertThat(reply.getInteger("cancelled")).isEqualTo(3);
      assertThat(reply.getInteger("finishing")).isZero();
      for (Future<Message<ItemReply>> f : List.of(a1, a2, a1Again)) {
        ItemReply outcome = TestService.await(f).body();
        assertThat(outcome.status()).isEqualTo("PENDING");
        assertThat(outcome.cancelled()).isTrue();
        assertThat(outcome.recovered()).isFalse();
      }
      assertThat(b1.isComplete()).as("another job's item keeps waiting").isFalse();
      assertThat(noJob.isComplete()).isFalse();
      // An item of the cancelled job that crosses the cancel is handed back too; a recovered one is finished.
      assertThat(TestService.await(onboard(vertx, "j1", "cancel-a3")).body().cancelled()).isTrue();
      Future<Message<ItemReply>> recovered = onboard(vertx, "j1", "cancel-a4", true);

      TestService.await(s.cyclr.start(port));
      assertThat(TestService.await(b1).body().status()).isEqualTo("INSTALLED");
      assertThat(TestService.await(noJob).body().status()).isEqualTo("INSTALLED");
      assertThat(TestService.await(recovered).body().status()).isEqualTo("INSTALLED");
      s.poll(() -> status(vertx), g -> g.getInteger("activeItems") == 0, Duration.ofSeconds(20),
          "the abandoned flows to end");
      assertThat(s.cyclr.stats().installsFor("cancel-a1")).isZero();
      assertThat(s.cyclr.stats().installsFor("cancel-a2")).isZero();
      assertThat(s.cyclr.stats().installsFor("cancel-a3")).isZero();
      assertThat(s.cyclr.stats().installs()).isEqualTo(3);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void anItemWhoseInstallMayHaveReachedCyclrIsFinishedNotCancelled(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(300), c -> { })) {
      Future<Message<ItemReply>> sent = onboard(vertx, "j3", "cancel-x1");
      s.poll(() -> s.cyclr.stats().requests(INSTALL), n -> n >= 1, Duration.ofSeconds(20),
          "the install to reach Cyclr");
      Future<Message<ItemReply>> queued = onboard(vertx, "j3", "cancel-x1"); // same account: waits its turn
      JsonObject reply = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_CANCEL,
          new JsonObject().put("jobId", "j3"))).body();
      assertThat(reply.getInteger("finishing")).isEqualTo(1);
      assertThat(reply.getInteger("cancelled")).isEqualTo(1);
      assertThat(TestService.await(queued).body().cancelled()).isTrue();
      assertThat(TestService.await(sent).body().status()).isEqualTo("INSTALLED");
      assertThat(s.cyclr.stats().installsFor("cancel-x1")).isEqualTo(1);
    }
  }

  @Test
  void aCancelWithoutAJobIdIsRefused(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      Throwable refused = TestService.await(vertx.eventBus().request(Addresses.GATEWAY_CANCEL,
          new JsonObject().put("id", 7)).<Throwable>transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(refused).isInstanceOfSatisfying(ReplyException.class, e -> {
        assertThat(e.failureCode()).isEqualTo(400);
        assertThat(e.getMessage()).contains("jobId");
      });
    }
  }

  private static Future<Message<ItemReply>> onboard(Vertx vertx, String jobId, String account) {
    return onboard(vertx, jobId, account, false);
  }

  private static Future<Message<ItemReply>> onboard(Vertx vertx, String jobId, String account, boolean recovered) {
    ItemRequest item = new ItemRequest(jobId, 1, account, "secret-" + account, null, new JsonObject().put("id", 1),
        null, null, new LinkOptions(null, null, null, true), false, false, false, recovered);
    return vertx.eventBus().request(Addresses.GATEWAY_ONBOARD, item, WAIT);
  }

  private static JsonObject status(Vertx vertx) {
    return TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS, new JsonObject())).body();
  }

}
