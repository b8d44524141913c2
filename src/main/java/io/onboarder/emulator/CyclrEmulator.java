package io.onboarder.emulator;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An in-process Cyclr API emulator (a Vert.x HTTP server) with fault injection and counters, for tests, the demo and
 * offline use; everything runs on the event loop, latency included (timers, never sleeps).
 */
public final class CyclrEmulator {

  private static final Logger LOG = LoggerFactory.getLogger(CyclrEmulator.class);
  private static final long BODY_LIMIT = 1024 * 1024;
  private static final String ACCOUNT_HEADER = "X-Cyclr-Account";
  private static final String UNMATCHED = "UNMATCHED";

  /** What a route needs before its handler runs. */
  private enum Access {
    /** {@code /oauth/token}: faults except failureRate, no bearer token. */
    TOKEN,
    /** Unknown routes: all faults, no bearer token. */
    PUBLIC,
    /** Partner level: bearer token. */
    PARTNER,
    /** Account level: bearer token and {@code X-Cyclr-Account}. */
    ACCOUNT
  }

  /** A handler that gets the resolved account (null below account level). */
  @FunctionalInterface
  private interface ApiHandler {
    void handle(RoutingContext rc, Account account);
  }

  private final Vertx vertx;
  private final EmulatorOptions options;
  private final EmulatorStats stats = new EmulatorStats();
  private final EmulatorState state = new EmulatorState();
  private final TokenStore tokens = new TokenStore();
  private final SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter();
  private final ApiHandlers api;
  private final CycleHandlers cycles;
  private final OAuthPage oauthPage;
  private final java.util.concurrent.atomic.AtomicReference<HttpServer> server =
      new java.util.concurrent.atomic.AtomicReference<>();
  private volatile int port = -1;

  public CyclrEmulator(Vertx vertx) {
    this(vertx, new EmulatorOptions());
  }

  public CyclrEmulator(Vertx vertx, EmulatorOptions options) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.options = Objects.requireNonNull(options, "options");
    this.api = new ApiHandlers(state, tokens, options, stats);
    this.cycles = new CycleHandlers(state, options, stats);
    this.oauthPage = new OAuthPage(state, tokens, stats);
    DefaultCatalogue.connectors().forEach(state::addConnector);
    DefaultCatalogue.templates().forEach(state::addTemplate);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** Listens on {@code options.host}; port 0 picks a free port. Completes with the actual port. */
  public Future<Integer> start(int port) {
    HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHost(options.getHost()).setPort(port));
    if (!server.compareAndSet(null, s)) {
      return Future.failedFuture(new IllegalStateException("emulator already started on port " + this.port));
    }
    return s.requestHandler(router())
        .listen(port, options.getHost())
        .map(listening -> {
          this.port = listening.actualPort();
          LOG.info("Cyclr emulator listening on {}", apiUrl());
          return this.port;
        })
        .onFailure(e -> server.compareAndSet(s, null));
  }

  public Future<Void> stop() {
    HttpServer s = server.getAndSet(null);
    if (s == null) {
      return Future.succeededFuture();
    }
    return s.close();
  }

  /**
   * The configuration that points the service at this emulator: any free HTTP port, the emulator's
   * URL and client credentials, and a SQLite store at {@code dbFile}. Callers add the rest.
   */
  public JsonObject serviceConfig(java.nio.file.Path dbFile) {
    // The service's configuration file shape (docs/configuration.md): the emulator knows nothing else of it.
    return new JsonObject()
        .put("http", new JsonObject().put("port", 0))
        .put("cyclr", new JsonObject().put("apiUrl", apiUrl()).put("clientId", options.getClientId())
            .put("clientSecret", options.getClientSecret()))
        .put("store", new JsonObject().put("url", "sqlite:" + dbFile));
  }

  public int port() {
    return port;
  }

  /** Base URL without {@code /v1.0}, e.g. {@code http://127.0.0.1:8123}. */
  public String apiUrl() {
    String host = options.getHost();
    if ("0.0.0.0".equals(host) || "::".equals(host)) {
      host = "127.0.0.1"; // a wildcard bind address is not something a client can dial
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port;
  }

  /** Live options: changes apply to the next request. */
  public EmulatorOptions options() {
    return options;
  }

  public EmulatorStats stats() {
    return stats;
  }

  public void resetStats() {
    stats.reset();
  }

  // ---- seeding and inspection -------------------------------------------------------------------

  /** Adds (or replaces, by Id) a connector; missing fields get Cyclr-like defaults. */
  public void addConnector(JsonObject connector) {
    state.addConnector(connector);
  }

  /** Creates an account; does nothing if it exists already. */
  public void addAccount(String id, String name) {
    Objects.requireNonNull(id, "id");
    if (state.account(id) == null) {
      try {
        state.createAccount(id, name == null ? id : name, "", "UTC");
      } catch (ApiError raced) {
        // created concurrently: fine, the account exists
      }
    }
  }

  public boolean hasAccount(String id) {
    return id != null && state.account(id) != null;
  }

  /** The account's installed connectors as Cyclr lists them (never with AuthValue); empty for an unknown account. */
  public List<JsonObject> accountConnectors(String accountId) {
    Account account = accountId == null ? null : state.account(accountId);
    List<JsonObject> out = new ArrayList<>();
    if (account != null) {
      for (AccountConnector ac : account.connectors()) {
        out.add(ac.toJson());
      }
    }
    return out;
  }

  /**
   * Adds (or replaces, by Id) a template: {@code {"Id"?, "Name", "Connectors": [connector Id…],
   * "RequiredMappings"?: [{"Step","Field"}], "FreshInstallation"?}}. Returns it as stored (with its Id).
   */
  public JsonObject addTemplate(JsonObject template) {
    return EmulatorState.templateJson(state.addTemplate(template));
  }

  /** The account's cycles as {@code GET /v1.0/cycles} lists them; empty for an unknown account. */
  public List<JsonObject> cycles(String accountId) {
    Account account = accountId == null ? null : state.account(accountId);
    List<JsonObject> out = new ArrayList<>();
    if (account != null) {
      account.cycles().forEach(c -> out.add(c.toJson()));
    }
    return out;
  }

  /** Someone finished the step set-up (field mappings) of every cycle of the account in Cyclr's UI. */
  public void completeSetup(String accountId) {
    Account account = state.account(accountId);
    if (account != null) {
      account.cycles().forEach(Cycle::mappingsDone);
    }
  }

  /** The tenant signed in to this account connector (as the OAuth page does with a valid token). */
  public void signIn(int accountConnectorId) {
    java.util.Optional.ofNullable(state.accountConnector(accountConnectorId)).ifPresent(ac -> ac.authenticated(true));
  }

  /** The tenant's grant is revoked at the provider (as {@code PUT …/deauthenticate} does). */
  public void revokeSignIn(int accountConnectorId) {
    java.util.Optional.ofNullable(state.accountConnector(accountConnectorId)).ifPresent(ac -> ac.authenticated(false));
  }

  /** A third party no longer takes this install's credentials (API key, Basic): unauthenticated till given others. */
  public void refuseCredentials(int accountConnectorId) {
    state.credentials.refuse(state.accountConnector(accountConnectorId));
  }

  /** Every access token issued so far becomes invalid: the next call with one gets 401. */
  public void expireAllAccessTokens() {
    tokens.expireAllAccessTokens();
  }

  /** Every sign-in token issued so far runs out now: a test need not wait for their lifetime. */
  public void expireAllSignInTokens() {
    tokens.expireAllSignInTokens();
  }

  // ---- routing ----------------------------------------------------------------------------------

  private Router router() {
    Router r = Router.router(vertx);
    // Not part of Cyclr: the emulator's own counters, for benchmarks and curious users.
    r.get("/_emulator/stats").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
        .end(stats.toJson().encode()));
    r.route().handler(this::track);
    r.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));

    // Browser pages: no faults, no bearer token (a person's browser opens them).
    page(r, "/web/connector/updateaccountconnectoroauth");
    page(r, "/connectorauth/updateaccountconnectoroauth");

    route(r, HttpMethod.POST, "/oauth/token", Access.TOKEN, null, (rc, a) -> token(rc));

    route(r, HttpMethod.POST, "/v1.0/accounts", Access.PARTNER, null, api::createAccount);
    route(r, HttpMethod.POST, "/v1.0/accounts/tokens", Access.ACCOUNT, null, api::seedSignInToken);
    route(r, HttpMethod.GET, "/v1.0/accounts/:id", Access.PARTNER, null, api::getAccount);
    route(r, HttpMethod.DELETE, "/v1.0/accounts/:id", Access.PARTNER, null, api::deleteAccount);
    route(r, HttpMethod.POST, "/v1.0/accounts/:accountId/signintoken", Access.PARTNER, null, api::signInToken);

    route(r, HttpMethod.GET, "/v1.0/connectors", Access.ACCOUNT, null, api::listConnectors);
    // One route serves /{id} (an object) and /{name} (an array); the stats key tells them apart.
    route(r, HttpMethod.GET, "/v1.0/connectors/:id", Access.ACCOUNT,
        idOrName("GET /v1.0/connectors/{id}", "GET /v1.0/connectors/{name}"), api::getConnector);
    route(r, HttpMethod.GET, "/v1.0/connectors/:name/:version", Access.ACCOUNT, null, api::getConnectorVersion);
    // Installs are POSTs, so they never collide with the GET /{name}/{version} above.
    route(r, HttpMethod.POST, "/v1.0/connectors/:id/install", Access.ACCOUNT,
        idOrName("POST /v1.0/connectors/{id}/install", "POST /v1.0/connectors/{name}/install"),
        api::installByIdOrName);
    route(r, HttpMethod.POST, "/v1.0/connectors/:name/:version/install", Access.ACCOUNT, null,
        api::installByNameVersion);

    route(r, HttpMethod.GET, "/v1.0/templates", Access.PARTNER, null, cycles::listTemplates);
    route(r, HttpMethod.POST, "/v1.0/templates/:id/install", Access.ACCOUNT, null, cycles::installTemplate);
    route(r, HttpMethod.GET, "/v1.0/cycles", Access.ACCOUNT, null, cycles::listCycles);
    route(r, HttpMethod.GET, "/v1.0/cycles/:id", Access.ACCOUNT, null, cycles::getCycle);
    route(r, HttpMethod.DELETE, "/v1.0/cycles/:id", Access.ACCOUNT, null, cycles::deleteCycle);
    route(r, HttpMethod.GET, "/v1.0/cycles/:id/prerequisites", Access.ACCOUNT, null, cycles::prerequisites);
    route(r, HttpMethod.PUT, "/v1.0/cycles/:id/activate", Access.ACCOUNT, null, cycles::activate);
    route(r, HttpMethod.PUT, "/v1.0/cycles/:id/deactivate", Access.ACCOUNT, null, cycles::deactivate);

    route(r, HttpMethod.GET, "/v1.0/account/connectors", Access.ACCOUNT, null, api::listAccountConnectors);
    route(r, HttpMethod.GET, "/v1.0/account/connectors/:id", Access.ACCOUNT, null, api::getAccountConnector);
    route(r, HttpMethod.DELETE, "/v1.0/account/connectors/:id", Access.ACCOUNT, null, api::deleteAccountConnector);
    route(r, HttpMethod.PUT, "/v1.0/account/connectors/:id", Access.ACCOUNT, null, api::updateAccountConnector);
    route(r, HttpMethod.PUT, "/v1.0/account/connectors/:id/deauthenticate", Access.ACCOUNT, null,
        api::deauthenticate);

    r.route().handler(rc -> admit(rc, UNMATCHED, Access.PUBLIC,
        (ctx, a) -> Http.message(ctx, 404, "No HTTP resource was found that matches the request URI")));
    r.route().failureHandler(this::failure);
    return r;
  }

  private void page(Router r, String path) {
    String key = "GET " + path;
    r.get(path).handler(rc -> {
      stats.countRoute(key);
      oauthPage.handle(rc);
    });
  }

  /** Registers a route; {@code key} null derives the stats key from the path ({@code :id} → {@code {id}}). */
  private void route(Router r, HttpMethod method, String path, Access access,
                     Function<RoutingContext, String> key, ApiHandler handler) {
    String fixedKey = method.name() + " " + path.replaceAll(":(\\w+)", "{$1}");
    Function<RoutingContext, String> keyOf = key == null ? rc -> fixedKey : key;
    r.route(method, path).handler(rc -> admit(rc, keyOf.apply(rc), access, handler));
  }

  private static Function<RoutingContext, String> idOrName(String idKey, String nameKey) {
    return rc -> ApiHandlers.isNumeric(rc.pathParam("id")) ? idKey : nameKey;
  }

  /** Counts the request as in flight from arrival until its response ends or its connection closes. */
  private void track(RoutingContext rc) {
    stats.requestStarted();
    long arrived = System.nanoTime();
    AtomicBoolean done = new AtomicBoolean();
    rc.addEndHandler(ar -> {
      if (done.compareAndSet(false, true)) {
        stats.requestFinished();
        stats.answered(System.nanoTime() - arrived);
      }
    });
    rc.next();
  }

  /** Faults first (cheap rejections, as a gateway would do), then the latency wait, then the real work. */
  private void admit(RoutingContext rc, String key, Access access, ApiHandler handler) {
    stats.countRoute(key);
    if (options.isOutage()) {
      serviceUnavailable(rc);
      return;
    }
    int rateLimit = options.getRateLimitPerSecond();
    if (rateLimit > 0 && !limiter.tryAcquire(rateLimit, System.nanoTime())) {
      stats.countRateLimited();
      String retryAfter = options.getRetryAfterValue();
      if (retryAfter != null && !retryAfter.isEmpty()) {
        rc.response().putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
      }
      Http.message(rc, 429, "Too many requests");
      return;
    }
    double failureRate = options.getFailureRate();
    if (access != Access.TOKEN && failureRate > 0 && ThreadLocalRandom.current().nextDouble() < failureRate) {
      serviceUnavailable(rc);
      return;
    }
    long delay = options.getLatencyMs();
    int jitter = options.getLatencyJitterMs();
    if (jitter > 0) {
      delay += ThreadLocalRandom.current().nextInt(jitter + 1);
    }
    if (delay > 0) {
      vertx.setTimer(delay, t -> serve(rc, access, handler));
    } else {
      serve(rc, access, handler);
    }
  }

  private void serviceUnavailable(RoutingContext rc) {
    stats.countFailureInjected();
    Http.message(rc, 503, "Service unavailable");
  }

  private void serve(RoutingContext rc, Access access, ApiHandler handler) {
    if (rc.response().ended() || rc.response().closed()) {
      return; // the client gave up during the latency wait
    }
    try {
      Account account = null;
      if (access == Access.PARTNER || access == Access.ACCOUNT) {
        if (!tokens.isValidAccessToken(bearerToken(rc))) {
          stats.countUnauthorized();
          rc.response().putHeader("WWW-Authenticate", "Bearer");
          Http.message(rc, 401, "Authorization has been denied for this request.");
          return;
        }
      }
      if (access == Access.ACCOUNT) {
        account = account(rc);
      }
      handler.handle(rc, account);
    } catch (ApiError e) {
      Http.message(rc, e.status(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("Emulator handler failed for {} {}", rc.request().method(), rc.request().path(), e);
      Http.message(rc, 500, "An error has occurred.");
    }
  }

  private Account account(RoutingContext rc) {
    String id = rc.request().getHeader(ACCOUNT_HEADER);
    if (id == null || id.isBlank()) {
      throw new ApiError(400, "X-Cyclr-Account header is required");
    }
    Account account = options.isAutoCreateAccounts() ? state.accountOrCreate(id) : state.account(id);
    if (account == null) {
      throw new ApiError(404, "Account not found");
    }
    return account;
  }

  private static String bearerToken(RoutingContext rc) {
    String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  /** {@code POST /oauth/token}: client credentials in a form body, as Cyclr documents. */
  private void token(RoutingContext rc) {
    stats.countTokenRequest();
    MultiMap form = rc.request().formAttributes();
    if (!"client_credentials".equals(form.get("grant_type"))
        || !options.getClientId().equals(form.get("client_id"))
        || !options.getClientSecret().equals(form.get("client_secret"))) {
      stats.countUnauthorized();
      Http.json(rc, 401, new JsonObject().put("error", "invalid_client"));
      return;
    }
    int lifetime = options.getAccessTokenLifetimeSeconds();
    Http.json(rc, 200, new JsonObject()
        .put("token_type", "bearer")
        .put("access_token", tokens.issueAccessToken(lifetime))
        .put("expires_in", lifetime)
        .put("clientId", options.getClientId()));
  }

  private void failure(RoutingContext rc) {
    int status = rc.statusCode();
    if (status == 413) {
      Http.message(rc, 413, "The request is too large.");
    } else if (status >= 400 && status < 500) {
      Http.message(rc, status, "The request is invalid.");
    } else {
      if (rc.failure() != null) {
        LOG.warn("Emulator request failed: {} {}", rc.request().method(), rc.request().path(), rc.failure());
      }
      Http.message(rc, 500, "An error has occurred.");
    }
  }

  @Override
  public String toString() {
    return "CyclrEmulator{" + (port < 0 ? "not started" : apiUrl()) + ", " + options + '}';
  }
}
