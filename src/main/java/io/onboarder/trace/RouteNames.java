package io.onboarder.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;

/**
 * Names a request's server span {@code "{method} {route}"} ({@code "GET /v1/jobs/:id"}), as OpenTelemetry's HTTP
 * conventions ask, once the route that answers is known, and sets {@code http.route}: Vert.x's tracer knows only
 * the method. The route is the template, never the path, so no id or sign-in token is in a span's name. A first
 * handler of the router; without tracing there is no recording span and it only passes the request on.
 */
public final class RouteNames {
  static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");

  private RouteNames() {}

  public static void handle(RoutingContext rc) {
    Span span = Span.current();
    if (span.isRecording()) {
      rc.addHeadersEndHandler(v -> {
        Route route = rc.currentRoute();
        String template = route == null ? null : route.getPath();
        if (template != null) {
          span.updateName(rc.request().method().name() + " " + template);
          span.setAttribute(HTTP_ROUTE, template);
        }
      });
    }
    rc.next();
  }
}
