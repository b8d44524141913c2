package io.onboarder.emulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/** Response helpers shared by the handlers, so every body and header looks like Cyclr's. */
final class Http {

  static final String JSON = "application/json; charset=utf-8";
  static final String HTML = "text/html; charset=utf-8";

  private Http() {
  }

  static void json(RoutingContext rc, int status, JsonObject body) {
    send(rc, status, body.toBuffer());
  }

  static void json(RoutingContext rc, int status, JsonArray body) {
    send(rc, status, body.toBuffer());
  }

  static void message(RoutingContext rc, int status, String message) {
    json(rc, status, new JsonObject().put("Message", message));
  }

  static void html(RoutingContext rc, int status, String page) {
    if (rc.response().ended() || rc.response().closed()) {
      return;
    }
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, HTML).end(page);
  }

  private static void send(RoutingContext rc, int status, Buffer body) {
    // The client may have gone away while a latency timer ran: nothing to answer then.
    if (rc.response().ended() || rc.response().closed()) {
      return;
    }
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
  }

  /**
   * Cuts one page out of {@code all}: {@code page} is 1-based; {@code pageSize} is capped at
   * {@link EmulatorOptions#getPageSizeMax()} whatever the client asks; bad values fall back to the defaults.
   */
  static <T> List<T> page(RoutingContext rc, List<T> all, EmulatorOptions options) {
    int max = options.getPageSizeMax();
    int page = Math.max(1, intParam(rc, "page", 1));
    int size = intParam(rc, "pageSize", max);
    size = size < 1 ? max : Math.min(size, max);
    if (options.isSendTotalPagesHeader()) {
      int totalPages = (all.size() + size - 1) / size;
      rc.response().putHeader("Total-Pages", Integer.toString(totalPages));
      rc.response().putHeader("Total-Records", Integer.toString(all.size()));
    }
    long from = (long) (page - 1) * size;
    if (from >= all.size()) {
      return List.of();
    }
    return all.subList((int) from, (int) Math.min(all.size(), from + size));
  }

  static int intParam(RoutingContext rc, String name, int fallback) {
    String v = rc.queryParams().get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
