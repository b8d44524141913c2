package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.onboarder.ForeignStandInTest.StandIn;
import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.LogCapture;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The service against Cyclr stand-ins that answer with hostile or broken bodies: every bound holds,
 * only the affected item fails (with a code that says why), an install Cyclr did is never reported
 * failed, no tenant gets a link without an account connector id, and no fragment of a secret leaks.
 */
@ExtendWith(VertxExtension.class)
class CyclrHostileAnswersTest {
  private ListAppender<ILoggingEvent> logs;
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void captureLogs() {
    logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    root.detachAppender(logs);
  }

  /** A started stand-in with hostile routes, the service pointed at it, and an HTTP client. */
  private record Rig(StandIn standIn, String base, WebClient http) {}

  private static Rig rig(Vertx vertx, Path dir, Consumer<Router> hostile, Consumer<JsonObject> config) {
    StandIn standIn = new StandIn();
    HttpServer server = standIn.start(vertx, hostile);
    return new Rig(standIn, ForeignStandInTest.deploy(vertx, server, dir, "", config), WebClient.create(vertx));
  }

  private static JsonObject item(String account, JsonObject connector) {
    return new JsonObject().put("account", account).put("authValue", "key-" + account).put("connector", connector);
  }

  private static JsonObject byId(long id) {
    return new JsonObject().put("id", id);
  }

  private static JsonObject job(JsonObject... items) {
    return new JsonObject().put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
        .put("items", new JsonArray(List.of((Object[]) items)));
  }

  /** Runs the job to its end; its items by account. */
  private static Map<String, JsonObject> runItems(Vertx vertx, Rig rig, JsonObject job) {
    JsonObject done = ForeignStandInTest.run(vertx, rig.http, rig.base, job);
    assertThat(TestService.TERMINAL).as(done.encode()).contains(done.getString("status"));
    JsonObject page = TestService.await(rig.http.getAbs(rig.base + "/v1/jobs/" + done.getString("id")
        + "/items?limit=1000").send()).bodyAsJsonObject();
    Map<String, JsonObject> byAccount = new HashMap<>();
    page.getJsonArray("items").forEach(o -> byAccount.put(((JsonObject) o).getString("account"), (JsonObject) o));
    return byAccount;
  }

  private static String account(RoutingContext rc) {
    return rc.request().getHeader("X-Cyclr-Account");
  }

  /** A route that only takes requests for one account, leaving the others to the stand-in. */
  private static void forAccount(Router r, String path, String account, Consumer<RoutingContext> answer) {
    r.get(path).handler(rc -> {
      if (account.equals(account(rc))) {
        answer.accept(rc);
      } else {
        rc.next();
      }
    });
  }

  /** {"Id":7,"Name":"aaa…"} inflating to {@code inflated} bytes, compressed as it is produced (small heap). */
  private static Buffer gzipBomb(long inflated) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536)) {
      gz.write("{\"Id\":7,\"Status\":\"Approved\",\"Name\":\"".getBytes());
      byte[] chunk = "a".repeat(65536).getBytes();
      for (long n = 0; n < inflated; n += chunk.length) {
        gz.write(chunk);
      }
      gz.write("\"}".getBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Buffer.buffer(out.toByteArray());
  }

  /**
   * Streams {@code total} bytes of a JSON list, minding back-pressure and yielding between batches
   * (so a hang-up is noticed), until done or the client hangs up.
   */
  private static void streamList(Vertx vertx, HttpServerResponse resp, long total, AtomicLong written,
                                 AtomicBoolean hungUp, AtomicBoolean finished) {
    Buffer row = Buffer.buffer("{\"Id\":1,\"Name\":\"" + "x".repeat(4000) + "\",\"Connector\":{\"Id\":99}},");
    resp.setChunked(true).putHeader("Content-Type", "application/json");
    resp.closeHandler(v -> hungUp.set(true));
    resp.write("[");
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      for (int batch = 0; batch < 16 && !hungUp.get() && !resp.writeQueueFull() && written.get() < total; batch++) {
        resp.write(row);
        written.addAndGet(row.length());
      }
      if (hungUp.get()) {
        return;
      }
      if (written.get() >= total) {
        finished.set(true);
        resp.end("{}]");
      } else if (resp.writeQueueFull()) {
        resp.drainHandler(v -> pump[0].run());
      } else {
        vertx.runOnContext(v -> pump[0].run());
      }
    };
    pump[0].run();
  }

  private static JsonArray rows(int from, int n) {
    JsonArray rows = new JsonArray();
    for (int i = 0; i < n; i++) {
      rows.add(new JsonObject().put("Id", from + i).put("Name", "Other " + (from + i))
          .put("Connector", new JsonObject().put("Id", 999)));
    }
    return rows;
  }

  @Test
  void aGzipBombAndA50MbListFailOnlyTheirItemsAsTooLarge(Vertx vertx, @TempDir Path dir) {
    Buffer bomb = gzipBomb(200L * 1024 * 1024);
    List<String> acceptEncodings = new CopyOnWriteArrayList<>();
    AtomicLong written = new AtomicLong();
    AtomicBoolean hungUp = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    Rig rig = rig(vertx, dir, r -> {
      r.route().handler(rc -> {
        acceptEncodings.add(String.valueOf(rc.request().getHeader("Accept-Encoding")));
        rc.next();
      });
      // Sent compressed although the client asked for no compression.
      r.get("/v1.0/connectors/7").handler(rc -> rc.response().putHeader("Content-Encoding", "gzip")
          .putHeader("Content-Type", "application/json").end(bomb));
      forAccount(r, "/v1.0/account/connectors", "huge-list",
          rc -> streamList(vertx, rc.response(), 50L * 1024 * 1024, written, hungUp, finished));
    }, c -> { });

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("bomb", byId(7)), item("huge-list", byId(1)),
        item("fine", byId(1))));

    assertThat(items.get("bomb").getString("status")).isEqualTo("FAILED");
    assertThat(items.get("bomb").getJsonObject("error").getString("code")).isEqualTo("CYCLR_RESPONSE_TOO_LARGE");
    assertThat(items.get("huge-list").getString("status")).isEqualTo("FAILED");
    assertThat(items.get("huge-list").getJsonObject("error").getString("code")).isEqualTo("CYCLR_RESPONSE_TOO_LARGE");
    assertThat(items.get("huge-list").getJsonObject("error").getString("message"))
        .contains("4194304 bytes").contains("CYCLR_MAX_RESPONSE_BYTES");
    assertThat(items.get("fine").getString("status")).isEqualTo("INSTALLED");
    // The 50 MB list was abandoned after the cap: the client hung up before the stand-in could send it all.
    assertThat(hungUp.get()).isTrue();
    assertThat(finished.get()).isFalse();
    assertThat(written.get()).isLessThan(50L * 1024 * 1024);
    assertThat(acceptEncodings).isNotEmpty().allMatch(e -> e.equals("identity"));
    assertThat(rig.standIn.installs.get()).isEqualTo(1);
  }

  @Test
  void endlessFreshPagesStopAtTheLimitAndARepeatingPageStopsAtOnce(Vertx vertx, @TempDir Path dir) {
    Map<String, AtomicInteger> pageRequests = new ConcurrentHashMap<>();
    Rig rig = rig(vertx, dir, r -> {
      forAccount(r, "/v1.0/account/connectors", "endless", rc -> {
        pageRequests.computeIfAbsent("endless", k -> new AtomicInteger()).incrementAndGet();
        int page = Integer.parseInt(rc.queryParams().get("page"));
        rc.response().putHeader("Total-Pages", "1000000");
        rc.json(rows(page * 1000, 50));
      });
      forAccount(r, "/v1.0/account/connectors", "repeat", rc -> {
        pageRequests.computeIfAbsent("repeat", k -> new AtomicInteger()).incrementAndGet();
        rc.response().putHeader("Total-Pages", "1000000");
        rc.json(rows(1, 50));
      });
    }, c -> { });

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("endless", byId(1)), item("repeat", byId(1))));

    JsonObject endless = items.get("endless");
    assertThat(endless.getString("status")).isEqualTo("FAILED");
    assertThat(endless.getJsonObject("error").getString("code")).isEqualTo("CYCLR_TOO_MANY_PAGES");
    assertThat(endless.getJsonObject("error").getString("message")).contains("CYCLR_MAX_PAGES");
    assertThat(pageRequests.get("endless").get()).isEqualTo(100);
    // Page 2 is page 1 again: the list is complete, whatever Total-Pages claims.
    assertThat(items.get("repeat").getString("status")).isEqualTo("INSTALLED");
    assertThat(pageRequests.get("repeat").get()).isEqualTo(2);
    assertThat(rig.standIn.installs.get()).isEqualTo(1);
  }

  @Test
  void tooManyRowsFailTheItemWithAClearCode(Vertx vertx, @TempDir Path dir) {
    Rig rig = rig(vertx, dir, r -> {
      forAccount(r, "/v1.0/account/connectors", "wide", rc -> rc.json(rows(1, 1500)));
      forAccount(r, "/v1.0/account/connectors", "long", rc -> rc.json(rows(Integer.parseInt(
          rc.queryParams().get("page")) * 1000, 50)));
    }, c -> ConfigLoader.put(c, "cyclr.maxRows", 120));

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("wide", byId(1)), item("long", byId(1))));

    assertThat(items.get("wide").getJsonObject("error").getString("code")).isEqualTo("CYCLR_TOO_MANY_ROWS");
    assertThat(items.get("long").getJsonObject("error").getString("code")).isEqualTo("CYCLR_TOO_MANY_ROWS");
    assertThat(items.get("long").getJsonObject("error").getString("message")).contains("CYCLR_MAX_ROWS");
    assertThat(rig.standIn.installs.get()).isZero();
  }

  @Test
  void aMillionDigitNumberInAnAnswerFailsOnlyItsItemAtOnce(Vertx vertx, @TempDir Path dir) {
    String digits = "9".repeat(1_000_000);
    Rig rig = rig(vertx, dir, r -> r.get("/v1.0/connectors/7").handler(rc -> rc.response()
        .putHeader("Content-Type", "application/json").end("{\"Id\": 7, \"Name\": \"Big\", \"Version\": " + digits
            + "}")), c -> { });

    long started = System.nanoTime();
    Map<String, JsonObject> items = runItems(vertx, rig, job(item("big-number", byId(7)), item("fine", byId(1))));

    assertThat((System.nanoTime() - started) / 1_000_000).as("ms for the job").isLessThan(10_000);
    JsonObject error = items.get("big-number").getJsonObject("error");
    assertThat(items.get("big-number").getString("status")).isEqualTo("FAILED");
    assertThat(error.getString("code")).isEqualTo("CYCLR_RESPONSE_TOO_LARGE");
    assertThat(error.getString("message")).contains("a number is longer than 1000 characters");
    assertThat(items.get("fine").getString("status")).isEqualTo("INSTALLED");
  }

  @Test
  void anUnreadable2xxInstallAnswerIsCheckedAtCyclrAndEndsInstalled(Vertx vertx, @TempDir Path dir) {
    Map<String, Consumer<RoutingContext>> replies = Map.of(
        "html", rc -> rc.response().putHeader("Content-Type", "text/html").end("<html><body>OK</body></html>"),
        "truncated", rc -> rc.response().putHeader("Content-Type", "application/json").end("{\"Id\": 50"),
        "array", rc -> rc.response().putHeader("Content-Type", "application/json").end("[{\"Id\": 50}]"),
        "oversized", rc -> rc.response().putHeader("Content-Type", "application/json")
            .end("{\"Id\":1,\"Name\":\"" + "n".repeat(5 * 1024 * 1024) + "\"}"));
    Rig rig = rig(vertx, dir, r -> { }, c -> { });
    rig.standIn.installReply = (rc, ac) -> replies.get(account(rc)).accept(rc);

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("html", byId(1)), item("truncated", byId(1)),
        item("array", byId(1)), item("oversized", byId(1))));

    for (String account : replies.keySet()) {
      assertThat(items.get(account).getString("status")).as(items.get(account).encode()).isEqualTo("INSTALLED");
      assertThat(items.get(account).getLong("accountConnectorId")).isNotNull();
      assertThat(rig.standIn.installed.get(account)).as(account).hasSize(1);
    }
    assertThat(rig.standIn.installs.get()).isEqualTo(4);
    assertThat(logs.list).noneMatch(e -> e.getThrowableProxy() != null);
  }

  @Test
  void anInstallAnswerWithoutIdNeverSendsALinkWithoutOne(Vertx vertx, @TempDir Path dir) {
    List<JsonObject> links = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> links.add(m.body()));
    Rig rig = rig(vertx, dir, r -> {
      // For this account, Cyclr's own list shows the connector without an Id either.
      forAccount(r, "/v1.0/account/connectors", "no-id-anywhere", rc -> rc.json(new JsonArray()));
    }, c -> { });
    rig.standIn.installReply = (rc, ac) -> rc.json(ac.copy().put("Id", null));
    JsonObject oauth = new JsonObject().put("name", "Oauth Conn");

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("found-in-list", oauth),
        item("no-id-anywhere", oauth)));

    JsonObject found = items.get("found-in-list");
    String realId = rig.standIn.installed.get("found-in-list").get(0).getString("Id");
    assertThat(found.getString("status")).isEqualTo("OAUTH_PENDING");
    assertThat(found.getJsonObject("oauth").getString("url")).contains("?id=" + realId + "&");
    JsonObject lost = items.get("no-id-anywhere");
    assertThat(lost.getString("status")).isEqualTo("FAILED");
    assertThat(lost.getJsonObject("error").getString("code")).isEqualTo("CYCLR_NO_ACCOUNT_CONNECTOR_ID");
    assertThat(links).hasSize(1).allMatch(l -> !l.getString("url").contains("id=null"));
    assertThat(rig.standIn.installs.get()).isEqualTo(2);
  }

  @Test
  void aLongAuthValueQuotedByCyclrLeavesNoFragmentInTheErrorTheApiTheEventsOrTheLogs(Vertx vertx,
                                                                                   @TempDir Path dir) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 600; i++) {
      sb.append(Integer.toString(i * 7919 + 104729, 36));
    }
    String secret = sb.substring(0, 600);
    List<String> events = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> events.add(m.body().encode()));
    Rig rig = rig(vertx, dir, r -> r.post("/v1.0/connectors/1/install").handler(rc -> rc.response()
        .setStatusCode(400).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("Message", "The AuthValue '" + rc.body().asJsonObject().getString("AuthValue")
            + "' is not valid for this connector.").encode())), c -> { });

    JsonObject done = ForeignStandInTest.run(vertx, rig.http, rig.base, job(new JsonObject().put("account", "leaky")
        .put("authValue", secret).put("connector", byId(1))));
    String api = TestService.await(rig.http.getAbs(rig.base + "/v1/jobs/" + done.getString("id") + "/items").send())
        .bodyAsString();

    JsonObject error = new JsonObject(api).getJsonArray("items").getJsonObject(0).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("CYCLR_4XX");
    assertThat(error.getString("message")).startsWith("The AuthValue '[redacted]' is not valid");
    StringBuilder logText = new StringBuilder();
    logs.list.forEach(e -> logText.append(e.getFormattedMessage()).append('\n'));
    // The lines as the service writes them, JSON and text: key-values and error fields included.
    String json = LogCapture.encode(logs.list, "json");
    String text = LogCapture.encode(logs.list, "text");
    assertThat(LogCapture.lines(json)).anySatisfy(line -> assertThat(line.getString("message"))
        .contains("CYCLR_4XX").contains("[redacted]"));
    assertThat(events).isNotEmpty();
    for (int i = 0; i + 12 <= secret.length(); i++) {
      String fragment = secret.substring(i, i + 12);
      assertThat(api).doesNotContain(fragment);
      assertThat(String.join("\n", events)).doesNotContain(fragment);
      assertThat(logText).doesNotContain(fragment);
      assertThat(json).doesNotContain(fragment);
      assertThat(text).doesNotContain(fragment);
    }
  }

  @Test
  void aTokenEndpointRefusingTheSecretSaysWhichSettingsToCheck(Vertx vertx, @TempDir Path dir) {
    Rig rig = rig(vertx, dir, r -> r.post("/oauth/token").handler(rc -> rc.response().setStatusCode(400)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", "invalid_client").put("error_description", "bad secret 'secret'")
            .encode())), c -> { });

    Map<String, JsonObject> items = runItems(vertx, rig, job(item("t-1", byId(1)), item("t-2", byId(1)),
        item("t-3", byId(1))));

    for (JsonObject item : items.values()) {
      JsonObject error = item.getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("CYCLR_AUTH_FAILED");
      assertThat(error.getString("message")).contains("invalid_client").contains("CYCLR_CLIENT_ID")
          .contains("CYCLR_CLIENT_SECRET");
    }
    assertThat(rig.standIn.installs.get()).isZero();
    // One line per failed item, no stack traces.
    assertThat(logs.list).noneMatch(e -> e.getThrowableProxy() != null);
    assertThat(logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .filter(e -> e.getFormattedMessage().contains("CYCLR_AUTH_FAILED")).count()).isEqualTo(3);
  }
}
