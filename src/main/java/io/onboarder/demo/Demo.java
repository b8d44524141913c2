package io.onboarder.demo;

import ch.qos.logback.classic.Level;
import io.onboarder.Application;
import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the embedded Cyclr emulator and the service on free ports, a sample bulk job of
 * API-key, Basic and OAuth installs submitted over HTTP, live progress from the job's event stream
 * (Server-Sent Events), the OAuth links published on the event bus as relay links, two tenants signing in
 * through them (one noticed on its return, one by the sign-in watch) and their items turning AUTHENTICATED,
 * and an identical second job that installs nothing.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the service against the embedded Cyclr emulator with a sample job.")
public final class Demo implements Callable<Integer> {

  @Option(names = "--accounts", description = "tenant accounts in the sample job (default: ${DEFAULT-VALUE})",
      defaultValue = "40")
  int accounts;

  @Option(names = "--latency-ms", description = "emulated Cyclr latency (default: ${DEFAULT-VALUE})",
      defaultValue = "20")
  int latencyMs;

  @Option(names = "--failure-rate", description = "share of Cyclr calls answered 503 (default: ${DEFAULT-VALUE})",
      defaultValue = "0.05")
  double failureRate;

  @Override
  public Integer call() throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    Path dir = Files.createTempDirectory("cyclr-onboarder-demo");
    Vertx vertx = Application.newVertx();
    try {
      return run(vertx, dir) ? 0 : 1;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private boolean run(Vertx vertx, Path dir) throws Exception {
    long t0 = System.nanoTime();
    EmulatorOptions eo = new EmulatorOptions();
    eo.setLatencyMs(latencyMs);
    eo.setLatencyJitterMs(latencyMs / 2);
    eo.setFailureRate(failureRate);
    CyclrEmulator cyclr = new CyclrEmulator(vertx, eo);
    cyclr.start(0).await(10, TimeUnit.SECONDS);
    say("Cyclr emulator      %s  (latency %d ms, %.0f %% of calls answered 503)", cyclr.apiUrl(), latencyMs,
        failureRate * 100);

    JsonObject conf = cyclr.serviceConfig(dir.resolve("demo.db"));
    ConfigLoader.put(conf, "api.authDisabled", true);
    ConfigLoader.put(conf, "gateway.maxConcurrency", 16);
    // Relay links on the service's own address, and a watch that looks every second (30 s by default).
    int port = freePort();
    ConfigLoader.put(conf, "http.port", port);
    ConfigLoader.put(conf, "api.publicUrl", "http://127.0.0.1:" + port);
    ConfigLoader.put(conf, "oauth.watchIntervalMs", 1_000);
    Application app = Application.deploy(vertx, Settings.from(conf)).await(60, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + app.httpPort();
    say("cyclr-onboarder     %s  (store %s)", base, dir.resolve("demo.db"));

    List<JsonObject> links = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> links.add(m.body()))
        .completion().await(5, TimeUnit.SECONDS);
    List<JsonObject> signedIn = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> {
      if ("AUTHENTICATED".equals(m.body().getString("status"))) {
        signedIn.add(m.body());
      }
    }).completion().await(5, TimeUnit.SECONDS);

    JsonObject job = sampleJob();
    WebClient http = WebClient.create(vertx);
    say("");
    say("POST /v1/jobs: %d items (API-key connector by id, Basic connector by id, OAuth2 'Salesforce' by name)",
        job.getJsonArray("items").size());
    JsonObject first = submitAndWatch(vertx, http, base, job);
    if (first == null) {
      return false;
    }

    say("");
    say("Relay links published on %s (one per OAuth install; send them to your tenants, they work for %d days):",
        Addresses.EVENTS_OAUTH, 7);
    links.sort(Comparator.comparing(l -> l.getString("account")));
    for (JsonObject l : links) {
      say("  %-11s %s", l.getString("account"), l.getString("url"));
    }
    if (!signInTwoTenants(vertx, http, cyclr, base, first.getString("id"), links, signedIn)) {
      return false;
    }
    int expectedSignIns = Math.min(2, links.size());

    long installsBefore = cyclr.stats().installs();
    say("");
    say("The same job again: nothing may be installed twice.");
    links.clear();
    JsonObject second = submitAndWatch(vertx, http, base, job);
    if (second == null) {
      return false;
    }
    long extra = cyclr.stats().installs() - installsBefore;
    long duplicates = cyclr.stats().duplicateInstalls();

    say("");
    say("Summary");
    JsonObject firstNow = http.getAbs(base + "/v1/jobs/" + first.getString("id")).send().await(10, TimeUnit.SECONDS)
        .bodyAsJsonObject();
    say("  first job   %s  %s", firstNow.getString("status"), compact(firstNow.getJsonObject("counts")));
    say("  second job  %s  %s", second.getString("status"), compact(second.getJsonObject("counts")));
    say("  Cyclr saw   %d requests, %d installs, %d duplicate installs, %d answered 503 (all retried), "
            + "at most %d in flight", cyclr.stats().requests(), cyclr.stats().installs(), duplicates,
        cyclr.stats().failuresInjected(), cyclr.stats().maxInFlight());
    say("  second job  %d new installs; %d fresh relay links for tenants who have not signed in yet", extra,
        links.size());
    say("  took        %.1f s", (System.nanoTime() - t0) / 1e9);
    boolean ok = "SUCCEEDED".equals(first.getString("status")) && "SUCCEEDED".equals(second.getString("status"))
        && extra == 0 && duplicates == 0 && signedIn.size() >= expectedSignIns
        && firstNow.getJsonObject("counts").getLong("AUTHENTICATED") == expectedSignIns;
    say(ok ? "Demo OK." : "Demo FAILED.");
    return ok;
  }

  /**
   * tenant-001 opens its link, clicks Connect, signs in at Cyclr and comes back: noticed at the return.
   * tenant-002 signs in and closes the window: noticed by the sign-in watch.
   */
  private boolean signInTwoTenants(Vertx vertx, WebClient http, CyclrEmulator cyclr, String base, String jobId,
                                   List<JsonObject> links, List<JsonObject> signedIn) throws Exception {
    if (links.size() < 2) {
      return true;
    }
    say("");
    say("tenant-001 opens its link in a browser:");
    String link = links.get(0).getString("url");
    long minted = cyclr.stats().signInTokensIssued();
    HttpResponse<Buffer> page = browse(http, "GET", link);
    say("  GET  /connect/…       -> %d, a page with a Connect button (Cyclr tokens minted: %d; a mail filter "
        + "opening the link burns nothing)", page.statusCode(), cyclr.stats().signInTokensIssued() - minted);
    HttpResponse<Buffer> connect = browse(http, "POST", link);
    say("  POST /connect/…       -> %d to Cyclr's sign-in page, with a token minted just now (minted: %d)",
        connect.statusCode(), cyclr.stats().signInTokensIssued() - minted);
    HttpResponse<Buffer> atCyclr = browse(http, "GET", connect.getHeader("Location"));
    say("  Cyclr sign-in page    -> %d back to %s", atCyclr.statusCode(),
        atCyclr.getHeader("Location") == null ? "?" : atCyclr.getHeader("Location").replace(link, "/connect/…"));
    HttpResponse<Buffer> done = browse(http, "GET", link + "/done");
    say("  GET  /connect/…/done  -> %d to %s (checked at Cyclr at once)", done.statusCode(),
        done.getHeader("Location"));
    HttpResponse<Buffer> again = browse(http, "GET", link);
    say("  the link again        -> %d, \"%s\"", again.statusCode(),
        again.bodyAsString().contains("is connected") ? "Salesforce is connected" : "?");

    say("");
    say("tenant-002 signs in at Cyclr and closes the window before coming back:");
    String link2 = links.get(1).getString("url");
    HttpResponse<Buffer> atCyclr2 = browse(http, "GET", browse(http, "POST", link2).getHeader("Location"));
    say("  Cyclr sign-in page    -> %d (the browser never returns to /done)", atCyclr2.statusCode());
    long t0 = System.nanoTime();
    long deadline = System.currentTimeMillis() + 30_000;
    while (signedIn.size() < 2 && System.currentTimeMillis() < deadline) {
      vertx.timer(100).await();
    }
    if (signedIn.size() < 2) {
      say("the sign-in watch did not notice tenant-002 in time");
      return false;
    }
    say("  the sign-in watch noticed it %.1f s later (it polls GET /v1.0/account/connectors/{id}, backing off)",
        (System.nanoTime() - t0) / 1e9);
    say("");
    say("Published on %s:", Addresses.EVENTS_ITEM);
    signedIn.stream().sorted(Comparator.comparing(e -> e.getString("account")))
        .forEach(e -> say("  %-11s %s", e.getString("account"), e.getString("status")));
    JsonObject s = http.getAbs(base + "/v1/jobs/" + jobId).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
    say("  job %s  %s", s.getString("status"), compact(s.getJsonObject("counts")));
    return true;
  }

  private static HttpResponse<Buffer> browse(WebClient http, String method, String url) throws Exception {
    return http.requestAbs(io.vertx.core.http.HttpMethod.valueOf(method), url).followRedirects(false).send()
        .await(30, TimeUnit.SECONDS);
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private JsonObject submitAndWatch(Vertx vertx, WebClient http, String base, JsonObject job) throws Exception {
    HttpResponse<Buffer> created = http.postAbs(base + "/v1/jobs").putHeader("Content-Type", "application/json")
        .sendBuffer(job.toBuffer()).await(30, TimeUnit.SECONDS);
    if (created.statusCode() != 202) {
      say("submit failed: HTTP %d %s", created.statusCode(), created.bodyAsString());
      return null;
    }
    String location = created.getHeader("Location");
    say("  202 Accepted, Location: %s", location);
    say("  live progress from GET %s/events (Server-Sent Events):", location);
    try {
      return watch(vertx, base + location + "/events").await(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      say("the job did not finish in time");
      return null;
    }
  }

  /**
   * Follows the job's event stream: item events move the counts, job events carry the summary; a line
   * is printed on each job event and every quarter of the items. Completes with the final summary.
   */
  private Future<JsonObject> watch(Vertx vertx, String url) {
    io.vertx.core.Promise<JsonObject> done = io.vertx.core.Promise.promise();
    io.vertx.core.http.HttpClient client = vertx.createHttpClient();
    java.util.Map<String, String> statusOf = new java.util.HashMap<>();
    JsonObject counts = new JsonObject();
    long[] total = {0};
    long[] printedAt = {-1};
    String[] jobStatus = {"PENDING"};
    Runnable print = () -> {
      long finished = counts.fieldNames().stream().filter(k -> !k.equals("PENDING") && !k.equals("RUNNING"))
          .mapToLong(k -> counts.getLong(k)).sum();
      printedAt[0] = finished;
      say("  %-9s %3d/%d  %s", jobStatus[0], finished, total[0], compact(counts));
    };
    StringBuilder block = new StringBuilder();
    io.vertx.core.parsetools.RecordParser lines = io.vertx.core.parsetools.RecordParser.newDelimited("\n", line -> {
      String l = line.toString();
      if (!l.isEmpty()) {
        block.append(l).append('\n');
        return;
      }
      String event = null;
      JsonObject data = null;
      for (String f : block.toString().split("\n")) {
        if (f.startsWith("event: ")) {
          event = f.substring(7);
        } else if (f.startsWith("data: ")) {
          data = new JsonObject(f.substring(6));
        }
      }
      block.setLength(0);
      if ("job".equals(event) && data != null) {
        total[0] = data.getLong("total");
        jobStatus[0] = data.getString("status");
        counts.clear();
        data.getJsonObject("counts").forEach(e -> counts.put(e.getKey(), e.getValue()));
        print.run();
        if (List.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED").contains(jobStatus[0])) {
          done.tryComplete(data);
        }
      } else if ("item".equals(event) && data != null && total[0] > 0) {
        String before = statusOf.put(data.getString("itemId"), data.getString("status"));
        counts.put(before == null ? "PENDING" : before, counts.getLong(before == null ? "PENDING" : before, 0L) - 1);
        counts.put(data.getString("status"), counts.getLong(data.getString("status"), 0L) + 1);
        long finished = total[0] - counts.getLong("PENDING", 0L) - counts.getLong("RUNNING", 0L);
        if (finished - printedAt[0] >= Math.max(1, total[0] / 4) && finished < total[0]) {
          print.run();
        }
      }
    });
    client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url).putHeader("Accept", "text/event-stream"))
        .compose(req -> req.send())
        .onSuccess(resp -> {
          resp.handler(lines);
          resp.endHandler(v -> done.tryFail("the event stream ended before the job finished"));
        })
        .onFailure(done::tryFail);
    return done.future().eventually(client::close);
  }

  private JsonObject sampleJob() {
    JsonArray items = new JsonArray();
    int oauth = Math.max(1, accounts / 5);
    int basic = Math.max(1, accounts / 8);
    for (int i = 1; i <= accounts; i++) {
      String account = String.format("tenant-%03d", i);
      if (i <= oauth) {
        items.add(new JsonObject().put("account", account)
            .put("connector", new JsonObject().put("name", "Salesforce")));
      } else if (i <= oauth + basic) {
        String basicAuth = Base64.getEncoder().encodeToString(("user-" + i + ":demo-password-" + i)
            .getBytes(StandardCharsets.UTF_8));
        items.add(new JsonObject().put("account", account).put("authValue", basicAuth)
            .put("connector", new JsonObject().put("id", 3)));
      } else {
        items.add(new JsonObject().put("account", account).put("authValue", "demo-api-key-" + i)
            .put("properties", new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu"))));
      }
    }
    return new JsonObject()
        .put("connector", new JsonObject().put("id", 1))
        .put("description", "Installed by the cyclr-onboarder demo")
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
        .put("items", items);
  }

  private static String compact(JsonObject counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach(e -> {
      if (((Number) e.getValue()).longValue() > 0) {
        parts.add(e.getKey() + " " + e.getValue());
      }
    });
    return String.join(", ", parts);
  }

  private static void say(String format, Object... args) {
    System.out.println(String.format(format, args));
  }

}
