package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.fleet.FleetIntake;
import io.onboarder.fleet.FleetPolicy;
import io.onboarder.fleet.FleetService;
import io.onboarder.intake.BodyFormat;
import io.onboarder.intake.JobQuery;
import io.onboarder.job.JobService;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code /v1/fleets} routes: a spec is streamed into this node's {@link FleetIntake} ({@code PUT});
 * everything else goes to the fleet service on the event bus ({@value Addresses#FLEETS}, by action),
 * so HTTP and bus callers run the same code. Auth is as for jobs: the caller owns what it creates, an
 * admin sees all. {@code ETag} is the fleet's generation, and {@code If-Match} guards a {@code PUT}.
 */
final class FleetRoutes {
  private static final DeliveryOptions QUERY = new DeliveryOptions().setSendTimeout(60_000).setLocalOnly(true);
  /** A plan reads every tenant at Cyclr before it answers: a big fleet takes minutes. */
  private static final DeliveryOptions PLAN = new DeliveryOptions().setSendTimeout(30 * 60_000L).setLocalOnly(true);
  private static final int CSV_PAGE = 200;
  private static final Pattern IF_MATCH = Pattern.compile("\\s*(?:W/)?\"?(\\d{1,18})\"?\\s*");

  private final Vertx vertx;
  private final Settings settings;
  private final FleetIntake intake;
  private final ContractValidation contract;

  FleetRoutes(Vertx vertx, Settings settings, FleetIntake intake, ContractValidation contract) {
    this.vertx = vertx;
    this.settings = settings;
    this.intake = intake;
    this.contract = contract;
  }

  void mount(Router router) {
    router.put("/v1/fleets/:name").handler(this::put);
    router.get("/v1/fleets").handler(rc -> ask(rc, "list", new JsonObject()
        .put("limit", HttpParams.intParam(rc, "limit", 100, 1, 200))));
    router.get("/v1/fleets/:name").handler(rc -> ask(rc, "get", named(rc)));
    router.get("/v1/fleets/:name/tenants").handler(rc -> ask(rc, "tenants", named(rc)
        .put("state", rc.request().getParam("state")).put("cursor", rc.request().getParam("cursor"))
        .put("limit", HttpParams.intParam(rc, "limit", 100, 1, 200))));
    router.get("/v1/fleets/:name/sign-ins").handler(rc -> ask(rc, "sign-ins", named(rc)));
    // A plan still reading Cyclr at half the idle timeout is answered 202 (OPEN) and read on with GET …/plans/{id}.
    router.post("/v1/fleets/:name/plan").handler(rc -> ask(rc, "plan", named(rc)
        .put("answerWithinMs", Math.max(1_000, settings.httpIdleTimeoutMs() / 2)), PLAN));
    router.get("/v1/fleets/:name/plans/:planId").handler(rc -> ask(rc, "plan-status", named(rc)
        .put("planId", rc.pathParam("planId"))));
    router.get("/v1/fleets/:name/plans/:planId/actions").handler(this::actions);
    // The body's rules are openapi.json's ApplyRequest (checked by the contract before this handler runs).
    router.post("/v1/fleets/:name/apply").handler(BodyHandler.create().setBodyLimit(4096))
        .handler(contract.body("applyFleet")).handler(rc -> {
      JsonObject body = named(rc).put("confirmPrune", HttpParams.longParam(rc, "confirmPrune"));
      if (rc.response().ended()) {
        return; // confirmPrune was refused (its problem sent)
      }
      if (rc.body().length() > 0) {
        body.put("planId", rc.body().asJsonObject().getString("planId"));
      }
      request(rc, "apply", body, QUERY).onComplete(ar -> {
        if (ar.failed()) {
          Problems.send(rc, Problems.from(ar.cause(), 500));
        } else {
          rc.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(ar.result().encode());
        }
      });
    });
    router.post("/v1/fleets/:name/pause").handler(rc -> ask(rc, "pause", named(rc)));
    router.post("/v1/fleets/:name/resume").handler(rc -> ask(rc, "resume", named(rc)));
    router.post("/v1/fleets/:name/rollback").handler(rc -> ask(rc, "rollback", named(rc), PLAN));
    router.delete("/v1/fleets/:name").handler(rc -> ask(rc, "delete", named(rc)
        .put("uninstall", HttpParams.bool(rc, "uninstall"))
        .put("confirm", HttpParams.longParam(rc, "confirm"))));
  }

  private static JsonObject named(RoutingContext rc) {
    return new JsonObject().put("name", rc.pathParam("name"));
  }

  /** PUT /v1/fleets/{name}: the body streamed into the store (no BodyHandler), then 201 or 200 with the fleet. */
  private void put(RoutingContext rc) {
    HttpServerRequest req = rc.request();
    BodyFormat format = BodyFormat.of(req.getHeader("Content-Type"));
    if (format == null) {
      Problems.send(rc, Problem.of(415, "unsupported-media-type", "Unsupported media type", "Send the fleet as "
          + "'Content-Type: application/json', 'application/x-ndjson' (line 1 the fleet without tenants, then one "
          + "tenant per line) or 'text/csv' (a header row with an 'account' column; fleet fields as query "
          + "parameters)."));
      return;
    }
    Long ifMatch = null;
    String header = req.getHeader("If-Match");
    if (header != null) {
      Matcher m = IF_MATCH.matcher(header);
      if (!m.matches()) {
        Problems.send(rc, Problem.badRequest("If-Match must be a fleet generation in quotes, e.g. If-Match: \"3\"."));
        return;
      }
      ifMatch = Long.parseLong(m.group(1));
    }
    long length = HttpParams.contentLength(req);
    if (length > settings.maxBodyBytes()) {
      Problems.send(rc, Problems.forStatus(413, null));
      return;
    }
    JsonObject query = JobQuery.fields(req.params());
    JsonObject policy = FleetPolicy.fromQuery(req.params());
    if (policy != null) {
      query.put("policy", policy);
    }
    req.pause();
    if ("100-continue".equalsIgnoreCase(req.getHeader("Expect"))) {
      rc.response().writeContinue();
    }
    String caller = callerName(rc);
    FleetIntake.Caller who = new FleetIntake.Caller(caller, admin(rc) ? null : caller, ifMatch);
    intake.put(rc.pathParam("name"), ConnectionGuard.streamed(rc), format, query, who, length).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.from(ar.cause(), 500));
        return;
      }
      JsonObject fleet = ar.result().fleet();
      rc.response().setStatusCode(ar.result().created() ? 201 : 200)
          .putHeader("Location", "/v1/fleets/" + fleet.getString("name"))
          .putHeader("ETag", "\"" + fleet.getLong("generation") + "\"")
          .putHeader("Content-Type", "application/json")
          .end(fleet.encode());
    });
  }

  /**
   * A plan's lines, paged as JSON, or (with {@code Accept: text/csv}) every line as CSV
   * ({@code account,action,reason,drift}), read page by page as the response drains.
   */
  private void actions(RoutingContext rc) {
    JsonObject q = named(rc).put("planId", rc.pathParam("planId")).put("action", rc.request().getParam("action"))
        .put("cursor", rc.request().getParam("cursor"));
    String accept = rc.request().getHeader("Accept");
    if (accept == null || !accept.toLowerCase(java.util.Locale.ROOT).contains("text/csv")) {
      ask(rc, "actions", q.put("limit", HttpParams.intParam(rc, "limit", 100, 1, 200)));
      return;
    }
    rc.response().setChunked(true).putHeader("Content-Type", "text/csv; charset=utf-8")
        .putHeader("Content-Disposition", "attachment; filename=\"plan-" + rc.pathParam("planId") + ".csv\"");
    csvPage(rc, q.put("limit", CSV_PAGE), true);
  }

  private void csvPage(RoutingContext rc, JsonObject q, boolean first) {
    request(rc, "actions", q, QUERY).onComplete(ar -> {
      if (ar.failed()) {
        if (first) {
          rc.response().setChunked(false);
          Problems.send(rc, Problems.from(ar.cause(), 500));
        } else {
          rc.response().reset(); // half a plan must not look whole
        }
        return;
      }
      StringBuilder b = new StringBuilder(first ? "account,action,reason,drift\r\n" : "");
      for (Object o : ar.result().getJsonArray("items")) {
        JsonObject line = (JsonObject) o;
        // Accounts come from outside: a spreadsheet must not run one as a formula.
        ItemReport.field(b, ItemReport.neutralised(line.getString("account")));
        b.append(',').append(line.getString("action")).append(',');
        ItemReport.field(b, line.getString("reason"));
        b.append(',');
        ItemReport.field(b, line.getString("drift"));
        b.append("\r\n");
      }
      rc.response().write(b.toString());
      String next = ar.result().getString("next");
      if (next == null) {
        rc.response().end();
      } else if (rc.response().writeQueueFull()) {
        rc.response().drainHandler(v -> csvPage(rc, q.copy().put("cursor", next), false));
      } else {
        csvPage(rc, q.copy().put("cursor", next), false);
      }
    });
  }

  private io.vertx.core.Future<JsonObject> request(RoutingContext rc, String action, JsonObject body,
                                                   DeliveryOptions base) {
    DeliveryOptions options = new DeliveryOptions(base).addHeader(FleetService.ACTION, action)
        .addHeader(JobService.CALLER, callerName(rc));
    if (admin(rc)) {
      options.addHeader(JobService.ADMIN, "true");
    }
    return vertx.eventBus().<JsonObject>request(Addresses.FLEETS, body, options).map(m -> m.body());
  }

  private void ask(RoutingContext rc, String action, JsonObject body) {
    ask(rc, action, body, QUERY);
  }

  private void ask(RoutingContext rc, String action, JsonObject body, DeliveryOptions base) {
    if (rc.response().ended()) {
      return; // a parameter was refused (its problem sent)
    }
    request(rc, action, body, base).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.from(ar.cause(), 500));
        return;
      }
      JsonObject answer = ar.result();
      if (action.equals("get")) {
        rc.response().putHeader("ETag", "\"" + answer.getLong("generation") + "\"");
      }
      if (action.equals("plan") && "OPEN".equals(answer.getString("status"))) {
        // The plan goes on reading Cyclr: GET its Location until it is READY.
        rc.response().setStatusCode(202).putHeader("Location", "/v1/fleets/" + rc.pathParam("name") + "/plans/"
            + answer.getString("planId"));
      }
      if (action.equals("delete") && "DELETING".equals(answer.getString("status"))) {
        // Uninstalling runs on: GET /v1/fleets/{name} shows how far it got, then answers 404.
        rc.response().setStatusCode(202).putHeader("Location", "/v1/fleets/" + answer.getString("name"));
      }
      rc.response().putHeader("Content-Type", "application/json").end(answer.encode());
    });
  }

  private static String callerName(RoutingContext rc) {
    String caller = rc.get(BearerAuth.CALLER);
    return caller != null ? caller : BearerAuth.DEFAULT_CALLER;
  }

  private boolean admin(RoutingContext rc) {
    return settings.authDisabled() || Boolean.TRUE.equals(rc.get(BearerAuth.ADMIN));
  }
}
