package io.onboarder.cyclr;

import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * The partner access token (client credentials): cached until shortly before it expires, fetched
 * by one request at a time however many callers wait (single flight), and renewed on a 401.
 */
final class AccessTokens {
  private final String clientId;
  private final String clientSecret;
  private final Function<CyclrCall, Future<JsonObject>> sender;
  private final Clock time;
  private Future<String> current;
  private long refreshAt;

  AccessTokens(String clientId, String clientSecret, Function<CyclrCall, Future<JsonObject>> sender,
               Clock time) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.sender = sender;
    this.time = time;
  }

  Future<String> get() {
    if (current == null || (current.isComplete() && (current.failed() || time.nanoTime() - refreshAt >= 0))) {
      current = fetch();
    }
    return current;
  }

  /** Drops the token a 401 was answered to, unless a newer one has replaced it already. */
  void invalidate(String rejected) {
    if (current != null && current.succeeded() && current.result().equals(rejected)) {
      current = null;
    }
  }

  private Future<String> fetch() {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials")
        .add("client_id", clientId)
        .add("client_secret", clientSecret);
    CyclrCall call = new CyclrCall(HttpMethod.POST, "/oauth/token", null, null, form, true, false, "POST /oauth/token");
    return sender.apply(call).map(body -> {
      String token = body.getValue("access_token") instanceof String t ? t : null;
      if (token == null || token.isEmpty()) {
        throw new CyclrException("CYCLR_AUTH_FAILED", "the token endpoint returned no access_token", null);
      }
      long lifetime = OnboardFlow.longOf(body.getValue("expires_in"), 3600L);
      // Renew at 80 % of the lifetime, and at most 10 minutes before it ends (within a year: a wild
      // expires_in cannot overflow the clock).
      long renewSeconds = Math.max(1, Math.min((long) (lifetime * 0.8), lifetime - 600));
      long renewIn = Math.min(renewSeconds, 365L * 86_400) * 1_000_000_000L;
      refreshAt = time.nanoTime() + renewIn;
      return token;
    });
  }
}
