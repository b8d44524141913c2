package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How an event-bus request that failed becomes a problem: a timeout, no handler and a recipient's failure are told
 * apart (ReplyException.failureType()), each with its own status and problem type. The failures come from a real
 * event bus.
 */
@ExtendWith(VertxExtension.class)
class ProblemsTest {
  private static final String TYPE = "urn:cyclr-onboarder:problem:";

  @Test
  void aTimeoutIsA504(Vertx vertx) {
    vertx.eventBus().consumer("silent", msg -> { }).completion().await();
    JsonObject p = problem(vertx, "silent", new DeliveryOptions().setSendTimeout(20));
    assertThat(p.getInteger("status")).isEqualTo(504);
    assertThat(p.getString("type")).isEqualTo(TYPE + "timeout");
  }

  @Test
  void noHandlerIsA503(Vertx vertx) {
    JsonObject p = problem(vertx, "nobody-here", new DeliveryOptions());
    assertThat(p.getInteger("status")).isEqualTo(503);
    assertThat(p.getString("type")).isEqualTo(TYPE + "no-handler");
  }

  @Test
  void aRecipientsProblemIsPassedOnAsItIs(Vertx vertx) {
    Problem conflict = Problem.conflict("An idempotency key was reused with another body.");
    vertx.eventBus().consumer("refuses", msg -> msg.fail(409, conflict.toJson().encode())).completion().await();
    JsonObject p = problem(vertx, "refuses", new DeliveryOptions());
    assertThat(p).isEqualTo(conflict.toJson());
  }

  @Test
  void aRecipientFailureWithoutAProblemKeepsItsCode(Vertx vertx) {
    vertx.eventBus().consumer("bad-request", msg -> msg.fail(400, "expected {\"jobId\": \"...\"}")).completion()
        .await();
    vertx.eventBus().consumer("broken", msg -> msg.fail(500, "NullPointerException at Secret.java:12")).completion()
        .await();
    vertx.eventBus().consumer("odd", msg -> msg.fail(7, "seven")).completion().await();
    JsonObject refused = problem(vertx, "bad-request", new DeliveryOptions());
    assertThat(refused.getInteger("status")).isEqualTo(400);
    assertThat(refused.getString("type")).isEqualTo(TYPE + "recipient-failure");
    assertThat(refused.getString("detail")).contains("jobId");
    JsonObject failed = problem(vertx, "broken", new DeliveryOptions());
    assertThat(failed.getInteger("status")).isEqualTo(500);
    assertThat(failed.getString("type")).isEqualTo(TYPE + "recipient-failure");
    assertThat(failed.getString("detail")).as("no internals").doesNotContain("Secret");
    assertThat(problem(vertx, "odd", new DeliveryOptions()).getInteger("status")).as("not an HTTP code")
        .isEqualTo(502);
  }

  private static JsonObject problem(Vertx vertx, String address, DeliveryOptions options) {
    try {
      Throwable failure = vertx.eventBus().request(address, new JsonObject(), options)
          .<Throwable>transform(ar -> Future.succeededFuture(ar.cause())).await(10, TimeUnit.SECONDS);
      assertThat(failure).isInstanceOf(ReplyException.class);
      return Problems.from(failure, 500).toJson();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
