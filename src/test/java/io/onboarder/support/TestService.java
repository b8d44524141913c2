package io.onboarder.support;

import io.onboarder.Application;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A Cyclr emulator plus the service on free ports, over a database in a test's temp dir, and an
 * HTTP client with helpers. Tests call it from the JUnit thread and await futures (never sleep).
 */
public final class TestService implements AutoCloseable {
  public static final String TOKEN = "test-token";
  public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");

  public final Vertx vertx;
  public final CyclrEmulator cyclr;
  public final Path dbDir;
  public Application app;
  public final WebClient http;
  private final JsonObject conf;

  private TestService(Vertx vertx, CyclrEmulator cyclr, Path dbDir, JsonObject conf) {
    this.vertx = vertx;
    this.cyclr = cyclr;
    this.dbDir = dbDir;
    this.conf = conf;
    this.http = WebClient.create(vertx);
  }

  /** Starts an emulator (tuned by {@code emulator}) and the service (config tuned by {@code config}). */
  public static TestService start(Vertx vertx, Path dir, Consumer<EmulatorOptions> emulator,
                                  Consumer<JsonObject> config) {
    return start(vertx, vertx, dir, emulator, config);
  }

  /** Emulator on {@code emulatorVertx}, service on {@code serviceVertx} (so the service can die alone). */
  public static TestService start(Vertx emulatorVertx, Vertx serviceVertx, Path dir,
                                  Consumer<EmulatorOptions> emulator, Consumer<JsonObject> config) {
    return start(emulatorVertx, serviceVertx, dir, emulator, config, io.onboarder.time.Clock.of(serviceVertx));
  }

  /** As {@link #start(Vertx, Path, Consumer, Consumer)}, the fleet loop on {@code fleetClock} (a virtual one). */
  public static TestService start(Vertx vertx, Path dir, Consumer<EmulatorOptions> emulator,
                                  Consumer<JsonObject> config, io.onboarder.time.Clock fleetClock) {
    return start(vertx, vertx, dir, emulator, config, fleetClock);
  }

  private static TestService start(Vertx emulatorVertx, Vertx serviceVertx, Path dir,
                                   Consumer<EmulatorOptions> emulator, Consumer<JsonObject> config,
                                   io.onboarder.time.Clock fleetClock) {
    EmulatorOptions eo = new EmulatorOptions();
    emulator.accept(eo);
    CyclrEmulator cyclr = new CyclrEmulator(emulatorVertx, eo);
    await(cyclr.start(0));
    Vertx vertx = serviceVertx;
    JsonObject conf = cyclr.serviceConfig(dir.resolve("onboarder.db"));
    ConfigLoader.put(conf, "api.tokens", TOKEN);
    ConfigLoader.put(conf, "cyclr.requestTimeoutMs", 2000);
    ConfigLoader.put(conf, "gateway.maxConcurrency", 8);
    ConfigLoader.put(conf, "gateway.breakerOpenMs", 200);
    config.accept(conf);
    String store = conf.getJsonObject("store").getString("url");
    if (store.startsWith("sqlite:")) {
      io.onboarder.store.SchemaTemplates.sqliteAt(Path.of(store.substring("sqlite:".length())));
    }
    TestService s = new TestService(vertx, cyclr, dir, conf);
    s.app = await(Application.deploy(vertx, Settings.from(conf), fleetClock));
    return s;
  }

  public static TestService start(Vertx vertx, Path dir) {
    return start(vertx, dir, e -> { }, c -> { });
  }

  public JsonObject config() {
    return conf;
  }

  /**
   * Relay links on: a free HTTP port chosen now, so that {@code PUBLIC_URL} can name it before the
   * service starts (a test config consumer).
   */
  public static void relayLinks(JsonObject conf) {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    ConfigLoader.put(conf, "http.port", port);
    ConfigLoader.put(conf, "api.publicUrl", "http://127.0.0.1:" + port);
  }

  public String base() {
    return "http://127.0.0.1:" + app.httpPort();
  }

  public HttpResponse<Buffer> post(String path, JsonObject body) {
    return await(http.postAbs(base() + path).bearerTokenAuthentication(TOKEN)
        .putHeader("Content-Type", "application/json").sendBuffer(body == null ? Buffer.buffer() : body.toBuffer()));
  }

  public HttpResponse<Buffer> get(String path) {
    return await(http.getAbs(base() + path).bearerTokenAuthentication(TOKEN).send());
  }

  /** Submits over HTTP, expecting 202; returns the job id. */
  public String submit(JsonObject job) {
    HttpResponse<Buffer> r = post("/v1/jobs", job);
    if (r.statusCode() != 202) {
      throw new AssertionError("expected 202, got " + r.statusCode() + ": " + r.bodyAsString());
    }
    return r.bodyAsJsonObject().getString("id");
  }

  public JsonObject job(String id) {
    return get("/v1/jobs/" + id).bodyAsJsonObject();
  }

  /** Polls the job until it is terminal (deadline, not sleep-and-hope). */
  public JsonObject awaitJob(String id, Duration timeout) {
    return poll(() -> job(id), j -> TERMINAL.contains(j.getString("status")), timeout,
        "job " + id + " to finish");
  }

  public JsonObject awaitJob(String id) {
    return awaitJob(id, Duration.ofSeconds(60));
  }

  /** Every item of a job, following the cursor. */
  public List<JsonObject> items(String id, String status) {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    do {
      String q = "/v1/jobs/" + id + "/items?limit=1000" + (status == null ? "" : "&status=" + status)
          + (cursor == null ? "" : "&cursor=" + cursor);
      JsonObject page = get(q).bodyAsJsonObject();
      page.getJsonArray("items").forEach(o -> all.add((JsonObject) o));
      cursor = page.getString("next");
    } while (cursor != null);
    return all;
  }

  public <T> T poll(Supplier<T> probe, java.util.function.Predicate<T> done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (done.test(last)) {
        return last;
      }
      await(vertx.timer(20));
    }
    throw new AssertionError("timed out waiting for " + what + "; last: " + last);
  }

  /**
   * Kills the service's Vert.x without draining (items stay RUNNING, buffered outcomes are lost, as
   * in a crash) and starts a new service on {@code next} over the same database and emulator.
   */
  public TestService crashAndRestart(Vertx next) {
    return crashAndRestart(next, c -> { });
  }

  /** As {@link #crashAndRestart(Vertx)}, with the configuration changed for the new service. */
  public TestService crashAndRestart(Vertx next, Consumer<JsonObject> change) {
    await(app.vertx().close());
    JsonObject changed = conf.copy();
    change.accept(changed);
    TestService s = new TestService(next, cyclr, dbDir, changed);
    s.app = await(Application.deploy(next, Settings.from(changed)));
    return s;
  }

  /**
   * A second node beside this one: the same configuration (store, emulator) deployed on {@code other}, as
   * another replica sharing the database would run (for a PostgreSQL store).
   */
  public TestService anotherNode(Vertx other) {
    TestService s = new TestService(other, cyclr, dbDir, conf.copy());
    s.app = await(Application.deploy(other, Settings.from(conf)));
    return s;
  }

  public static <T> T await(io.vertx.core.Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    http.close();
  }

  /** A job of {@code n} API-key installs into accounts prefix-001…; connector 1 by id. */
  public static JsonObject apiKeyJob(String prefix, int n) {
    JsonArray items = new JsonArray();
    for (int i = 1; i <= n; i++) {
      items.add(new JsonObject().put("account", String.format("%s-%04d", prefix, i))
          .put("authValue", "secret-key-" + prefix + "-" + i));
    }
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items);
  }
}
