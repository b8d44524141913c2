package io.onboarder.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile or curious party around webhooks gets nothing: a receiver answering with an endless body
 * has at most a few KB of it read before the connection is closed, and callers who are not admins do
 * not learn where the deliveries go.
 */
class WebhookBoundsTest {
  private static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24]);

  @TempDir
  static Path dir;
  private static Vertx vertx;
  private static HttpServer receiver;
  private static TestService s;
  private static final AtomicLong written = new AtomicLong();
  private static final AtomicBoolean hungUp = new AtomicBoolean();

  /** One service for both tests: a receiver that answers 200, then 64 KiB chunks for as long as it may. */
  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
    receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      HttpServerResponse resp = req.response().setChunked(true).setStatusCode(200);
      resp.closeHandler(v -> hungUp.set(true));
      Runnable[] pump = new Runnable[1];
      pump[0] = () -> {
        while (!hungUp.get() && !resp.writeQueueFull()) {
          resp.write(chunk);
          written.addAndGet(chunk.length());
        }
        if (!hungUp.get()) {
          resp.drainHandler(v -> pump[0].run());
        }
      };
      pump[0].run();
    }));
    TestService.await(receiver.listen(0, "127.0.0.1"));
    s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "api.tokens", "ops:" + TestService.TOKEN + ":admin,alice:tok-alice");
      ConfigLoader.put(c, "webhooks.url", "http://127.0.0.1:" + receiver.actualPort() + "/hooks");
      ConfigLoader.put(c, "webhooks.secret", SECRET);
      ConfigLoader.put(c, "webhooks.events", "job.finished");
    });
  }

  @AfterAll
  static void tearDown() {
    if (s != null) {
      s.close();
    }
    TestService.await(vertx.close());
  }

  private static JsonObject deliveries(String token) {
    return TestService.await(s.http.getAbs(s.base() + "/v1/webhooks/deliveries").bearerTokenAuthentication(token)
        .send()).bodyAsJsonObject();
  }

  @Test
  void anEndlessAnswerIsCutOffAfterAFewKilobytesAndTheDeliveryCounts() {
    s.awaitJob(s.submit(TestService.apiKeyJob("endless", 1)));
    JsonObject delivered = s.poll(() -> deliveries(TestService.TOKEN), d -> !d.getJsonArray("deliveries")
        .isEmpty() && "DELIVERED".equals(d.getJsonArray("deliveries").getJsonObject(0).getString("status")),
        Duration.ofSeconds(30), "the delivery to be DELIVERED");
    assertThat(delivered.getJsonArray("deliveries").getJsonObject(0).getInteger("attempts")).isEqualTo(1);
    s.poll(hungUp::get, Boolean::booleanValue, Duration.ofSeconds(10), "the service to close the connection");
    // What the receiver could write before the reset: socket buffers, not gigabytes.
    assertThat(written.get()).as("bytes the receiver wrote").isLessThan(32L * 1024 * 1024);
    assertThat(s.get("/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void onlyAdminsSeeTheEndpointUrl() {
    JsonObject admin = deliveries(TestService.TOKEN).getJsonObject("endpoint");
    assertThat(admin.getString("url")).startsWith("http://127.0.0.1:" + receiver.actualPort());
    JsonObject alice = deliveries("tok-alice").getJsonObject("endpoint");
    assertThat(alice.getBoolean("enabled")).isTrue();
    assertThat(alice.getValue("url")).isNull();
    assertThat(alice.encode()).doesNotContain(String.valueOf(receiver.actualPort()));
  }
}
