package io.onboarder.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.LiveConnector;
import io.onboarder.bus.FleetContract.LiveCycle;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fleet's gateway records travel by reference on this node, registered with the gateway's, never on the wire. */
@ExtendWith(VertxExtension.class)
class FleetContractTest {
  @Test
  void liveStateAndRemovalTravelByReference(Vertx vertx) throws Exception {
    GatewayContract.register(vertx.eventBus());
    LiveStateRequest read = new LiveStateRequest("acct", new JsonObject().put("id", 2), null);
    LiveStateReply state = LiveStateReply.of(true, List.of(new LiveConnector(11, 2L, "Pipedrive", "1.0", false)),
        List.of(new LiveCycle("c-1", "t-1", "Paused")));
    Object[] received = new Object[2];
    vertx.eventBus().<LiveStateRequest>localConsumer("read", msg -> {
      received[0] = msg.body();
      msg.reply(state);
    }).completion().await();
    vertx.eventBus().<RemovalRequest>localConsumer("remove", msg -> {
      received[1] = msg.body();
      msg.reply(RemovalReply.ALREADY_GONE);
    }).completion().await();
    Message<LiveStateReply> got = vertx.eventBus().<LiveStateReply>request("read", read).await(10, TimeUnit.SECONDS);
    RemovalRequest remove = new RemovalRequest("acct", RemovalKind.CYCLE, "c-1");
    Message<RemovalReply> removed = vertx.eventBus().<RemovalReply>request("remove", remove)
        .await(10, TimeUnit.SECONDS);
    assertThat(received[0]).isSameAs(read);
    assertThat(got.body()).isSameAs(state);
    assertThat(got.body().succeeded()).isTrue();
    assertThat(received[1]).isSameAs(remove);
    assertThat(removed.body().outcome()).isEqualTo(RemovalOutcome.ALREADY_GONE);
    assertThat(removed.body().succeeded()).isTrue();
  }

  @Test
  void aFailureIsAReplyNotAnEmptyState() {
    CyclrFailure busy = new CyclrFailure("CYCLR_UNAVAILABLE", "Cyclr did not answer", 503, true);
    LiveStateReply failed = LiveStateReply.failed(busy);
    assertThat(failed.succeeded()).isFalse();
    assertThat(failed.failure().retryable()).isTrue();
    RemovalReply notRemoved = RemovalReply.failed(busy);
    assertThat(notRemoved.outcome()).isEqualTo(RemovalOutcome.FAILED);
    assertThat(notRemoved.succeeded()).isFalse();
  }

  @Test
  void repliesKeepTheirListsAsSent() {
    List<LiveConnector> installs = new ArrayList<>(List.of(new LiveConnector(1, 2L, "x", null, true)));
    LiveStateReply reply = LiveStateReply.of(true, installs, List.of());
    installs.clear();
    assertThat(reply.connectors()).hasSize(1);
    assertThatThrownBy(() -> reply.connectors().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void codecsRefuseTheWire(Vertx vertx) {
    GatewayContract.register(vertx.eventBus());
    var codec = new GatewayContract.LocalCodec<>(RemovalReply.class);
    assertThatThrownBy(() -> codec.encodeToWire(Buffer.buffer(), RemovalReply.REMOVED))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> vertx.eventBus().registerDefaultCodec(LiveStateReply.class,
        new GatewayContract.LocalCodec<>(LiveStateReply.class))).isInstanceOf(IllegalStateException.class);
  }
}
