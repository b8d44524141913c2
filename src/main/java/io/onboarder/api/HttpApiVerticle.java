package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.fleet.FleetIntake;
import io.onboarder.intake.Admission;
import io.onboarder.intake.BodyFormat;
import io.onboarder.intake.JobIntake;
import io.onboarder.intake.JobQuery;
import io.onboarder.job.JobService;
import io.onboarder.signin.SignInPolicy;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.regex.Pattern;

/**
 * The HTTP API (v1): routes, bearer auth, request checks and problem+json errors. It holds no
 * state and talks to the rest only over the event bus; several instances share the port.
 */
public final class HttpApiVerticle extends VerticleBase {
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern DELIVERY_ID = Pattern.compile("msg_[0-9a-f]{32}");
  // The job service runs on every node: an HTTP request is answered by its own node.
  private static final DeliveryOptions QUERY = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true);

  private static final Pattern ITEM_ID = Pattern.compile("[0-9]{1,18}");

  private final Settings settings;
  private final int port;
  private final ClientRateLimiter publicLimiter;
  private final JobIntake intake;
  private final FleetIntake fleets;
  private final ContractValidation.Shared contract;
  private final BearerAuth auth;
  private HttpServer server;
  private JobEventStreams streams;
  private Router router;

  private HttpApiVerticle(Settings settings, int port, ClientRateLimiter publicLimiter, JobIntake intake,
                          FleetIntake fleets, ContractValidation.Shared contract, BearerAuth auth) {
    this.settings = settings;
    this.port = port;
    this.publicLimiter = publicLimiter;
    this.intake = intake;
    this.fleets = fleets;
    this.contract = contract;
    this.auth = auth;
  }

  /**
   * Instances for one node: they share the port, one rate limiter for the public routes, and the node's
   * intakes, which take job and fleet bodies as they stream in (node-local: see {@link JobIntake}), and the node's
   * bearer auth (static tokens and JWT keys).
   */
  public static java.util.function.Supplier<HttpApiVerticle> instances(Settings settings, int port,
                                                                     JobIntake intake, FleetIntake fleets,
                                                                     BearerAuth auth) {
    ClientRateLimiter limiter = new ClientRateLimiter(settings.linksRatePerMinute());
    ContractValidation.Shared contract = new ContractValidation.Shared();
    return () -> new HttpApiVerticle(settings, port, limiter, intake, fleets, contract, auth);
  }

  @Override
  public Future<?> start() {
    router = Router.router(vertx);
    ConnectionGuard guard = new ConnectionGuard(vertx, settings);
    router.route().failureHandler(rc -> Problems.send(rc, Problems.from(rc.failure(), rc.statusCode())));
    for (int status : new int[] {400, 401, 404, 405, 413, 414, 415, 431, 500}) {
      router.errorHandler(status, rc -> Problems.send(rc, Problems.from(rc.failure(), status)));
    }

    router.route().handler(guard::onRequest);
    router.route().handler(io.onboarder.trace.RouteNames::handle);
    // A query string Netty cannot decode (bad %-escapes) is the caller's mistake: 400, not 500.
    router.route().handler(rc -> {
      try {
        rc.request().params();
      } catch (IllegalArgumentException e) {
        Problems.send(rc, Problem.badRequest("The query string is malformed (invalid percent-encoding)."));
        return;
      }
      rc.next();
    });
    router.get("/health/live").handler(HealthCheckHandler.create(vertx)
        .register("process", p -> p.complete(Status.OK())));
    HealthChecks ready = HealthChecks.create(vertx)
        .register("jobs", 2000, p -> vertx.eventBus().<JsonObject>request(Addresses.JOBS_READY, new JsonObject(),
                new DeliveryOptions().setSendTimeout(2000))
            .onComplete(ar -> p.complete(ar.succeeded() && ar.result().body().getBoolean("ready", false)
                ? Status.OK() : Status.KO())))
        // UP whenever this node's gateway answers, Cyclr reachable or not: a Cyclr outage would otherwise take
        // every replica out of the Service at once (API and /connect pages with it). The breaker shows as data.
        .register("gateway", 2000, p -> vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS,
                new JsonObject(), new DeliveryOptions().setSendTimeout(2000))
            .onComplete(ar -> p.complete(ar.failed() ? Status.KO() : Status.OK(new JsonObject()
                .put("breaker", ar.result().body().getString("breaker"))
                .put("breakerOpenSinceMs", ar.result().body().getLong("breakerOpenSinceMs"))
                .put("degraded", ar.result().body().getBoolean("degraded", false))))));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
    // Metrics exist when Vert.x was built with them (the service always is; an embedding app may not be).
    if (io.vertx.micrometer.backends.BackendRegistries.getDefaultNow() != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create());
    } else {
      router.get("/metrics").handler(rc -> Problems.send(rc, Problem.notFound("Metrics are not enabled in this "
          + "Vert.x instance.")));
    }

    // Relay links: the public pages tenants open (no bearer token; see ConnectRoutes).
    if (SignInPolicy.of(settings).relayLinks()) {
      new ConnectRoutes(vertx, settings, publicLimiter).mount(router);
    }
    // Job and item answers (sign-in links among them) must not be cached nor sniffed into HTML.
    router.route("/v1/*").handler(rc -> {
      rc.addHeadersEndHandler(v -> rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .putHeader("X-Content-Type-Options", "nosniff"));
      rc.next();
    });
    if (!settings.authDisabled()) {
      router.route("/v1/*").handler(auth);
    }
    // The body is read as a stream by the intake (no BodyHandler): never whole in memory.
    router.post("/v1/jobs").handler(this::submit);
    router.get("/v1/jobs").handler(this::listJobs);
    router.get("/v1/jobs/:id").handler(this::getJob);
    router.get("/v1/jobs/:id/items").handler(this::listItems);
    router.get("/v1/jobs/:id/accounts").handler(this::listAccounts);
    router.post("/v1/jobs/:id/cancel").handler(rc -> control(rc, Addresses.JOBS_CANCEL));
    router.post("/v1/jobs/:id/retry").handler(rc -> control(rc, Addresses.JOBS_RETRY));
    router.post("/v1/jobs/:id/items/:itemId/link").handler(this::reissueLink);
    new SignInRoutes(this::ask).mount(router);
    streams = new JobEventStreams(vertx, settings);
    router.get("/v1/jobs/:id/events").handler(this::jobEvents);
    router.get("/v1/webhooks/deliveries").handler(this::listDeliveries);
    router.post("/v1/webhooks/deliveries/:id/retry").handler(this::replayDelivery);
    ApiDocuments documents = new ApiDocuments(vertx);
    documents.mount(router);
    new FleetRoutes(vertx, settings, fleets, new ContractValidation(vertx, documents, contract)).mount(router);
    new HistoryRoutes(vertx, settings).mount(router);
    new ConsoleRoutes(vertx, new ConsoleOidc(settings, auth)).mount(router);

    server = vertx.createHttpServer(guard.apply(new HttpServerOptions()
        .setMaxInitialLineLength(8192)
        .setMaxHeaderSize(16384)
        .setCompressionSupported(true)));
    server.connectionHandler(guard::onConnection);
    // Requests Netty cannot even parse (request line or headers too long) never reach the router.
    server.invalidRequestHandler(req -> {
      Throwable cause = req.decoderResult().cause();
      int status = cause instanceof TooLongHttpLineException ? 414
          : cause instanceof TooLongHttpHeaderException ? 431 : 400;
      req.response().setStatusCode(status)
          .putHeader("Content-Type", "application/problem+json")
          .putHeader("Connection", "close")
          .end(Problems.forStatus(status, null).toJson().encode());
    });
    return server.requestHandler(router).listen(port);
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The routes this instance serves (the tests hold them to openapi.json). */
  Router router() {
    return router;
  }

  /**
   * POST /v1/jobs: content type (415), size (413) and key (400) are checked before a byte of the body
   * is read; then the intake streams the body into the store and answers 202 (created) or 200 (the
   * Idempotency-Key's job).
   */
  private void submit(RoutingContext rc) {
    HttpServerRequest req = rc.request();
    BodyFormat format = BodyFormat.of(req.getHeader("Content-Type"));
    if (format == null) {
      Problems.send(rc, Problem.of(415, "unsupported-media-type", "Unsupported media type", "Send the job as "
          + "'Content-Type: application/json', 'application/x-ndjson' (line 1 the job, then one item per line) or "
          + "'text/csv' (a header row with an 'account' column; job fields as query parameters)."));
      return;
    }
    // A key against the rule throws its 400 problem, which the failure handler sends.
    String key = Admission.idempotencyKey(req.getHeader("Idempotency-Key"));
    long length = HttpParams.contentLength(req);
    if (length > settings.maxBodyBytes()) {
      Problems.send(rc, Problems.forStatus(413, null));
      return;
    }
    String caller = rc.get(BearerAuth.CALLER);
    req.pause();
    if ("100-continue".equalsIgnoreCase(req.getHeader("Expect"))) {
      // curl asks before sending a big body; without an answer it waits a second, then sends anyway.
      rc.response().writeContinue();
    }
    intake.submit(ConnectionGuard.streamed(rc), format, caller != null ? caller : BearerAuth.DEFAULT_CALLER, key,
            JobQuery.fields(req.params()), length)
        .onComplete(ar -> {
          if (ar.failed()) {
            // The intake's admission policy decided the problem; an answer before the body's end closes
            // the connection after it (ConnectionGuard).
            Problems.send(rc, Problems.from(ar.cause(), 500));
            return;
          }
          JobIntake.Accepted accepted = ar.result();
          rc.response()
              .setStatusCode(accepted.created() ? 202 : 200)
              .putHeader("Location", "/v1/jobs/" + accepted.summary().getString("id"))
              .putHeader("Content-Type", "application/json")
              .end(accepted.summary().encode());
        });
  }

  private void listJobs(RoutingContext rc) {
    Integer limit = HttpParams.intParam(rc, "limit", 20, 1, 200);
    if (limit != null) {
      ask(rc, Addresses.JOBS_LIST, new JsonObject().put("limit", limit));
    }
  }

  private void getJob(RoutingContext rc) {
    String id = jobId(rc);
    if (id != null) {
      ask(rc, Addresses.JOBS_GET, new JsonObject().put("id", id));
    }
  }

  private void listItems(RoutingContext rc) {
    ItemReport report = ItemReport.of(rc.request().getHeader("Accept"));
    if (report != null) {
      String id = jobId(rc);
      if (id != null) {
        exportItems(rc, id, report);
      }
      return;
    }
    String id = jobId(rc);
    Integer limit = id == null ? null : HttpParams.intParam(rc, "limit", 100, 1, 1000);
    if (limit == null) {
      return;
    }
    String cursor = rc.request().getParam("cursor");
    if (cursor != null && !cursor.matches("\\d{1,18}")) {
      Problems.send(rc, Problem.badRequest("cursor is not one this service issued."));
      return;
    }
    ask(rc, Addresses.JOBS_ITEMS, new JsonObject().put("id", id).put("limit", limit)
        .put("status", rc.request().getParam("status")).put("cursor", cursor));
  }

  /**
   * GET /v1/jobs/{id}/items with {@code Accept: text/csv} or {@code application/x-ndjson}: every item
   * (optionally of one status), streamed page by page from the store. The next page is fetched only
   * once the response's write queue has drained, so memory holds one page whatever the job's size.
   */
  private void exportItems(RoutingContext rc, String id, ItemReport format) {
    String status = rc.request().getParam("status");
    String escape = rc.request().getParam("escapeFormulas", "true");
    if (!escape.equals("true") && !escape.equals("false")) {
      Problems.send(rc, Problem.badRequest("escapeFormulas must be true (the default) or false."));
      return;
    }
    HttpServerResponse response = rc.response();
    boolean[] gone = {false};
    response.closeHandler(v -> gone[0] = true);
    exportPage(rc, id, status, null, format, escape.equals("true"), gone);
  }

  private void exportPage(RoutingContext rc, String id, String status, String cursor, ItemReport format,
                          boolean escapeFormulas, boolean[] gone) {
    JsonObject query = new JsonObject().put("id", id).put("limit", ItemReport.PAGE).put("status", status)
        .put("cursor", cursor);
    vertx.eventBus().<JsonObject>request(Addresses.JOBS_ITEMS, query, asCaller(rc, QUERY)).onComplete(ar -> {
      HttpServerResponse response = rc.response();
      if (gone[0]) {
        return;
      }
      if (ar.failed()) {
        if (!response.headWritten()) {
          Problems.send(rc, Problems.from(ar.cause(), 500));
        } else {
          // Half a report must not look whole: the connection is cut, so the client sees it end early.
          response.reset();
        }
        return;
      }
      if (!response.headWritten()) {
        response.setChunked(true)
            .putHeader("Content-Type", format.contentType())
            .putHeader("Content-Disposition", "attachment; filename=\"job-" + id + "-items." + format.extension()
                + "\"");
        if (format.header() != null) {
          response.write(format.header());
        }
      }
      JsonObject page = ar.result().body();
      response.write(format.rows(page.getJsonArray("items"), escapeFormulas));
      String next = page.getString("next");
      if (next == null) {
        response.end();
        return;
      }
      if (response.writeQueueFull()) {
        response.drainHandler(v -> {
          response.drainHandler(null);
          exportPage(rc, id, status, next, format, escapeFormulas, gone);
        });
      } else {
        exportPage(rc, id, status, next, format, escapeFormulas, gone);
      }
    });
  }

  private void jobEvents(RoutingContext rc) {
    String id = jobId(rc);
    if (id == null) {
      return;
    }
    long after;
    try {
      String last = rc.request().getHeader("Last-Event-ID");
      after = JobEventStreams.parseLastEventId(last != null ? last : rc.request().getParam("lastEventId"));
    } catch (Problem p) {
      Problems.send(rc, p);
      return;
    }
    streams.open(rc, id, after, asCaller(rc, QUERY));
  }

  private void listDeliveries(RoutingContext rc) {
    Integer limit = HttpParams.intParam(rc, "limit", 100, 1, 1000);
    if (limit == null) {
      return;
    }
    String cursor = rc.request().getParam("cursor");
    if (cursor != null && !cursor.matches("\\d{1,18}")) {
      Problems.send(rc, Problem.badRequest("cursor is not one this service issued."));
      return;
    }
    ask(rc, Addresses.WEBHOOKS_DELIVERIES, new JsonObject().put("limit", limit)
        .put("status", rc.request().getParam("status")).put("cursor", cursor));
  }

  private void replayDelivery(RoutingContext rc) {
    String id = rc.pathParam("id");
    if (id == null || !DELIVERY_ID.matcher(id).matches()) {
      Problems.send(rc, Problem.notFound("No webhook delivery with that id."));
      return;
    }
    ask(rc, Addresses.WEBHOOKS_REPLAY, new JsonObject().put("id", id));
  }

  /** The accounts of a job with a template: {@code ?status=&limit=&cursor=}, like items. */
  private void listAccounts(RoutingContext rc) {
    String id = jobId(rc);
    Integer limit = id == null ? null : HttpParams.intParam(rc, "limit", 100, 1, 1000);
    if (limit == null) {
      return;
    }
    String cursor = rc.request().getParam("cursor");
    if (cursor != null && !cursor.matches("\\d{1,18}")) {
      Problems.send(rc, Problem.badRequest("cursor is not one this service issued."));
      return;
    }
    ask(rc, Addresses.JOBS_ACCOUNTS, new JsonObject().put("id", id).put("limit", limit)
        .put("status", rc.request().getParam("status")).put("cursor", cursor));
  }

  private void control(RoutingContext rc, String address) {
    String id = jobId(rc);
    if (id != null) {
      ask(rc, address, new JsonObject().put("id", id));
    }
  }

  /** A new sign-in link for one item; the old one stops working. */
  private void reissueLink(RoutingContext rc) {
    String id = jobId(rc);
    if (id == null) {
      return;
    }
    String itemId = itemId(rc);
    if (itemId != null) {
      ask(rc, Addresses.JOBS_LINK, new JsonObject().put("id", id).put("itemId", itemId));
    }
  }

  /** The item id of the path, or null after a 404 was sent. */
  static String itemId(RoutingContext rc) {
    String itemId = rc.pathParam("itemId");
    if (itemId == null || !ITEM_ID.matcher(itemId).matches()) {
      Problems.send(rc, Problem.notFound("No item with that id."));
      return null;
    }
    return itemId;
  }

  void ask(RoutingContext rc, String address, JsonObject body) {
    vertx.eventBus().<JsonObject>request(address, body, asCaller(rc, QUERY)).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.from(ar.cause(), 500));
      } else {
        rc.response().putHeader("Content-Type", "application/json").end(ar.result().body().encode());
      }
    });
  }

  /** The job service scopes jobs and idempotency keys to the caller the bearer token names. */
  private DeliveryOptions asCaller(RoutingContext rc, DeliveryOptions base) {
    DeliveryOptions options = new DeliveryOptions(base);
    String caller = rc.get(BearerAuth.CALLER);
    options.addHeader(JobService.CALLER, caller != null ? caller : BearerAuth.DEFAULT_CALLER);
    if (settings.authDisabled() || Boolean.TRUE.equals(rc.get(BearerAuth.ADMIN))) {
      options.addHeader(JobService.ADMIN, "true");
    }
    return options;
  }

  static String jobId(RoutingContext rc) {
    String id = rc.pathParam("id");
    if (id == null || !JOB_ID.matcher(id).matches()) {
      Problems.send(rc, Problem.notFound("No job with that id."));
      return null;
    }
    return id;
  }

}
