package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/accounts/{account}/history?cursor=&limit=}: what the service did and saw for one Cyclr account,
 * oldest first, paged like items; answered by the history service ({@value Addresses#HISTORY}). A caller sees
 * the entries of its own jobs and fleets, an admin all of them.
 */
final class HistoryRoutes {
  private static final DeliveryOptions QUERY = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true);

  private final Vertx vertx;
  private final Settings settings;

  HistoryRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  void mount(Router router) {
    router.get("/v1/accounts/:account/history").handler(this::history);
  }

  private void history(RoutingContext rc) {
    Integer limit = HttpParams.intParam(rc, "limit", 100, 1, 200);
    if (limit == null) {
      return;
    }
    DeliveryOptions options = new DeliveryOptions(QUERY);
    String caller = rc.get(BearerAuth.CALLER);
    options.addHeader(JobService.CALLER, caller != null ? caller : BearerAuth.DEFAULT_CALLER);
    if (settings.authDisabled() || Boolean.TRUE.equals(rc.get(BearerAuth.ADMIN))) {
      options.addHeader(JobService.ADMIN, "true");
    }
    JsonObject query = new JsonObject().put("account", rc.pathParam("account")).put("limit", limit)
        .put("cursor", rc.request().getParam("cursor"));
    vertx.eventBus().<JsonObject>request(Addresses.HISTORY, query, options).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.from(ar.cause(), 500));
      } else {
        rc.response().putHeader("Content-Type", "application/json").end(ar.result().body().encode());
      }
    });
  }
}
