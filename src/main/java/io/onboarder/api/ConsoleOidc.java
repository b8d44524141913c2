package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.onboarder.config.ConsoleSettings;
import io.onboarder.config.Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The console's OIDC sign-in as the page needs it, {@code GET /console/oidc.json}: the public client id, scopes and
 * the issuer's authorization and token endpoints (from the discovery document the API's key source already reads,
 * so the browser never fetches discovery itself), and the Content-Security-Policy of console pages, whose
 * {@code connect-src} adds the issuer's origin (and the token endpoint's) only while OIDC sign-in is on: the page
 * posts the code there. Without {@code CONSOLE_OIDC_CLIENT_ID} and {@code AUTH_OIDC_ISSUER} it answers
 * {@code {"enabled": false}}.
 */
final class ConsoleOidc {
  private final ConsoleSettings console;
  private final String configuredIssuer;
  /** Null when OIDC sign-in is off. */
  private final JwksSource keys;

  ConsoleOidc(Settings settings, BearerAuth auth) {
    this.console = settings.console();
    this.configuredIssuer = settings.jwt().oidcIssuer();
    JwtCallers jwt = auth == null ? null : auth.jwt();
    this.keys = console.oidc() && jwt != null ? jwt.keys() : null;
  }

  /** The policy of every console answer; the identity provider's origins in {@code connect-src} when it is on. */
  String contentSecurityPolicy() {
    Set<String> connect = new LinkedHashSet<>();
    connect.add("'self'");
    if (keys != null) {
      connect.add(origin(configuredIssuer));
      JwksSource.Discovered d = keys.lastDiscovery();
      if (d != null && d.tokenEndpoint() != null) {
        connect.add(origin(d.tokenEndpoint()));
      }
    }
    return ConsoleRoutes.CONTENT_SECURITY_POLICY.replace("connect-src 'self'", "connect-src "
        + String.join(" ", connect));
  }

  void serve(RoutingContext rc) {
    if (keys == null) {
      send(rc, new JsonObject().put("enabled", false));
      return;
    }
    keys.discovery().onComplete(ar -> {
      JwksSource.Discovered d = ar.succeeded() ? ar.result() : null;
      if (d == null || d.authorizationEndpoint() == null || d.tokenEndpoint() == null) {
        Problems.send(rc, Problem.unavailable("The identity provider's discovery document could not be read or names "
            + "no https authorization and token endpoints; sign in with a token meanwhile."));
        return;
      }
      send(rc, new JsonObject().put("enabled", true)
          // The configured issuer (a checked URL the page shows the host of); discovery's must equal it anyway.
          .put("issuer", configuredIssuer)
          .put("clientId", console.oidcClientId())
          .put("scopes", console.oidcScopes())
          .put("authorizationEndpoint", d.authorizationEndpoint())
          .put("tokenEndpoint", d.tokenEndpoint()));
    });
  }

  private void send(RoutingContext rc, JsonObject body) {
    ConsoleRoutes.securityHeaders(rc.response(), contentSecurityPolicy())
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }

  /** scheme://host[:port] of an absolute URL (the configured and discovered ones were checked as such). */
  static String origin(String url) {
    URI u = URI.create(url);
    return u.getScheme().toLowerCase(Locale.ROOT) + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
  }
}
