package io.onboarder.demo;

import ch.qos.logback.classic.Level;
import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.say;

import io.onboarder.Application;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * and an identical second job that installs nothing; then whole integrations: templates installed and
 * activated per tenant (ACTIVE), a tenant whose template waits for a sign-in and turns ACTIVE once it signs
 * in, and one left SETUP_REQUIRED; last a sign-in campaign on short fractional hours: two tenants reminded
 * with their links, then SIGN_IN_EXPIRED, and the job's sign-in funnel; last fleets: planned, applied in steps,
 * then changed behind the service's back (an install deleted, a cycle paused, a grant revoked) and repaired by
 * the reconciler without any request.
 *
 * <p>The demo uses the service as a caller would: it embeds it ({@link Application}, configured by the keys of
 * docs/configuration.md), then talks to it over HTTP and listens on its public event-bus addresses only.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the service against the embedded Cyclr emulator with a sample job.")
public final class Demo implements Callable<Integer> {
  /** Public event-bus addresses (docs/events.md). */
  static final String EVENTS_OAUTH = "onboarder.events.oauth";
  static final String EVENTS_ITEM = "onboarder.events.item";

  @Option(names = "--accounts", description = "tenant accounts in the sample job (default: ${DEFAULT-VALUE})",
      defaultValue = "40")
  int accounts;

  @Option(names = "--latency-ms", description = "emulated Cyclr latency (default: ${DEFAULT-VALUE})",
      defaultValue = "20")
  int latencyMs;

  @Option(names = "--failure-rate", description = "share of Cyclr calls answered 503 (default: ${DEFAULT-VALUE})",
      defaultValue = "0.05")
  double failureRate;

  private Application app;

  @Override
  public Integer call() throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    Path dir = Files.createTempDirectory("cyclr-onboarder-demo");
    Vertx vertx = Application.newVertx();
    try {
      return run(vertx, dir) ? 0 : 1;
    } finally {
      if (app != null) {
        // As an embedder stops it: drain, then close the store, before Vert.x goes.
        app.stop(5_000).await(20, TimeUnit.SECONDS);
      }
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

    // Relay links on the service's own address, and a watch that looks every second (30 s by default).
    int port = freePort();
    JsonObject conf = cyclr.serviceConfig(dir.resolve("demo.db"));
    conf.getJsonObject("http").put("port", port);
    conf.put("api", new JsonObject().put("authDisabled", true).put("publicUrl", "http://127.0.0.1:" + port))
        .put("gateway", new JsonObject().put("maxConcurrency", 16))
        .put("oauth", new JsonObject().put("watchIntervalMs", 1_000))
        // Credential health every 3.6 s (24 h by default), so that a revoked grant is noticed during the demo.
        .put("signIn", new JsonObject().put("healthIntervalHours", 0.001));
    app = Application.deploy(vertx, conf).await(60, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + app.httpPort();
    say("cyclr-onboarder     %s  (store %s)", base, dir.resolve("demo.db"));

    List<JsonObject> links = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(EVENTS_OAUTH, m -> links.add(m.body()))
        .completion().await(5, TimeUnit.SECONDS);
    List<JsonObject> signedIn = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(EVENTS_ITEM, m -> {
      if ("AUTHENTICATED".equals(m.body().getString("status"))) {
        signedIn.add(m.body());
      }
    }).completion().await(5, TimeUnit.SECONDS);

    JsonObject job = SampleJobs.mixedJob(accounts);
    ServiceClient service = new ServiceClient(vertx, base);
    say("");
    say("POST /v1/jobs: %d items (API-key connector by id, Basic connector by id, OAuth2 'Salesforce' by name)",
        job.getJsonArray("items").size());
    JsonObject first = service.submitAndWatch(job);
    if (first == null) {
      return false;
    }

    say("");
    say("Relay links published on %s (one per OAuth install; send them to your tenants, they work for %d days):",
        EVENTS_OAUTH, 7);
    links.sort(Comparator.comparing(l -> l.getString("account")));
    for (JsonObject l : links) {
      say("  %-11s %s", l.getString("account"), l.getString("url"));
    }
    if (!new SignInScenario(vertx, service, cyclr).run(first.getString("id"), links, signedIn)) {
      return false;
    }
    int expectedSignIns = Math.min(2, links.size());

    long installsBefore = cyclr.stats().installs();
    say("");
    say("The same job again: nothing may be installed twice.");
    links.clear();
    JsonObject second = service.submitAndWatch(job);
    if (second == null) {
      return false;
    }
    int secondLinks = links.size();
    long extra = cyclr.stats().installs() - installsBefore;
    long duplicates = cyclr.stats().duplicateInstalls();

    boolean templatesOk = new TemplateScenario(vertx, service, cyclr, accounts).run(links);
    boolean campaignOk = new CampaignScenario(vertx, service, accounts).run();
    boolean fleetsOk = new FleetScenario(vertx, service, cyclr).run();

    say("");
    say("Summary");
    JsonObject firstNow = service.job(first.getString("id"));
    say("  first job   %s  %s", firstNow.getString("status"), compact(firstNow.getJsonObject("counts")));
    say("  second job  %s  %s", second.getString("status"), compact(second.getJsonObject("counts")));
    say("  Cyclr saw   %d requests, %d installs, %d duplicate installs, %d answered 503 (all retried), "
            + "at most %d in flight", cyclr.stats().requests(), cyclr.stats().installs(), duplicates,
        cyclr.stats().failuresInjected(), cyclr.stats().maxInFlight());
    say("  second job  %d new installs; %d fresh relay links for tenants who have not signed in yet", extra,
        secondLinks);
    say("  templates   %d cycles installed, %d duplicate cycles, %d activations", cyclr.stats().cyclesInstalled(),
        cyclr.stats().duplicateCycles(), cyclr.stats().activations());
    say("  took        %.1f s", (System.nanoTime() - t0) / 1e9);
    boolean ok = "SUCCEEDED".equals(first.getString("status")) && "SUCCEEDED".equals(second.getString("status"))
        && extra == 0 && duplicates == 0 && signedIn.size() >= expectedSignIns
        // (tenant-003's sign-in for its template is the same Salesforce connector: the first job sees it too)
        && firstNow.getJsonObject("counts").getLong("AUTHENTICATED") >= expectedSignIns
        && templatesOk && campaignOk && fleetsOk && cyclr.stats().duplicateCycles() == 0;
    say(ok ? "Demo OK." : "Demo FAILED.");
    return ok;
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
