package io.onboarder.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The gateway's records travel on this node's event bus by reference, and never over the wire. */
@ExtendWith(VertxExtension.class)
class GatewayContractTest {
  @Test
  void recordsArePassedByReferenceAndAnsweredWithRecords(Vertx vertx) throws Exception {
    GatewayContract.register(vertx.eventBus());
    ItemRequest sent = new ItemRequest("job", 7, "acct", null, null, new JsonObject().put("id", 1), null, null,
        new LinkOptions(null, null, null, true), false, false, false, false);
    Object[] received = new Object[1];
    vertx.eventBus().<ItemRequest>localConsumer("typed", msg -> {
      received[0] = msg.body();
      msg.reply(ItemReply.cancelledJob());
    }).completion().await();
    Message<ItemReply> reply = vertx.eventBus().<ItemReply>request("typed", sent).await(10, TimeUnit.SECONDS);
    assertThat(received[0]).as("no copy, no JSON").isSameAs(sent);
    assertThat(reply.body()).isEqualTo(ItemReply.cancelledJob());
  }

  @Test
  void codecsAreRegisteredOnceAndRefuseTheWire(Vertx vertx) {
    GatewayContract.register(vertx.eventBus());
    assertThatThrownBy(() -> GatewayContract.register(vertx.eventBus())).isInstanceOf(IllegalStateException.class);
    GatewayContract.LocalCodec<ItemReply> codec = new GatewayContract.LocalCodec<>(ItemReply.class);
    assertThatThrownBy(() -> codec.encodeToWire(Buffer.buffer(), ItemReply.cancelledJob()))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
