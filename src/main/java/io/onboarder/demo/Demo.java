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
 * (Server-Sent Events), the OAuth links published
 * on the event bus, two tenants "signing in", and an identical second job that installs nothing.
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
    Application app = Application.deploy(vertx, Settings.from(conf)).await(60, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + app.httpPort();
    say("cyclr-onboarder     %s  (store %s)", base, dir.resolve("demo.db"));

    List<JsonObject> links = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> links.add(m.body()))
        .completion().await(5, TimeUnit.SECONDS);

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
    say("Sign-in links published on %s (one per OAuth install; send them to your tenants):", Addresses.EVENTS_OAUTH);
    links.sort(Comparator.comparing(l -> l.getString("account")));
    for (JsonObject l : links) {
      say("  %-11s %s", l.getString("account"), l.getString("url"));
    }
    int signIns = Math.min(2, links.size());
    say("");
    say("Two tenants open their link (the emulator's OAuth page marks the connector authenticated):");
    for (int i = 0; i < signIns; i++) {
      JsonObject l = links.get(i);
      HttpResponse<Buffer> r = http.getAbs(l.getString("url")).followRedirects(false).send()
          .await(10, TimeUnit.SECONDS);
      say("  %-11s -> HTTP %d %s", l.getString("account"), r.statusCode(),
          r.statusCode() == 302 ? "redirect to " + r.getHeader("Location") : "");
    }

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
    say("  first job   %s  %s", first.getString("status"), compact(first.getJsonObject("counts")));
    say("  second job  %s  %s", second.getString("status"), compact(second.getJsonObject("counts")));
    say("  Cyclr saw   %d requests, %d installs, %d duplicate installs, %d answered 503 (all retried), "
            + "at most %d in flight", cyclr.stats().requests(), cyclr.stats().installs(), duplicates,
        cyclr.stats().failuresInjected(), cyclr.stats().maxInFlight());
    say("  second job  %d new installs; %d fresh sign-in links for tenants who have not signed in yet", extra,
        links.size());
    say("  took        %.1f s", (System.nanoTime() - t0) / 1e9);
    boolean ok = "SUCCEEDED".equals(first.getString("status")) && "SUCCEEDED".equals(second.getString("status"))
        && extra == 0 && duplicates == 0;
    say(ok ? "Demo OK." : "Demo FAILED.");
    return ok;
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
