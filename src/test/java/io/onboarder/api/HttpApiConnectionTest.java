package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server's connections: idle, slow and surplus ones are closed, an error sent before the
 * body was read closes the connection, and every /v1 answer says not to cache or sniff it.
 */
@ExtendWith(VertxExtension.class)
class HttpApiConnectionTest {

  /** A raw TCP connection to the API: what came back, and whether (when) the server closed it. */
  private static final class Raw {
    final NetSocket socket;
    final Buffer received = Buffer.buffer();
    final Promise<Void> closed = Promise.promise();

    Raw(NetSocket socket) {
      this.socket = socket;
      socket.handler(received::appendBuffer);
      socket.closeHandler(v -> closed.tryComplete());
    }

    /** Waits for the server to close the connection; fails after {@code seconds}. */
    String awaitClosed(int seconds) {
      TestService.await(closed.future().timeout(seconds, TimeUnit.SECONDS));
      return received.toString();
    }
  }

  private static Raw connect(Vertx vertx, TestService s) {
    NetClient client = vertx.createNetClient();
    // Handlers are set on the event loop as the connection opens: the server may close it at once.
    return TestService.await(client.connect(s.app.httpPort(), "127.0.0.1").map(Raw::new));
  }

  /** A kept-alive connection that has had one request answered. */
  private static Raw answered(Vertx vertx, TestService s) {
    Raw raw = connect(vertx, s);
    raw.socket.write("GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n");
    s.poll(raw.received::toString, r -> r.startsWith("HTTP/1.1 200"), Duration.ofSeconds(10),
        "an answer");
    return raw;
  }

  private static TestService service(Vertx vertx, Path dir, Consumer<JsonObject> config) {
    return TestService.start(vertx, dir, e -> { }, config);
  }

  @Test
  void anIdleConnectionIsClosed(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> ConfigLoader.put(c, "http.idleTimeoutMs", 300))) {
      Raw silent = connect(vertx, s);
      assertThat(silent.awaitClosed(10)).isEmpty();

      Raw keptAlive = connect(vertx, s);
      keptAlive.socket.write("GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n");
      // Answered, then closed once idle: a kept-alive connection does not live forever.
      assertThat(keptAlive.awaitClosed(10)).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void headersThatTrickleInAreCutOffAtTheHeaderTimeout(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> {
      ConfigLoader.put(c, "http.idleTimeoutMs", 60_000);
      ConfigLoader.put(c, "http.headerTimeoutMs", 300);
    })) {
      Raw slow = connect(vertx, s);
      byte[] request = "GET /health/live HTTP/1.1\r\nHost: test\r\nX-Slow: ".getBytes();
      int[] next = {0};
      // One byte every 50 ms: never idle, never done.
      long trickle = vertx.setPeriodic(50, t -> slow.socket.write(Buffer.buffer(new byte[] {
          next[0] < request.length ? request[next[0]++] : (byte) 'a'})));
      long start = System.nanoTime();
      try {
        assertThat(slow.awaitClosed(10)).isEmpty();
      } finally {
        vertx.cancelTimer(trickle);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void connectionsAboveTheCapAreClosedAtOnce(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> ConfigLoader.put(c, "http.maxConnections", 2))) {
      // Each answered once (kept alive), so the server has surely counted them before the third.
      Raw first = answered(vertx, s);
      Raw second = answered(vertx, s);
      Raw third = connect(vertx, s);
      assertThat(third.awaitClosed(10)).isEmpty();
      assertThat(first.closed.future().isComplete()).isFalse();
      assertThat(second.closed.future().isComplete()).isFalse();

      // A slot freed is a slot usable again.
      TestService.await(first.socket.close());
      s.poll(() -> {
        Raw probe = connect(vertx, s);
        probe.socket.write("GET /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        return probe.awaitClosed(10);
      }, answer -> answer.startsWith("HTTP/1.1 200"), Duration.ofSeconds(10), "a free connection slot");
      TestService.await(second.socket.close());
    }
  }

  @Test
  void anErrorSentBeforeTheBodyWasReadClosesTheConnection(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> { })) {
      String head = "POST /v1/jobs HTTP/1.1\r\nHost: test\r\nContent-Length: 10485760\r\n";
      // 401: no token; 415: not JSON; 413: declared larger than api.maxBodyBytes.
      String[][] cases = {
          {"401", head + "Content-Type: application/json\r\n\r\n"},
          {"415", head + "Authorization: " + bearer() + "\r\nContent-Type: text/plain\r\n\r\n"},
          {"413", "POST /v1/jobs HTTP/1.1\r\nHost: test\r\nContent-Length: 1073741824\r\nAuthorization: "
              + bearer() + "\r\nContent-Type: application/json\r\n\r\n"},
      };
      for (String[] c : cases) {
        Raw raw = connect(vertx, s);
        raw.socket.write(c[1] + "{\"items\": [");
        String answer = raw.awaitClosed(10);
        assertThat(answer).as(c[0]).startsWith("HTTP/1.1 " + c[0]);
        assertThat(answer.toLowerCase()).as(c[0]).contains("connection: close");
      }
    }
  }

  @Test
  void aBodyThatNeverArrivesIsAnswered408AndTheConnectionClosed(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> ConfigLoader.put(c, "http.bodyTimeoutMs", 300))) {
      Raw raw = connect(vertx, s);
      raw.socket.write("POST /v1/jobs HTTP/1.1\r\nHost: test\r\nAuthorization: " + bearer()
          + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"items\":");
      String answer = raw.awaitClosed(10);
      assertThat(answer).startsWith("HTTP/1.1 408");
      assertThat(answer).contains("HTTP_BODY_TIMEOUT_MS");
    }
  }

  @Test
  void everyV1AnswerSaysNoStoreAndNoSniff(Vertx vertx, @TempDir Path dir) {
    try (TestService s = service(vertx, dir, c -> { })) {
      String id = s.submit(TestService.apiKeyJob("hdr", 1));
      HttpResponse<?>[] answers = {
          s.get("/v1/jobs"),
          s.get("/v1/jobs/" + id),
          s.get("/v1/jobs/" + id + "/items"),
          s.get("/v1/jobs/no-such-job"),
          s.get("/v1/no-such-route"),
          ApiTestSupport.send(s, HttpMethod.GET, "/v1/jobs", null, null, null),
          s.post("/v1/jobs", new JsonObject()),
      };
      for (HttpResponse<?> r : answers) {
        assertThat(r.getHeader("Cache-Control")).as("%d %s", r.statusCode(), r.bodyAsString()).isEqualTo("no-store");
        assertThat(r.getHeader("X-Content-Type-Options")).as("%d", r.statusCode()).isEqualTo("nosniff");
      }
    }
  }
}
