package io.onboarder.demo;

import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.detail;
import static io.onboarder.demo.Console.say;

import io.onboarder.emulator.CyclrEmulator;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole integrations: three jobs with a template and hourly activation, at once. API-key tenants get
 * "API Key Sync" (ACTIVE); two OAuth tenants get "Salesforce Sync", which uses their Salesforce connector (the
 * one who signed in is ACTIVE, the other waits for a sign-in, then turns ACTIVE); one tenant gets "Mapped Sync",
 * whose field mapping only a person can make (SETUP_REQUIRED). Then the first job again changes nothing.
 */
final class TemplateScenario {
  private final Vertx vertx;
  private final ServiceClient service;
  private final CyclrEmulator cyclr;
  private final int accounts;

  TemplateScenario(Vertx vertx, ServiceClient service, CyclrEmulator cyclr, int accounts) {
    this.vertx = vertx;
    this.service = service;
    this.cyclr = cyclr;
    this.accounts = accounts;
  }

  /** @param links the events published on {@code onboarder.events.oauth} from now on */
  boolean run(List<JsonObject> links) throws Exception {
    int firstApiKey = SampleJobs.oauthTenants(accounts) + SampleJobs.basicTenants(accounts) + 1;
    if (accounts - firstApiKey < 1 || SampleJobs.oauthTenants(accounts) < 2) {
      say("");
      say("(too few accounts for the template part of the demo)");
      return true;
    }
    JsonArray apiKeyItems = new JsonArray();
    for (int i = firstApiKey; i < accounts; i++) {
      apiKeyItems.add(SampleJobs.apiKeyItem(i));
    }
    JsonObject apiKeySync = SampleJobs.templateJob("API Key Sync", apiKeyItems);
    JsonObject salesforceSync = SampleJobs.templateJob("Salesforce Sync",
        new JsonArray().add(SampleJobs.apiKeyItem(1)).add(SampleJobs.apiKeyItem(3)));
    JsonObject mappedSync = SampleJobs.templateJob("Mapped Sync", new JsonArray().add(SampleJobs.apiKeyItem(accounts)));
    say("");
    say("Whole integrations: three jobs with a template and \"activate\": {\"interval\": 60}, submitted at once:");
    say("  'API Key Sync'    (API-key connector)                for %d API-key tenants", apiKeyItems.size());
    say("  'Salesforce Sync' (API-key + the OAuth2 Salesforce)  for tenant-001 (signed in) and tenant-003 (not yet)");
    say("  'Mapped Sync'     (needs a field mapping in Cyclr)   for %s", SampleJobs.tenant(accounts));
    links.clear();
    List<String> ids = new ArrayList<>();
    for (JsonObject job : List.of(apiKeySync, salesforceSync, mappedSync)) {
      JsonObject created = service.submit(job);
      if (created == null) {
        return false;
      }
      ids.add(created.getString("id"));
    }
    List<JsonObject> done = new ArrayList<>();
    for (String id : ids) {
      JsonObject s = service.awaitFinished(id);
      if (s == null) {
        return false;
      }
      done.add(s);
    }
    say("  %-16s %-9s accounts %s", "API Key Sync", done.get(0).getString("status"),
        compact(done.get(0).getJsonObject("accounts")));
    for (int j = 1; j < 3; j++) {
      for (JsonObject a : service.accounts(ids.get(j))) {
        say("  %-16s %-11s %-15s %s", j == 1 ? "Salesforce Sync" : "Mapped Sync", a.getString("account"),
            a.getString("status"), detail(a));
      }
    }
    if (!tenant003SignsIn(links, ids.get(1))) {
      return false;
    }

    long cycles = cyclr.stats().cyclesInstalled();
    long activations = cyclr.stats().activations();
    say("");
    say("'API Key Sync' again: no second cycle, nothing activated twice.");
    JsonObject again = service.submitAndWatch(apiKeySync);
    if (again == null) {
      return false;
    }
    say("  accounts %s; %d new cycles, %d new activations", compact(again.getJsonObject("accounts")),
        cyclr.stats().cyclesInstalled() - cycles, cyclr.stats().activations() - activations);
    List<JsonObject> setup = service.accounts(ids.get(2));
    return done.get(0).getJsonObject("accounts").getLong("ACTIVE") == apiKeyItems.size()
        && setup.stream().allMatch(a -> a.getString("status").equals("SETUP_REQUIRED"))
        && again.getJsonObject("accounts").getLong("ACTIVE") == apiKeyItems.size()
        && cyclr.stats().cyclesInstalled() == cycles && cyclr.stats().activations() == activations;
  }

  /** The template brought tenant-003 a connector to sign in to; once it has, its account goes on to ACTIVE. */
  private boolean tenant003SignsIn(List<JsonObject> links, String jobId) throws Exception {
    JsonObject link = links.stream().filter(l -> "tenant-003".equals(l.getString("account"))).findFirst()
        .orElse(null);
    if (link == null) {
      say("no sign-in link was published for tenant-003");
      return false;
    }
    say("");
    say("The template brought tenant-003 a Salesforce connector to sign in to: an item of the job, OAUTH_PENDING,");
    say("with its own link on %s. tenant-003 opens it, clicks Connect and signs in:", Demo.EVENTS_OAUTH);
    String url = link.getString("url");
    HttpResponse<Buffer> connect = service.browse("POST", url);
    HttpResponse<Buffer> atCyclr = service.browse("GET", connect.getHeader("Location"));
    HttpResponse<Buffer> back = atCyclr.getHeader("Location") != null && atCyclr.getHeader("Location").equals(url
        + "/done") ? service.browse("GET", url + "/done") : atCyclr;
    say("  tenant-003  Connect -> %d, Cyclr -> %d, back -> %d; the item turns AUTHENTICATED and the cycle is "
        + "activated, nobody submits anything again", connect.statusCode(), atCyclr.statusCode(), back.statusCode());
    JsonObject active = null;
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline && active == null) {
      active = service.accounts(jobId).stream().filter(a -> a.getString("account").equals("tenant-003")
          && a.getString("status").equals("ACTIVE")).findFirst().orElse(null);
      if (active == null) {
        vertx.timer(200).await();
      }
    }
    if (active == null) {
      say("tenant-003 did not turn ACTIVE in time");
      return false;
    }
    say("  %-16s %-11s %-15s %s", "Salesforce Sync", "tenant-003", "ACTIVE", detail(active));
    return true;
  }
}
