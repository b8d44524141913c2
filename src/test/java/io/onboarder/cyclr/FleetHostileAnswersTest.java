package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.onboarder.bus.GatewayContract;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Live-state reads and removals against a Cyclr stand-in that answers badly: each tenant (X-Cyclr-Account) gets
 * its own misbehaviour. Every answer is bounded (pages, rows, bytes, time) and ends in a classified failure, never a
 * list that passes for complete; a DELETE whose answer is lost is checked before it is sent again.
 */
@ExtendWith(VertxExtension.class)
class FleetHostileAnswersTest {
  private static final String SECRET = "s3cret-client-value";
  private static final JsonObject CONNECTOR = new JsonObject().put("id", 1);
  private static final long ANSWER_MS = 20_000;
  private static final long SILENCE_MS = 800;

  private Vertx vertx;
  private final Set<String> installs = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> deletes = new ConcurrentHashMap<>();
  private final AtomicInteger reads = new AtomicInteger();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * The stand-in and a gateway pointed at it. {@code timeoutMs}: long where an answer is expected (a loaded machine
   * must not turn a slow answer into a failure), short only where a test waits for a silence to time out.
   */
  private void gateway(long timeoutMs) {
    HttpServer server = TestService.await(vertx.createHttpServer().requestHandler(router()).listen(0, "127.0.0.1"));
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "api.authDisabled", true);
    ConfigLoader.put(conf, "cyclr.apiUrl", "http://127.0.0.1:" + server.actualPort());
    ConfigLoader.put(conf, "cyclr.clientId", "c");
    ConfigLoader.put(conf, "cyclr.clientSecret", SECRET);
    ConfigLoader.put(conf, "cyclr.maxPages", 5);
    ConfigLoader.put(conf, "cyclr.maxResponseBytes", 65_536);
    ConfigLoader.put(conf, "cyclr.requestTimeoutMs", timeoutMs);
    ConfigLoader.put(conf, "gateway.maxAttempts", 2);
    ConfigLoader.put(conf, "gateway.maxOutageMs", 300);
    ConfigLoader.put(conf, "gateway.breakerThreshold", 1_000);
    GatewayContract.register(vertx.eventBus());
    TestService.await(vertx.deployVerticle(new CyclrGatewayVerticle(Settings.from(conf), () -> true)));
    // The first call warms the client up (token, connection), so no test's timeout includes that.
    LiveStateReply warm = read("empty");
    assertThat(warm.succeeded()).as(String.valueOf(warm.failure())).isTrue();
  }

  private Router router() {
    Router r = Router.router(vertx);
    r.post("/oauth/token").handler(rc -> rc.json(new JsonObject().put("access_token", "tok").put("expires_in", 3600)));
    r.get("/v1.0/accounts/:id").handler(rc -> rc.json(new JsonObject().put("Id", rc.pathParam("id"))));
    r.get("/v1.0/account/connectors").handler(this::list);
    r.get("/v1.0/account/connectors/:id").handler(rc -> {
      reads.incrementAndGet();
      if (installs.contains(rc.pathParam("id"))) {
        rc.json(new JsonObject().put("Id", Long.parseLong(rc.pathParam("id"))));
      } else {
        rc.response().setStatusCode(404).end(new JsonObject().put("Message", "Account connector not found").encode());
      }
    });
    r.delete("/v1.0/account/connectors/:id").handler(this::delete);
    return r;
  }

  private static JsonObject row(long id) {
    return new JsonObject().put("Id", id).put("Name", "x").put("Authenticated", true)
        .put("Connector", new JsonObject().put("Id", 1));
  }

  private void list(RoutingContext rc) {
    int page = Integer.parseInt(rc.queryParams().get("page"));
    switch (rc.request().getHeader("X-Cyclr-Account")) {
      case "endless" -> { // a fresh full page for ever
        JsonArray rows = new JsonArray();
        for (int i = 0; i < 50; i++) {
          rows.add(row(page * 1000L + i));
        }
        rc.json(rows);
      }
      case "one-page-of-thousands" -> {
        JsonArray rows = new JsonArray();
        for (int i = 0; i < 2_000; i++) {
          rows.add(new JsonObject().put("Id", i));
        }
        rc.json(rows);
      }
      case "huge" -> rc.response().putHeader("Content-Type", "application/json")
          .end("[" + ("{\"Id\":1,\"Name\":\"" + "x".repeat(1000) + "\"},").repeat(100) + "{}]");
      case "garbage" -> rc.response().putHeader("Content-Type", "application/json").end("<html>" + SECRET);
      case "no-id" -> rc.json(new JsonArray().add(new JsonObject().put("Name", "x")
          .put("Connector", new JsonObject().put("Id", 1))));
      case "down" -> rc.response().setStatusCode(503).end();
      case "silent" -> { } // never answers
      default -> rc.json(new JsonArray());
    }
  }

  /** Per account: "lost-after" deletes then drops the answer; "lost-before" drops the first DELETE unapplied. */
  private void delete(RoutingContext rc) {
    String id = rc.pathParam("id");
    String account = rc.request().getHeader("X-Cyclr-Account");
    int n = deletes.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    switch (account) {
      case "lost-after" -> {
        installs.remove(id);
        rc.request().connection().close();
      }
      case "lost-before" -> {
        if (n == 1) {
          rc.request().connection().close();
        } else {
          installs.remove(id);
          rc.response().end();
        }
      }
      case "never-answers" -> { } // times out, every time, and deletes nothing
      case "unreadable" -> {
        installs.remove(id);
        rc.response().putHeader("Content-Encoding", "br").end("??");
      }
      default -> rc.response().setStatusCode(500).end();
    }
  }

  private LiveStateReply read(String account) {
    return TestService.await(vertx.eventBus().<LiveStateReply>request(Addresses.GATEWAY_LIVE_STATE,
        new LiveStateRequest(account, CONNECTOR, null))).body();
  }

  private CyclrFailure readFailure(String account) {
    LiveStateReply reply = read(account);
    assertThat(reply.succeeded()).as(account).isFalse();
    assertThat(reply.connectors()).isEmpty();
    assertThat(reply.failure().message()).doesNotContain(SECRET);
    return reply.failure();
  }

  private RemovalReply remove(String account, String id) {
    installs.add(id);
    return TestService.await(vertx.eventBus().<RemovalReply>request(Addresses.GATEWAY_REMOVE,
        new RemovalRequest(account, RemovalKind.CONNECTOR, id))).body();
  }

  @Test
  void listsPastTheBoundsFailAndWillFailAgain() {
    gateway(ANSWER_MS);
    CyclrFailure endless = readFailure("endless");
    assertThat(endless.code()).isEqualTo("CYCLR_TOO_MANY_PAGES");
    assertThat(endless.retryable()).isFalse();
    assertThat(readFailure("one-page-of-thousands").code()).isEqualTo("CYCLR_TOO_MANY_ROWS");
    CyclrFailure huge = readFailure("huge");
    assertThat(huge.code()).isEqualTo("CYCLR_RESPONSE_TOO_LARGE");
    assertThat(huge.retryable()).isFalse();
  }

  @Test
  void garbageIsABadResponseThatQuotesNothing() {
    gateway(ANSWER_MS);
    for (String account : new String[] {"garbage", "no-id"}) {
      CyclrFailure f = readFailure(account);
      assertThat(f.code()).as(account).isEqualTo("CYCLR_BAD_RESPONSE");
      assertThat(f.retryable()).isFalse();
    }
  }

  @Test
  void aCyclrThatIsDownOrSilentFailsInBoundedTimeAndMayBeTriedLater() {
    gateway(SILENCE_MS);
    long start = System.nanoTime();
    CyclrFailure down = readFailure("down");
    assertThat(down.code()).isEqualTo("CYCLR_UNAVAILABLE");
    assertThat(down.retryable()).isTrue();
    CyclrFailure silent = readFailure("silent");
    assertThat(silent.code()).isEqualTo("CYCLR_UNAVAILABLE");
    assertThat(silent.retryable()).isTrue();
    assertThat((System.nanoTime() - start) / 1_000_000).as("ms for both").isLessThan(10_000);
  }

  @Test
  void aDeleteWhoseAnswerWasLostIsCheckedNotResent() {
    gateway(ANSWER_MS);
    assertThat(remove("lost-after", "501")).isEqualTo(RemovalReply.REMOVED);
    assertThat(deletes.get("501").get()).isEqualTo(1);
    assertThat(reads.get()).as("checked once").isEqualTo(1);
  }

  @Test
  void aDeleteThatDidNotLandIsSentAgainAfterTheCheck() {
    gateway(ANSWER_MS);
    assertThat(remove("lost-before", "502")).isEqualTo(RemovalReply.REMOVED);
    assertThat(deletes.get("502").get()).isEqualTo(2);
    assertThat(installs).doesNotContain("502");
  }

  @Test
  void anUnreadableAnswerToADeleteIsCheckedToo() {
    gateway(ANSWER_MS);
    assertThat(remove("unreadable", "503")).isEqualTo(RemovalReply.REMOVED);
    assertThat(deletes.get("503").get()).isEqualTo(1);
  }

  @Test
  void aDeleteThatNeverGetsAnAnswerStopsAfterMaxAttemptsAndMayBeTriedLater() {
    gateway(SILENCE_MS);
    RemovalReply reply = remove("never-answers", "504");
    assertThat(reply.outcome()).isEqualTo(RemovalOutcome.FAILED);
    assertThat(reply.failure().code()).isEqualTo("CYCLR_AMBIGUOUS");
    assertThat(reply.failure().retryable()).isTrue();
    assertThat(deletes.get("504").get()).as("gateway.maxAttempts").isEqualTo(2);
    assertThat(reads.get()).isEqualTo(2);
  }

  @Test
  void aServerErrorToADeleteIsAmbiguousUntilChecked() {
    gateway(ANSWER_MS);
    RemovalReply reply = remove("fails", "505");
    assertThat(reply.outcome()).isEqualTo(RemovalOutcome.FAILED);
    assertThat(deletes.get("505").get()).isEqualTo(2);
    assertThat(reply.failure().retryable()).isTrue();
  }
}
