package io.onboarder.demo;

import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.say;

import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.TenantChanges;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Fleets: two desired states declared once ({@code acme-sync}: API-key tenants with the template "API Key Sync"
 * active hourly; {@code acme-crm}: OAuth2 Salesforce tenants), planned (a dry run), applied in steps of 10 %,
 * 50 % and 100 % as ordinary jobs; one CRM tenant signs in through its relay link. Then someone changes Cyclr
 * behind the service's back (an install deleted, a cycle paused, a grant revoked) and, without anyone submitting
 * anything, the reconciler (every 10 s here) finds the drift ({@code fleet.drifted}) and repairs it: reinstall,
 * reactivate, a fresh sign-in link ({@code fleet.converged}).
 */
final class FleetScenario {
  private static final String EVENTS_FLEET = "onboarder.events.fleet";
  private static final int SYNC_TENANTS = 10;

  private final Vertx vertx;
  private final ServiceClient service;
  private final CyclrEmulator cyclr;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private long t0;

  FleetScenario(Vertx vertx, ServiceClient service, CyclrEmulator cyclr) {
    this.vertx = vertx;
    this.service = service;
    this.cyclr = cyclr;
  }

  /** True when both fleets converged, then drifted and were repaired without a request. */
  boolean run() throws Exception {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(EVENTS_FLEET,
        m -> events.add(m.body().copy().put("after", seconds())));
    consumer.completion().await(5, TimeUnit.SECONDS);
    try (TenantChanges changes = TenantChanges.at(vertx, cyclr)) {
      return fleets(changes);
    } finally {
      consumer.unregister();
    }
  }

  private boolean fleets(TenantChanges changes) throws Exception {
    say("");
    say("Fleets: declare the tenants once, see the plan, apply it in stages; the service keeps it true.");
    JsonArray syncTenants = new JsonArray();
    for (int i = 1; i <= SYNC_TENANTS; i++) {
      syncTenants.add(new JsonObject().put("account", String.format("sync-%02d", i)).put("authValue", "demo-api-key-s"
          + i));
    }
    JsonObject sync = fleet(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("template", new JsonObject().put("name", "API Key Sync"))
        .put("activate", new JsonObject().put("interval", 60)), syncTenants);
    JsonObject crm = fleet(new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")), new JsonArray()
        .add(new JsonObject().put("account", "crm-01")).add(new JsonObject().put("account", "crm-02")));
    say("PUT /v1/fleets/acme-sync  %d API-key tenants, template 'API Key Sync' active hourly", SYNC_TENANTS);
    say("PUT /v1/fleets/acme-crm   2 tenants of the OAuth2 'Salesforce' connector");
    say("  policy: rollout steps 10 %%, 50 %%, 100 %%; reconcile every 10 s; autoRepair");
    if (!put("acme-sync", sync) || !put("acme-crm", crm) || !planAndApply("acme-sync") || !planAndApply("acme-crm")) {
      return false;
    }
    // Applied: a plan now has nothing to do.
    say("POST /v1/fleets/acme-sync/plan: %s", compact(post("/v1/fleets/acme-sync/plan", 200)
        .getJsonObject("summary")));
    // crm-01 signs in through its relay link; a plan (a dry run) then sees it signed in.
    JsonObject tenant = tenant("acme-crm", "crm-01");
    String link = tenant.getString("url");
    HttpResponse<Buffer> connect = service.browse("POST", link);
    service.browse("GET", connect.getHeader("Location"));
    service.browse("GET", link + "/done");
    JsonObject replanned = post("/v1/fleets/acme-crm/plan", 200);
    say("  crm-01 signs in through its link; POST /v1/fleets/acme-crm/plan: %s (crm-02 waits for its sign-in)",
        compact(replanned.getJsonObject("summary")));

    say("");
    say("Behind the service's back, someone changes Cyclr (through its public API):");
    JsonObject deleted = cyclr.accountConnectors("sync-03").get(0);
    changes.deleteInstall("sync-03", deleted.getLong("Id")).await(10, TimeUnit.SECONDS);
    say("  sync-03  install deleted   DELETE /v1.0/account/connectors/%d", deleted.getLong("Id"));
    String cycleId = cyclr.cycles("sync-07").get(0).getString("Id");
    changes.deactivateCycle("sync-07", cycleId).await(10, TimeUnit.SECONDS);
    say("  sync-07  cycle paused      PUT /v1.0/cycles/%s/deactivate", cycleId);
    long revoked = cyclr.accountConnectors("crm-01").get(0).getLong("Id");
    changes.deauthenticate("crm-01", revoked).await(10, TimeUnit.SECONDS);
    say("  crm-01   grant revoked     PUT /v1.0/account/connectors/%d/deauthenticate", revoked);
    say("Nobody submits anything. On %s (the reconciler of each fleet, every 10 s, one node at a time):",
        EVENTS_FLEET);
    events.clear();
    t0 = System.nanoTime();
    // Repaired: both fleets drifted and are CONVERGED again, and Cyclr shows each repair (a reconcile that came
    // between two of the changes finds the rest at its next turn).
    boolean repaired = waitFor(() -> drifted("acme-sync") && drifted("acme-crm") && status("acme-sync")
        .equals("CONVERGED") && status("acme-crm").equals("CONVERGED") && cyclr.accountConnectors("sync-03").size() == 1
        && "Active".equals(cyclr.cycles("sync-07").get(0).getString("Status")) && !link.equals(url("crm-01")), 60_000);
    for (JsonObject e : events) {
      say("  %4.1f s  %-15s %-9s %s", e.getDouble("after"), e.getString("type"), e.getString("fleet"),
          e.getString("type").equals("fleet.drifted") ? e.getJsonObject("summary").encode()
              : compact(e.getJsonObject("summary")));
    }
    if (!repaired) {
      say("the drift was not found and repaired in time");
      return false;
    }
    JsonObject syncNow = service.get("/v1/fleets/acme-sync");
    JsonObject crmNow = service.get("/v1/fleets/acme-crm");
    JsonObject crm01 = tenant("acme-crm", "crm-01");
    say("  acme-sync %s  %s; sync-03 installed again (%d install), sync-07's cycle %s",
        syncNow.getString("status"), compact(syncNow.getJsonObject("tenants")),
        cyclr.accountConnectors("sync-03").size(), cyclr.cycles("sync-07").get(0).getString("Status"));
    say("  acme-crm  %s  %s; crm-01 has a fresh sign-in link (%s):", crmNow.getString("status"),
        compact(crmNow.getJsonObject("tenants")), crm01.getString("state"));
    say("            %s", crm01.getString("url"));
    return "WAITING_SIGN_IN".equals(crm01.getString("state"));
  }

  private static JsonObject fleet(JsonObject fields, JsonArray tenants) {
    return fields.put("createAccounts", true).put("tenants", tenants).put("policy", new JsonObject()
        .put("reconcileIntervalSeconds", 10)
        .put("rollout", new JsonObject().put("steps", new JsonArray().add(10).add(50).add(100))
            .put("pauseSeconds", 0)));
  }

  private boolean put(String name, JsonObject spec) throws Exception {
    HttpResponse<Buffer> r = service.call(HttpMethod.PUT, "/v1/fleets/" + name, spec);
    if (r.statusCode() != 201) {
      say("PUT /v1/fleets/%s failed: HTTP %d %s", name, r.statusCode(), r.bodyAsString());
      return false;
    }
    return true;
  }

  private JsonObject post(String path, int expected) throws Exception {
    HttpResponse<Buffer> r = service.call(HttpMethod.POST, path, null);
    if (r.statusCode() != expected) {
      throw new IllegalStateException("POST " + path + ": HTTP " + r.statusCode() + " " + r.bodyAsString());
    }
    return r.bodyAsJsonObject();
  }

  /** Plans the fleet (a dry run), shows the plan, applies it and follows its steps to CONVERGED. */
  private boolean planAndApply(String name) throws Exception {
    JsonObject plan = post("/v1/fleets/" + name + "/plan", 200);
    JsonObject page = service.get("/v1/fleets/" + name + "/plans/" + plan.getString("planId") + "/actions?limit=3");
    List<String> lines = new ArrayList<>();
    page.getJsonArray("items").forEach(o -> lines.add(((JsonObject) o).getString("account")));
    say("POST /v1/fleets/%s/plan (reads Cyclr, changes nothing): %s", name, compact(plan.getJsonObject("summary")));
    say("  + install %s, … (%s)", String.join(", ", lines), page.getJsonArray("items").getJsonObject(0)
        .getString("reason"));
    post("/v1/fleets/" + name + "/apply", 202);
    say("POST /v1/fleets/%s/apply: 202; each step is an ordinary job", name);
    if (!waitFor(() -> status(name).equals("CONVERGED"), 60_000)) {
      say("fleet %s did not converge in time", name);
      return false;
    }
    JsonArray steps = service.get("/v1/jobs").getJsonArray("jobs");
    for (int i = steps.size() - 1; i >= 0; i--) {
      JsonObject job = steps.getJsonObject(i);
      if (name.equals(job.getString("fleet"))) {
        say("  step %d  job %s  %-9s %s", job.getInteger("step"), job.getString("id"), job.getString("status"),
            compact(job.getJsonObject("counts")));
      }
    }
    JsonObject f = service.get("/v1/fleets/" + name);
    say("  %s %s, tenants: %s", name, f.getString("status"), compact(f.getJsonObject("tenants")));
    return true;
  }

  private String status(String name) {
    try {
      return service.get("/v1/fleets/" + name).getString("status");
    } catch (Exception e) {
      return "UNKNOWN";
    }
  }

  private boolean drifted(String name) {
    return events.stream().anyMatch(e -> name.equals(e.getString("fleet"))
        && "fleet.drifted".equals(e.getString("type")));
  }

  private String url(String account) {
    try {
      return tenant("acme-crm", account).getString("url");
    } catch (Exception e) {
      return null;
    }
  }

  private JsonObject tenant(String fleet, String account) throws Exception {
    for (Object o : service.get("/v1/fleets/" + fleet + "/tenants").getJsonArray("items")) {
      if (account.equals(((JsonObject) o).getString("account"))) {
        return (JsonObject) o;
      }
    }
    throw new IllegalStateException("no tenant " + account + " in fleet " + fleet);
  }

  private double seconds() {
    return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
  }

  private boolean waitFor(BooleanSupplier done, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
      vertx.timer(100).await();
    }
    return done.getAsBoolean();
  }
}
