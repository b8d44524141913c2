package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service against a Cyclr stand-in that is not our emulator and differs where cyclr-api.md
 * says "Unknown": pages capped at 10 whatever pageSize asks, ids and expires_in as strings, no
 * connector list endpoint (only /connectors/{name}), timestamps without an offset.
 */
@ExtendWith(VertxExtension.class)
class ForeignStandInTest {

  /** A deliberately different Cyclr: small, strict about headers, quirky in shapes. */
  static final class StandIn {
    final Map<String, List<JsonObject>> installed = new ConcurrentHashMap<>();
    final AtomicInteger installs = new AtomicInteger();
    final AtomicInteger nextId = new AtomicInteger(5000);
    final Map<String, String> signInTokens = new ConcurrentHashMap<>();
    /** Like a proxy timing out: answer 504 at once, while the install lands 400 ms later. */
    volatile boolean lateCommitWith504;
    /** How a committed install is answered (default: the account connector, echoing AuthValue). */
    volatile BiConsumer<RoutingContext, JsonObject> installReply = (rc, ac) -> rc.json(ac);
    Vertx vertx;

    HttpServer start(Vertx vertx) {
      return start(vertx, r -> { });
    }

    /** {@code hostile} adds routes that take precedence over the stand-in's own (a misbehaving Cyclr). */
    HttpServer start(Vertx vertx, Consumer<Router> hostile) {
      this.vertx = vertx;
      Router r = Router.router(vertx);
      r.route().handler(BodyHandler.create());
      hostile.accept(r);
      r.post("/oauth/token").handler(rc -> rc.json(new JsonObject().put("access_token", "tok")
          .put("expires_in", "3600").put("token_type", "bearer")));
      r.route("/v1.0/*").handler(rc -> {
        if (!"Bearer tok".equals(rc.request().getHeader("Authorization"))) {
          rc.response().setStatusCode(401).end();
        } else {
          rc.next();
        }
      });
      r.get("/v1.0/connectors").handler(rc -> rc.response().setStatusCode(404)
          .end(new JsonObject().put("Message", "No such route").encode()));
      r.get("/v1.0/connectors/1").handler(rc -> rc.json(apiKeyConnector()));
      r.get("/v1.0/connectors/:name").handler(rc -> rc.json("Oauth Conn".equals(rc.pathParam("name"))
          ? new JsonArray().add(oauthConnector()) : new JsonArray()));
      r.get("/v1.0/account/connectors").handler(this::list);
      r.post("/v1.0/connectors/:id/install").handler(this::install);
      r.post("/v1.0/accounts/tokens").handler(rc -> {
        // As IIS does: a POST without a length is refused with 411.
        if (rc.request().getHeader("Content-Length") == null) {
          rc.response().setStatusCode(411).end();
          return;
        }
        String token = "t+/=" + nextId.incrementAndGet();
        signInTokens.put(token, account(rc));
        rc.json(new JsonObject().put("Token", token).put("ExpiresAtUtc", "2030-01-01T00:05:00"));
      });
      return TestService.await(vertx.createHttpServer().requestHandler(r).listen(0, "127.0.0.1"));
    }

    static JsonObject apiKeyConnector() {
      return new JsonObject().put("Id", "1").put("Name", "Key Conn").put("Version", "1").put("Status", "Approved")
          .put("AuthType", "ApiKey");
    }

    static JsonObject oauthConnector() {
      return new JsonObject().put("Id", 2).put("Name", "Oauth Conn").put("Version", "1.0").put("Status", "Approved")
          .put("AuthType", "OAuth2").put("OAuth2Type", "AuthorisationCode");
    }

    private static String account(RoutingContext rc) {
      return rc.request().getHeader("X-Cyclr-Account");
    }

    private void list(RoutingContext rc) {
      List<JsonObject> all = installed.getOrDefault(account(rc), List.of());
      int page = Integer.parseInt(rc.queryParams().get("page"));
      int from = (page - 1) * 10;
      List<JsonObject> slice = from >= all.size() ? List.of() : all.subList(from, Math.min(all.size(), from + 10));
      rc.json(new JsonArray(new ArrayList<>(slice)));
    }

    private void install(RoutingContext rc) {
      JsonObject body = rc.body().asJsonObject();
      String id = rc.pathParam("id");
      JsonObject connector = id.equals("1") ? apiKeyConnector() : oauthConnector();
      JsonObject ac = new JsonObject().put("Id", String.valueOf(nextId.incrementAndGet()))
          .put("Name", body.getString("Name")).put("Authenticated", id.equals("1"))
          .put("Connector", new JsonObject().put("Id", connector.getValue("Id")).put("Name", connector.getString("Name")));
      Runnable commit = () -> {
        installed.computeIfAbsent(account(rc), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
            .add(ac);
        installs.incrementAndGet();
      };
      if (lateCommitWith504) {
        rc.response().setStatusCode(504).end();
        vertx.setTimer(400, t -> commit.run());
        return;
      }
      commit.run();
      installReply.accept(rc, ac.copy().put("AuthValue", body.getString("AuthValue")));
    }
  }

  /** The service, configured only as an operator would, pointed at the stand-in. */
  static String deploy(Vertx vertx, HttpServer standIn, Path dir, String apiUrlSuffix) {
    return deploy(vertx, standIn, dir, apiUrlSuffix, c -> { });
  }

  /** As {@link #deploy(Vertx, HttpServer, Path, String)}, with the config changed by {@code config}. */
  static String deploy(Vertx vertx, HttpServer standIn, Path dir, String apiUrlSuffix, Consumer<JsonObject> config) {
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "http.port", 0);
    ConfigLoader.put(conf, "api.authDisabled", true);
    ConfigLoader.put(conf, "cyclr.apiUrl", "http://127.0.0.1:" + standIn.actualPort() + apiUrlSuffix);
    ConfigLoader.put(conf, "cyclr.clientId", "id");
    ConfigLoader.put(conf, "cyclr.clientSecret", "secret");
    ConfigLoader.put(conf, "cyclr.requestTimeoutMs", 3000);
    ConfigLoader.put(conf, "store.url", "sqlite:" + dir.resolve("db.sqlite"));
    config.accept(conf);
    Application app = TestService.await(Application.deploy(vertx, Settings.from(conf)));
    return "http://127.0.0.1:" + app.httpPort();
  }

  /** Submits a job and polls it to a terminal status (deadline, no sleeps). */
  static JsonObject run(Vertx vertx, WebClient http, String base, JsonObject job) {
    JsonObject created = TestService.await(http.postAbs(base + "/v1/jobs").sendJsonObject(job)).bodyAsJsonObject();
    JsonObject done = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      done = TestService.await(http.getAbs(base + "/v1/jobs/" + created.getString("id")).send()).bodyAsJsonObject();
      if (TestService.TERMINAL.contains(done.getString("status"))) {
        break;
      }
      TestService.await(vertx.timer(20));
    }
    return done;
  }

  @Test
  void aGatewayTimeoutWhoseInstallLandsLaterIsNotInstalledTwice(Vertx vertx, @TempDir Path dir) {
    StandIn standIn = new StandIn();
    standIn.lateCommitWith504 = true;
    HttpServer server = standIn.start(vertx);
    String base = deploy(vertx, server, dir, "");
    WebClient http = WebClient.create(vertx);
    JsonArray items = new JsonArray();
    for (int i = 0; i < 5; i++) {
      items.add(new JsonObject().put("account", "late-" + i).put("authValue", "k" + i));
    }
    JsonObject done = run(vertx, http, base, new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("items", items));
    assertThat(done.getString("status")).as(done.encode()).isEqualTo("SUCCEEDED");
    assertThat(standIn.installs.get()).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      assertThat(standIn.installed.get("late-" + i)).hasSize(1);
    }
  }

  @Test
  void onboardsAgainstAQuirkyStandInExactlyOnce(Vertx vertx, @TempDir Path dir) {
    StandIn standIn = new StandIn();
    HttpServer server = standIn.start(vertx);
    // An account that already has 25 other connectors and ours on the third page.
    List<JsonObject> crowded = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 25; i++) {
      crowded.add(new JsonObject().put("Id", "9" + i).put("Name", "Other " + i)
          .put("Connector", new JsonObject().put("Id", 100 + i)));
    }
    crowded.add(new JsonObject().put("Id", "9999").put("Name", "Key Conn").put("Connector",
        new JsonObject().put("Id", "1")));
    standIn.installed.put("crowded", crowded);

    String base = deploy(vertx, server, dir, "/");
    WebClient http = WebClient.create(vertx);

    JsonArray items = new JsonArray().add(new JsonObject().put("account", "crowded").put("authValue", "k"));
    for (int i = 0; i < 20; i++) {
      items.add(new JsonObject().put("account", "acct-" + i).put("authValue", "key-" + i));
      items.add(new JsonObject().put("account", "acct-" + i).put("connector", new JsonObject().put("name", "Oauth Conn")));
    }
    JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("items", items);

    for (int round = 1; round <= 2; round++) {
      JsonObject done = run(vertx, http, base, job);
      JsonObject counts = done.getJsonObject("counts");
      assertThat(done.getString("status")).as(done.encode()).isEqualTo("SUCCEEDED");
      assertThat(counts.getLong("OAUTH_PENDING")).isEqualTo(20);
      if (round == 1) {
        assertThat(counts.getLong("INSTALLED")).isEqualTo(20);
        assertThat(counts.getLong("ALREADY_INSTALLED")).isEqualTo(1); // found on page 3
      } else {
        assertThat(counts.getLong("ALREADY_INSTALLED")).isEqualTo(21);
      }
      JsonObject items1 = TestService.await(http.getAbs(base + "/v1/jobs/" + done.getString("id")
          + "/items?status=OAUTH_PENDING&limit=1").send()).bodyAsJsonObject();
      String url = items1.getJsonArray("items").getJsonObject(0).getJsonObject("oauth").getString("url");
      assertThat(url).contains("/web/connector/updateaccountconnectoroauth?id=50").contains("&token=t%2B%2F%3D")
          .contains("&targetOrigin=https%3A%2F%2Fapp.example.com");
      assertThat(items1.getJsonArray("items").getJsonObject(0).getJsonObject("oauth").getString("expiresAt"))
          .isEqualTo("2030-01-01T00:05:00Z");
    }
    assertThat(standIn.installs.get()).isEqualTo(40);
    assertThat(standIn.installed.get("crowded")).hasSize(26);
    for (int i = 0; i < 20; i++) {
      assertThat(standIn.installed.get("acct-" + i)).hasSize(2);
    }
  }
}
