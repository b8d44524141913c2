package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Query parameters and headers read the same way on every route: a value against its rule sends a 400
 * problem (and the handler sees null and stops, checking {@code response().ended()}).
 */
final class HttpParams {
  private HttpParams() {}

  /** The parameter as a whole number in [min, max], {@code def} when absent; null after a 400 was sent. */
  static Integer intParam(RoutingContext rc, String name, int def, int min, int max) {
    String v = rc.request().getParam(name);
    if (v == null) {
      return def;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // fall through
    }
    Problems.send(rc, Problem.badRequest(name + " must be a whole number from " + min + " to " + max + "."));
    return null;
  }

  /** The parameter as a whole number of 0 or more, or null when absent (or after a 400 was sent). */
  static Long longParam(RoutingContext rc, String name) {
    String v = rc.request().getParam(name);
    if (v == null) {
      return null;
    }
    if (v.trim().matches("\\d{1,18}")) {
      return Long.parseLong(v.trim());
    }
    Problems.send(rc, Problem.badRequest(name + " must be a whole number of 0 or more."));
    return null;
  }

  /** The parameter as true or false ({@code false} when absent); null after a 400 was sent. */
  static Boolean bool(RoutingContext rc, String name) {
    String v = rc.request().getParam(name, "false");
    if (v.equals("true") || v.equals("false")) {
      return v.equals("true");
    }
    Problems.send(rc, Problem.badRequest(name + " must be true or false."));
    return null;
  }

  static long contentLength(HttpServerRequest req) {
    String v = req.getHeader("Content-Length");
    try {
      return v == null ? -1 : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
