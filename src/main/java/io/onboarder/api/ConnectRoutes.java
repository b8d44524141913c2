package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.regex.Pattern;

/**
 * The only routes without a bearer token: {@code GET /connect/{token}} (the page with a Connect button;
 * calls nothing at Cyclr), {@code POST /connect/{token}} (mints a Cyclr sign-in token, 303 to Cyclr's page)
 * and {@code GET /connect/{token}/done} (Cyclr's return). The token in the path is the capability: no
 * cookie or session is involved, so a cross-site POST carries no authority the poster did not already
 * have (no CSRF token needed). Rate-limited per client IP ({@link ClientAddress}: {@code X-Forwarded-For} is
 * believed from {@code TRUSTED_PROXIES} only); every answer is uncacheable, unframeable,
 * sends no Referer, and runs no script.
 */
final class ConnectRoutes {
  /** 32 bytes, base64url without padding. Anything else is not a token this service issued: 404. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final DeliveryOptions TO_SERVICE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(65_000);

  private final Vertx vertx;
  private final ClientRateLimiter limiter;
  private final ClientAddress clients;
  private final String csp;

  ConnectRoutes(Vertx vertx, Settings settings, ClientRateLimiter limiter) {
    this.vertx = vertx;
    this.limiter = limiter;
    this.clients = new ClientAddress(settings.trustedProxies());
    this.csp = ConnectPages.contentSecurityPolicy(origin(settings.cyclrServiceUrl()));
  }

  private static String origin(String url) {
    URI u = URI.create(url);
    return u.getScheme() + "://" + u.getRawAuthority();
  }

  void mount(Router router) {
    router.route("/connect/*").handler(this::securityHeaders).handler(this::rateLimit);
    router.get("/connect/:token").handler(rc -> page(rc, "view"));
    router.post("/connect/:token").handler(rc -> page(rc, "start"));
    router.get("/connect/:token/done").handler(rc -> page(rc, "done"));
    router.route("/connect/*").handler(rc -> html(rc, 404, ConnectPages.notFound()));
  }

  private void securityHeaders(RoutingContext rc) {
    rc.addHeadersEndHandler(v -> rc.response().headers()
        .set("Content-Security-Policy", csp)
        .set("Referrer-Policy", "no-referrer")
        .set(HttpHeaders.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff")
        .set("X-Frame-Options", "DENY"));
    rc.next();
  }

  private void rateLimit(RoutingContext rc) {
    long retryAfter = limiter.acquire(clients.of(rc.request()));
    if (retryAfter > 0) {
      rc.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter));
      html(rc, 429, ConnectPages.tooManyRequests());
    } else {
      rc.next();
    }
  }

  private void page(RoutingContext rc, String op) {
    String token = rc.pathParam("token");
    if (token == null || !TOKEN.matcher(token).matches()) {
      html(rc, 404, ConnectPages.notFound());
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.CONNECT, new JsonObject().put("op", op).put("token", token),
        TO_SERVICE).onComplete(ar -> {
          JsonObject page = ar.succeeded() ? ar.result().body() : new JsonObject().put("page", "unavailable");
          switch (page.getString("page", "unavailable")) {
            case "connect" -> html(rc, 200, ConnectPages.connect(page.getString("connectorName"),
                page.getString("expiresAt")));
            case "connected" -> html(rc, 200, ConnectPages.connected(page.getString("connectorName")));
            case "gone" -> html(rc, 410, ConnectPages.gone());
            case "too-many" -> {
              long retryAfter = page.getLong("retryAfter", 60L);
              rc.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter));
              html(rc, 429, ConnectPages.tooManyAttempts(retryAfter));
            }
            case "redirect" -> {
              if (!rc.response().ended()) {
                rc.response().setStatusCode(303).putHeader(HttpHeaders.LOCATION, page.getString("location")).end();
              }
            }
            default -> {
              rc.response().putHeader(HttpHeaders.RETRY_AFTER, "30");
              html(rc, 503, ConnectPages.unavailable());
            }
          }
        });
  }

  private static void html(RoutingContext rc, int status, String page) {
    if (rc.response().ended() || rc.response().headWritten()) {
      return;
    }
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(page);
  }
}
