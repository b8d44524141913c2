package io.onboarder.bridge;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The frames the bridge writes, as Vert.x's TCP event-bus bridge protocol has them (so its Node,
 * Python and Go clients understand them): a 4-byte length, then a JSON object of type
 * {@code message}, {@code err} or {@code pong}.
 */
final class Frames {
  private Frames() {}

  /** An error the bridge itself answers; addressed to the request's reply address if it had one. */
  static Buffer error(String replyAddress, int code, String message) {
    JsonObject err = new JsonObject().put("type", "err").put("failureCode", code)
        .put("failureType", "RECIPIENT_FAILURE").put("message", message);
    if (replyAddress != null) {
      err.put("address", replyAddress);
    }
    return encode(err);
  }

  /** A refusal as the stock bridge words it ({@code access_denied}, {@code unknown_address}, …). */
  static Buffer refusal(String replyAddress, String message) {
    JsonObject err = new JsonObject().put("type", "err").put("message", message);
    if (replyAddress != null) {
      err.put("address", replyAddress);
    }
    return encode(err);
  }

  /** A failed request: the failure code and type of the service's answer. */
  static Buffer failure(String address, String replyAddress, Throwable cause) {
    JsonObject err = new JsonObject().put("type", "err").put("address", replyAddress).put("sourceAddress", address);
    if (cause instanceof ReplyException r) {
      err.put("failureCode", r.failureCode()).put("failureType", r.failureType().name()).put("message", r.getMessage());
    } else {
      err.put("failureCode", 500).put("failureType", "RECIPIENT_FAILURE").put("message", "the request failed");
    }
    return encode(err);
  }

  /** A message from the event bus: a reply ({@code send} true) or a published event. */
  static Buffer message(String address, Message<?> msg, boolean send) {
    JsonObject headers = new JsonObject();
    for (Map.Entry<String, String> h : msg.headers()) {
      headers.put(h.getKey(), h.getValue());
    }
    JsonObject frame = new JsonObject().put("type", "message").put("address", address).put("headers", headers)
        .put("send", send);
    if (msg.body() != null) {
      frame.put("body", msg.body());
    }
    return encode(frame);
  }

  static Buffer pong() {
    return encode(new JsonObject().put("type", "pong"));
  }

  private static Buffer encode(JsonObject frame) {
    byte[] out = frame.encode().getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer(out.length + 4).appendInt(out.length).appendBytes(out);
  }
}
