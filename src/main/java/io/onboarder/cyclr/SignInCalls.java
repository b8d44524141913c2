package io.onboarder.cyclr;

import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;

/**
 * The gateway's sign-in calls ({@code cyclr.gateway.signin}), for relay links, reissues and the sign-in
 * watch: they go through the same gate as installs (rate limit, concurrency cap, breaker, retries).
 * {@link SignInOp}: {@code CHECK} (is it authenticated?), {@code START} (check, then mint only if not),
 * {@code MINT}, {@code HEALTH} (a credential health check: like CHECK, but an unclear answer fails). A failure is
 * code 503 with the reason; a request without op, account or account connector
 * is refused with 400.
 */
final class SignInCalls {
  private SignInCalls() {}

  static void handle(OnboardFlow flow, Message<SignInRequest> msg) {
    SignInRequest r = msg.body();
    if (r == null || r.op() == null || r.account() == null || r.accountConnectorId() == null) {
      msg.fail(400, "a sign-in call needs op (check, start, mint), account and accountConnectorId");
      return;
    }
    String account = r.account();
    long acId = r.accountConnectorId();
    Future<SignInReply> result = r.op() == SignInOp.MINT ? mint(flow, r, account, acId)
        : r.op() == SignInOp.HEALTH ? flow.stillSignedIn(account, acId)
            .map(signedIn -> new SignInReply(signedIn != null, Boolean.TRUE.equals(signedIn), null, null))
        : flow.signedIn(account, acId).compose(signedIn -> {
          SignInReply state = new SignInReply(signedIn != null, Boolean.TRUE.equals(signedIn), null, null);
          // Already signed in (or gone): nothing is minted, a second attempt costs Cyclr no token.
          return r.op() == SignInOp.CHECK || signedIn == null || signedIn ? Future.succeededFuture(state)
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

  private static Future<SignInReply> mint(OnboardFlow flow, SignInRequest r, String account, long acId) {
    LinkOptions link = r.link() != null ? r.link() : OnboardFlow.NO_LINK;
    return flow.signInLink(account, link.username(), acId, link.targetOrigin(), link.callbackMessage())
        .map(l -> new SignInReply(true, false, l.getString("url"), l.getString("expiresAt")));
  }
}
