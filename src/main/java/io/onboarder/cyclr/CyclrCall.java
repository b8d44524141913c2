package io.onboarder.cyclr;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/**
 * One request to Cyclr. {@code route} is the path template used in metrics and logs (never
 * the concrete path, which holds account ids); {@code idempotent} says whether re-sending after
 * an unknown outcome is harmless.
 */
public record CyclrCall(HttpMethod method, String path, String account, JsonObject json, MultiMap form,
                        boolean idempotent, boolean authenticated, String route) {

  public static CyclrCall get(String path, String account, String route) {
    return new CyclrCall(HttpMethod.GET, path, account, null, null, true, true, route);
  }

  public static CyclrCall put(String path, String account, JsonObject body, boolean idempotent, String route) {
    return new CyclrCall(HttpMethod.PUT, path, account, body, null, idempotent, true, route);
  }

  /**
   * A DELETE, never re-sent by the client after an unknown outcome (timeout, lost connection, unreadable 2xx): the
   * caller checks whether the thing is still there first.
   */
  public static CyclrCall delete(String path, String account, String route) {
    return new CyclrCall(HttpMethod.DELETE, path, account, null, null, false, true, route);
  }

  public static CyclrCall post(String path, String account, JsonObject body, boolean idempotent, String route) {
    return new CyclrCall(HttpMethod.POST, path, account, body, null, idempotent, true, route);
  }
}
