package io.onboarder.cyclr;

import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends calls to Cyclr through the {@link RequestGate}, with the bearer token, a timeout on every
 * request, and bounded retries as {@link RetryPolicy} classifies them. It never re-sends a
 * non-idempotent call whose outcome is unknown: that surfaces as {@link CyclrException.Ambiguous}.
 */
public final class CyclrClient {
  private static final Logger log = LoggerFactory.getLogger(CyclrClient.class);
  private static final int MAX_RATE_LIMITED_RETRIES = 50;

  private final Vertx vertx;
  private final WebClient web;
  private final String apiUrl;
  private final long timeoutMs;
  private final int maxAttempts;
  private final RequestGate gate;
  private final RetryPolicy retry;
  private final AccessTokens tokens;
  private final Metrics metrics;

  public CyclrClient(Vertx vertx, String apiUrl, String clientId, String clientSecret, long timeoutMs,
                     int maxAttempts, int maxConcurrency, RequestGate gate, RetryPolicy retry, Metrics metrics) {
    this.vertx = vertx;
    this.apiUrl = apiUrl;
    this.timeoutMs = timeoutMs;
    this.maxAttempts = maxAttempts;
    this.gate = gate;
    this.retry = retry;
    this.metrics = metrics;
    // The gate bounds requests in flight; the pool holds one connection per permit.
    this.web = WebClient.create(vertx, new WebClientOptions()
            .setConnectTimeout((int) Math.min(timeoutMs, 10_000))
            .setKeepAlive(true)
            .setFollowRedirects(false)
            .setUserAgent("cyclr-onboarder"),
        new PoolOptions().setHttp1MaxSize(maxConcurrency).setHttp2MaxSize(maxConcurrency));
    this.tokens = new AccessTokens(clientId, clientSecret, this::sendJson);
  }

  public RequestGate gate() {
    return gate;
  }

  /** Sends a call; succeeds with the 2xx response. */
  public Future<HttpResponse<Buffer>> send(CyclrCall call) {
    return attempt(call, 1, false, 0);
  }

  /** Sends a call; succeeds with the JSON object body (empty when there is none). */
  public Future<JsonObject> sendJson(CyclrCall call) {
    return send(call).map(r -> {
      Buffer b = r.body();
      return b == null || b.length() == 0 ? new JsonObject() : b.toJsonObject();
    });
  }

  public Future<Void> close() {
    web.close();
    return Future.succeededFuture();
  }

  private Future<HttpResponse<Buffer>> attempt(CyclrCall call, int attempt, boolean refreshed, int rateLimited) {
    Future<String> token = call.authenticated() ? tokens.get() : Future.succeededFuture(null);
    return token.compose(t -> gate.acquire().compose(v -> exchange(call, t)))
        .compose(ex -> {
          CallKind kind = ex.kind;
          switch (kind) {
            case SUCCESS:
              return Future.succeededFuture(ex.response);
            case UNAUTHORIZED:
              if (call.authenticated() && !refreshed) {
                tokens.invalidate(ex.token);
                metrics.cyclrRetry("unauthorized");
                return attempt(call, attempt, true, rateLimited);
              }
              return Future.failedFuture(new CyclrException(call.authenticated() ? "CYCLR_UNAUTHORIZED"
                  : "CYCLR_AUTH_FAILED", "Cyclr refused the credentials (401): check CYCLR_CLIENT_ID and "
                  + "CYCLR_CLIENT_SECRET", 401));
            case RATE_LIMITED: {
              var wait = RetryPolicy.parseRetryAfter(ex.response.getHeader("Retry-After"), Instant.now());
              gate.rateLimited(wait);
              metrics.cyclrRetry("rate_limited");
              if (rateLimited + 1 >= MAX_RATE_LIMITED_RETRIES) {
                return Future.failedFuture(new CyclrException("CYCLR_RATE_LIMITED",
                    "Cyclr kept answering 429 Too Many Requests", 429));
              }
              // The gate holds everyone until the pause ends; no per-request sleep needed.
              return attempt(call, attempt, refreshed, rateLimited + 1);
            }
            case AMBIGUOUS:
              return Future.failedFuture(new CyclrException.Ambiguous(ex.describe()));
            case RETRYABLE: {
              // Failures while the breaker is open or probing are Cyclr being down: they do not burn attempts.
              boolean counts = gate.breakerClosed();
              int next = counts ? attempt + 1 : attempt;
              if (next > maxAttempts) {
                return Future.failedFuture(new CyclrException("CYCLR_UNAVAILABLE",
                    "Cyclr did not answer successfully after " + maxAttempts + " attempts: " + ex.describe(),
                    ex.response == null ? null : ex.response.statusCode()));
              }
              metrics.cyclrRetry(ex.response == null ? "transport" : "status_" + ex.response.statusCode());
              long delay = retry.backoffMs(attempt);
              if (ex.response != null && ex.response.getHeader("Retry-After") != null) {
                delay = Math.max(delay, RetryPolicy.parseRetryAfter(ex.response.getHeader("Retry-After"),
                    Instant.now()).toMillis());
              }
              return vertx.timer(Math.max(1, delay)).compose(x -> attempt(call, next, refreshed, rateLimited));
            }
            default:
              return Future.failedFuture(new CyclrException("CYCLR_4XX", cyclrMessage(ex.response),
                  ex.response.statusCode()));
          }
        });
  }

  /** One HTTP exchange, holding one gate permit; never fails: the outcome is classified instead. */
  private Future<Exchange> exchange(CyclrCall call, String token) {
    long start = System.nanoTime();
    HttpRequest<Buffer> req = web.requestAbs(call.method(), apiUrl + call.path()).timeout(timeoutMs);
    req.putHeader(HttpHeaders.ACCEPT.toString(), "application/json");
    if (token != null) {
      req.putHeader(HttpHeaders.AUTHORIZATION.toString(), "Bearer " + token);
    }
    if (call.account() != null) {
      req.putHeader("X-Cyclr-Account", call.account());
    }
    Future<HttpResponse<Buffer>> sent;
    if (call.form() != null) {
      sent = req.sendForm(call.form());
    } else if (call.json() != null) {
      sent = req.sendJsonObject(call.json());
    } else {
      sent = req.send();
    }
    return sent.transform(ar -> {
      Exchange ex = ar.succeeded()
          ? new Exchange(RetryPolicy.classify(ar.result().statusCode(), call.idempotent()), ar.result(), null, token)
          : new Exchange(RetryPolicy.classify(ar.cause(), call.idempotent()), null, ar.cause(), token);
      gate.release(ex.kind);
      metrics.cyclrCall(call.route(), ex.kind.name().toLowerCase(), System.nanoTime() - start);
      if (ex.kind != CallKind.SUCCESS && log.isDebugEnabled()) {
        log.debug("{} -> {}", call.route(), ex.describe());
      }
      return Future.succeededFuture(ex);
    });
  }

  /** Cyclr's {"Message": "..."} when present, else the status line. Never echoes request data. */
  static String cyclrMessage(HttpResponse<Buffer> response) {
    try {
      JsonObject body = response.bodyAsJsonObject();
      if (body != null && body.getString("Message") != null) {
        String m = body.getString("Message");
        return m.length() > 500 ? m.substring(0, 500) : m;
      }
    } catch (RuntimeException ignored) {
      // not JSON
    }
    return "Cyclr answered HTTP " + response.statusCode();
  }

  private record Exchange(CallKind kind, HttpResponse<Buffer> response, Throwable failure, String token) {
    String describe() {
      if (response != null) {
        return "HTTP " + response.statusCode();
      }
      String m = failure.getMessage();
      return failure.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
  }
}
