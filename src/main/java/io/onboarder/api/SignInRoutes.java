package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The sign-in campaign routes (bearer token; the job's owner or an admin): {@code POST
 * /v1/jobs/{id}/items/{itemId}/link/revoke} (the item's link answers 410 from then on, on every node) and
 * {@code GET /v1/jobs/{id}/sign-ins} (the job's sign-in funnel). Answered by the campaign service over the bus.
 */
final class SignInRoutes {
  /** Asks a job address as the request's caller and sends the answer (or its problem). */
  interface Ask {
    void ask(RoutingContext rc, String address, JsonObject body);
  }

  private final Ask api;

  SignInRoutes(Ask api) {
    this.api = api;
  }

  void mount(Router router) {
    router.post("/v1/jobs/:id/items/:itemId/link/revoke").handler(this::revoke);
    router.get("/v1/jobs/:id/sign-ins").handler(this::funnel);
  }

  private void revoke(RoutingContext rc) {
    String id = HttpApiVerticle.jobId(rc);
    String itemId = id == null ? null : HttpApiVerticle.itemId(rc);
    if (itemId != null) {
      api.ask(rc, Addresses.JOBS_LINK_REVOKE, new JsonObject().put("id", id).put("itemId", itemId));
    }
  }

  private void funnel(RoutingContext rc) {
    String id = HttpApiVerticle.jobId(rc);
    if (id != null) {
      api.ask(rc, Addresses.JOBS_SIGN_INS, new JsonObject().put("id", id));
    }
  }
}
