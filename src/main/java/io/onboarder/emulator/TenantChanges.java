package io.onboarder.emulator;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Changes a tenant behind the service's back, as someone in Cyclr's console would: removes an install, revokes a
 * sign-in, pauses or removes a cycle, deletes the account. It goes through Cyclr's public API only (a
 * client-credentials token, then the same calls Cyclr documents), so it works against the emulator, which tests
 * and the demo use it on, and against any Cyclr-like API. Each change fails if Cyclr does not answer 2xx (after up to
 * five tries of a 503 or of no answer).
 */
public final class TenantChanges implements AutoCloseable {
  private static final long TIMEOUT_MS = 10_000;
  private static final int ATTEMPTS = 5;
  private static final long PAUSE_MS = 50;

  private final Vertx vertx;
  private final WebClient http;
  private final String apiUrl;
  private final String clientId;
  private final String clientSecret;
  private Future<String> token;

  public TenantChanges(Vertx vertx, String apiUrl, String clientId, String clientSecret) {
    this.vertx = vertx;
    this.http = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false));
    this.apiUrl = apiUrl.replaceAll("/+$", "");
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  /** Changes at this emulator, with its client credentials. */
  public static TenantChanges at(Vertx vertx, CyclrEmulator emulator) {
    return new TenantChanges(vertx, emulator.apiUrl(), emulator.options().getClientId(),
        emulator.options().getClientSecret());
  }

  /** {@code DELETE /v1.0/account/connectors/{id}}: the install is gone. */
  public Future<Void> deleteInstall(String account, long accountConnectorId) {
    return call(HttpMethod.DELETE, "/v1.0/account/connectors/" + accountConnectorId, account);
  }

  /** {@code PUT /v1.0/account/connectors/{id}/deauthenticate}: the tenant's grant is revoked. */
  public Future<Void> deauthenticate(String account, long accountConnectorId) {
    return call(HttpMethod.PUT, "/v1.0/account/connectors/" + accountConnectorId + "/deauthenticate", account);
  }

  /** {@code PUT /v1.0/cycles/{id}/deactivate}: the cycle is paused. */
  public Future<Void> deactivateCycle(String account, String cycleId) {
    return call(HttpMethod.PUT, "/v1.0/cycles/" + encode(cycleId) + "/deactivate", account);
  }

  /** {@code DELETE /v1.0/cycles/{id}} (a paused one: Cyclr refuses to delete an active cycle). */
  public Future<Void> deleteCycle(String account, String cycleId) {
    return call(HttpMethod.DELETE, "/v1.0/cycles/" + encode(cycleId), account);
  }

  /** {@code DELETE /v1.0/accounts/{id}}: the account and everything in it. */
  public Future<Void> deleteAccount(String account) {
    return call(HttpMethod.DELETE, "/v1.0/accounts/" + encode(account), null);
  }

  @Override
  public void close() {
    http.close();
  }

  /**
   * Each change is idempotent, so a 503 (which the emulator injects at its fault rate, and which Cyclr answers
   * when it sheds load) is asked again, a few times with a short pause; a DELETE asked again that finds the
   * thing gone (404) is done.
   */
  private Future<Void> call(HttpMethod method, String path, String account) {
    return call(method, path, account, 1);
  }

  private Future<Void> call(HttpMethod method, String path, String account, int attempt) {
    return send(method, path, account).transform(ar -> {
      if ((ar.failed() || ar.result().statusCode() == 503) && attempt < ATTEMPTS) {
        // A 503, or no answer (the token's 503, a lost connection): the same change again after a pause.
        return vertx.timer(PAUSE_MS * attempt).compose(x -> call(method, path, account, attempt + 1));
      }
      if (ar.failed()) {
        return Future.failedFuture(ar.cause());
      }
      HttpResponse<Buffer> resp = ar.result();
      if (resp.statusCode() == 404 && attempt > 1 && method == HttpMethod.DELETE) {
        return Future.succeededFuture();
      }
      return expect2xx(resp, method + " " + path);
    });
  }

  private Future<HttpResponse<Buffer>> send(HttpMethod method, String path, String account) {
    return token().compose(t -> {
      HttpRequest<Buffer> req = http.requestAbs(method, apiUrl + path).timeout(TIMEOUT_MS).bearerTokenAuthentication(t);
      if (account != null) {
        req.putHeader("X-Cyclr-Account", account);
      }
      return method == HttpMethod.PUT ? req.sendJsonObject(new JsonObject()) : req.send();
    });
  }

  private synchronized Future<String> token() {
    if (token == null || token.failed()) {
      MultiMap form = MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials")
          .add("client_id", clientId).add("client_secret", clientSecret);
      token = http.postAbs(apiUrl + "/oauth/token").timeout(TIMEOUT_MS).sendForm(form)
          .compose(resp -> expect2xx(resp, "POST /oauth/token").map(v -> resp.bodyAsJsonObject()
              .getString("access_token")));
    }
    return token;
  }

  private static Future<Void> expect2xx(HttpResponse<?> resp, String what) {
    return resp.statusCode() / 100 == 2 ? Future.succeededFuture()
        : Future.failedFuture(new IllegalStateException(what + " answered HTTP " + resp.statusCode()));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
