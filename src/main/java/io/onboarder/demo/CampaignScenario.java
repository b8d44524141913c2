package io.onboarder.demo;

import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.say;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sign-in campaign on short fractional hours: two tenants who have not signed in get new links with
 * {@code "signIn": {"remindAfterHours": [0.001], "expireAfterHours": 0.002}} (3.6 s and 7.2 s). One only opens
 * the page (as a mail scanner would), the other does nothing; both are reminded with the same link, then their
 * items turn SIGN_IN_EXPIRED and the link answers 410. Ends with the job's sign-in funnel.
 */
final class CampaignScenario {
  private final Vertx vertx;
  private final ServiceClient service;
  private final int accounts;
  /** When the campaign's links were asked for (System.nanoTime()). */
  private volatile long t0 = System.nanoTime();

  CampaignScenario(Vertx vertx, ServiceClient service, int accounts) {
    this.vertx = vertx;
    this.service = service;
    this.accounts = accounts;
  }

  /** True when both tenants were reminded once and expired (or when there are too few tenants to show it). */
  boolean run() throws Exception {
    int last = SampleJobs.oauthTenants(accounts);
    if (last < 5) {
      say("(too few accounts for the sign-in campaign part of the demo)");
      return true;
    }
    List<JsonObject> reminders = new CopyOnWriteArrayList<>();
    List<JsonObject> expired = new CopyOnWriteArrayList<>();
    var onReminder = vertx.eventBus().<JsonObject>consumer(Demo.EVENTS_OAUTH, m -> {
      if (m.body().containsKey("reminder")) {
        reminders.add(m.body().copy().put("after", seconds()));
      }
    });
    var onExpiry = vertx.eventBus().<JsonObject>consumer(Demo.EVENTS_ITEM, m -> {
      if ("SIGN_IN_EXPIRED".equals(m.body().getString("status"))) {
        expired.add(m.body().copy().put("after", seconds()));
      }
    });
    try {
      return campaign(last, reminders, expired);
    } finally {
      onReminder.unregister();
      onExpiry.unregister();
    }
  }

  private boolean campaign(int last, List<JsonObject> reminders, List<JsonObject> expired) throws Exception {
    JsonArray items = new JsonArray();
    for (int i = last - 1; i <= last; i++) {
      items.add(new JsonObject().put("account", SampleJobs.tenant(i)));
    }
    JsonObject job = new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
        .put("signIn", new JsonObject().put("remindAfterHours", new JsonArray().add(0.001))
            .put("expireAfterHours", 0.002))
        .put("items", items);
    say("");
    say("A sign-in campaign: %s and %s have not signed in; new links with", SampleJobs.tenant(last - 1),
        SampleJobs.tenant(last));
    say("  \"signIn\": {\"remindAfterHours\": [0.001], \"expireAfterHours\": 0.002}   (3.6 s and 7.2 s)");
    t0 = System.nanoTime();
    JsonObject created = service.submit(job);
    if (created == null) {
      return false;
    }
    String id = created.getString("id");
    JsonObject done = service.awaitFinished(id);
    if (done == null) {
      return false;
    }
    JsonObject item = service.get("/v1/jobs/" + id + "/items?status=OAUTH_PENDING").getJsonArray("items")
        .getJsonObject(0);
    String link = item.getJsonObject("oauth").getString("url");
    say("  %s's mail scanner opens its link: GET -> %d (opened, not started)", item.getString("account"),
        service.browse("GET", link).statusCode());
    if (!waitFor(() -> reminders.size() >= 2 && expired.size() >= 2, 30_000)) {
      say("the reminders and expiries did not come in time (%d, %d)", reminders.size(), expired.size());
      return false;
    }
    for (JsonObject r : reminders) {
      say("  %4.1f s  %s: onboarder.events.oauth with \"reminder\": %d and its link, still valid (webhook "
          + "item.sign_in_reminder)", r.getDouble("after"), r.getString("account"), r.getInteger("reminder"));
    }
    for (JsonObject e : expired) {
      say("  %4.1f s  %s: SIGN_IN_EXPIRED (webhook item.sign_in_expired)", e.getDouble("after"),
          e.getString("account"));
    }
    say("  %s's link now -> %d", item.getString("account"), service.browse("GET", link).statusCode());
    JsonObject funnel = service.get("/v1/jobs/" + id + "/sign-ins");
    say("  GET /v1/jobs/%s/sign-ins", id);
    say("    %s", funnel.encode());
    JsonObject summary = service.job(id);
    say("  job %s  %s", summary.getString("status"), compact(summary.getJsonObject("counts")));
    return reminders.size() == 2 && expired.size() == 2 && funnel.getLong("opened") == 1
        && funnel.getLong("started") == 0 && funnel.getLong("expired") == 2;
  }

  private double seconds() {
    return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
  }

  private boolean waitFor(java.util.function.BooleanSupplier done, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
      vertx.timer(100).await();
    }
    return done.getAsBoolean();
  }
}
