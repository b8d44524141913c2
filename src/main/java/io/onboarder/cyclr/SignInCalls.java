package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The gateway's sign-in calls ({@code cyclr.gateway.signin}), for relay links, reissues and the sign-in
 * watch: they go through the same gate as installs (rate limit, concurrency cap, breaker, retries).
 * Request {@code {"op", "account", "accountConnectorId", "username"?, "targetOrigin"?, "callbackMessage"?}};
 * {@code op}: {@code check} (is it authenticated?), {@code start} (check, then mint only if not),
 * {@code mint}. Reply {@code {"found", "authenticated", "url"?, "expiresAt"?}}; a failure is code 503
 * with the reason.
 */
final class SignInCalls {
  private SignInCalls() {}

  static void handle(OnboardFlow flow, Message<JsonObject> msg) {
    JsonObject r = msg.body();
    String account = r.getString("account");
    Long acId = r.getLong("accountConnectorId");
    String op = r.getString("op", "");
    if (account == null || acId == null || !(op.equals("check") || op.equals("start") || op.equals("mint"))) {
      msg.fail(400, "a sign-in call needs op (check, start, mint), account and accountConnectorId");
      return;
    }
    Future<JsonObject> result = op.equals("mint") ? mint(flow, r, account, acId)
        : flow.signedIn(account, acId).compose(signedIn -> {
          JsonObject state = new JsonObject().put("found", signedIn != null)
              .put("authenticated", Boolean.TRUE.equals(signedIn));
          // Already signed in (or gone): nothing is minted, a second attempt costs Cyclr no token.
          return op.equals("check") || signedIn == null || signedIn ? Future.succeededFuture(state)
              : mint(flow, r, account, acId);
        });
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        msg.fail(503, ar.cause() instanceof CyclrException e ? e.code() + ": " + e.getMessage()
            : "sign-in call failed: " + ar.cause().getClass().getSimpleName());
      }
    });
  }

  private static Future<JsonObject> mint(OnboardFlow flow, JsonObject r, String account, long acId) {
    return flow.signInLink(account, r.getString("username"), acId, r.getString("targetOrigin"),
            r.getString("callbackMessage"))
        .map(link -> link.put("found", true).put("authenticated", false));
  }
}
