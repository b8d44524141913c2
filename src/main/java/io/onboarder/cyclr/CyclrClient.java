package io.onboarder.cyclr;

import io.onboarder.metrics.Metrics;
import io.onboarder.trace.CallSpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.tracing.TracingPolicy;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeoutException;
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
  private static final String APPLICATION_JSON = "application/json";
  private static final String USER_AGENT = "cyclr-onboarder";
  private static final String X_CYCLR_ACCOUNT = "X-Cyclr-Account";

  private final Vertx vertx;
  private final HttpClientAgent http;
  // Parsed once: building requests from host/port/path avoids parsing a URL per call.
  private final String host;
  private final int port;
  private final boolean ssl;
  private final String basePath;
  private final long timeoutMs;
  private final int maxAttempts;
  private final RequestGate gate;
  private final RetryPolicy retry;
  private final AccessTokens tokens;
  private final Metrics metrics;
  private final CyclrLimits limits;
  /** Each attempt's span; null when tracing is off (then no span is made, nothing is captured). */
  private final CallSpans spans;

  public CyclrClient(Vertx vertx, String apiUrl, String clientId, String clientSecret, long timeoutMs,
                     int maxAttempts, int maxConcurrency, RequestGate gate, RetryPolicy retry, Metrics metrics,
                     CyclrLimits limits) {
    this.vertx = vertx;
    java.net.URI uri = java.net.URI.create(apiUrl);
    this.ssl = "https".equalsIgnoreCase(uri.getScheme());
    this.host = uri.getHost();
    this.port = uri.getPort() > 0 ? uri.getPort() : (ssl ? 443 : 80);
    this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
    this.timeoutMs = timeoutMs;
    this.maxAttempts = maxAttempts;
    this.gate = gate;
    this.retry = retry;
    this.metrics = metrics;
    this.limits = limits;
    // The core HTTP client (lighter than WebClient at thousands of calls/s). The gate bounds requests
    // in flight; the pool holds one connection per permit. It never retries or follows redirects, and
    // never inflates by itself: ResponseBody reads every body with a cap (a gzip bomb stays small).
    this.http = vertx.httpClientBuilder()
        .with(new HttpClientOptions()
            .setConnectTimeout((int) Math.min(timeoutMs, 10_000))
            .setKeepAlive(true)
            .setDecompressionSupported(false)
            // Its spans are CallSpans' (route templates, attempts); Vert.x would record whole URLs, and Cyclr
            // gets no traceparent header.
            .setTracingPolicy(TracingPolicy.IGNORE))
        .with(new PoolOptions().setHttp1MaxSize(maxConcurrency).setHttp2MaxSize(maxConcurrency))
        .build();
    this.spans = CallSpans.of(vertx, host, port);
    this.tokens = new AccessTokens(clientId, clientSecret, this::sendJson, gate.time());
  }

  public RequestGate gate() {
    return gate;
  }

  public CyclrLimits limits() {
    return limits;
  }

  /** Sends a call; succeeds with the 2xx response. */
  public Future<CyclrResponse> send(CyclrCall call) {
    return send(call, null);
  }

  /**
   * Sends a call that each attempt first takes a permit of {@code share} for (null: none), then the gate's: e.g.
   * fleet reads, held to their share of the rate limit ({@link ReadShare}).
   */
  Future<CyclrResponse> send(CyclrCall call, ReadShare share) {
    OutageClock clock = new OutageClock(gate.breaker(), gate.time());
    if (spans == null) {
      return attempt(call, share, 1, false, 0, clock, null);
    }
    Context parent = spans.parent();
    return spans.under(parent, () -> attempt(call, share, 1, false, 0, clock, parent));
  }

  /** Sends a call; succeeds with the JSON object body (empty when there is none). */
  public Future<JsonObject> sendJson(CyclrCall call) {
    return send(call).map(r -> CyclrJson.object(call, r));
  }

  public Future<Void> close() {
    return http.close();
  }

  /** {@code parent}: the span the attempts belong under (null: tracing is off). */
  private Future<CyclrResponse> attempt(CyclrCall call, ReadShare share, int attempt, boolean refreshed,
                                        int rateLimited, OutageClock clock, Context parent) {
    Span span = parent == null ? null : spans.start(parent, call.method().name(), call.route(), attempt, rateLimited);
    Future<String> token = call.authenticated() ? tokens.get() : Future.succeededFuture(null);
    Future<Exchange> exchanged = token.compose(t -> share == null ? gate.acquire(call).compose(v -> exchange(call, t,
            span))
        : share.acquire().compose(s -> gate.acquire(call, true).compose(v -> exchange(call, t, span))
            .onComplete(ar -> share.release())));
    if (span != null) {
      exchanged = exchanged.andThen(ar -> ended(span, ar));
    }
    return exchanged
        .compose(ex -> {
          CallKind kind = ex.kind;
          switch (kind) {
            case SUCCESS:
              return Future.succeededFuture(ex.response);
            case UNAUTHORIZED:
              if (call.authenticated() && !refreshed) {
                tokens.invalidate(ex.token);
                metrics.cyclrRetry("unauthorized");
                return attempt(call, share, attempt, true, rateLimited, clock, parent);
              }
              return Future.failedFuture(new CyclrException(call.authenticated() ? "CYCLR_UNAUTHORIZED"
                  : "CYCLR_AUTH_FAILED", "Cyclr refused the credentials (401): check CYCLR_CLIENT_ID and "
                  + "CYCLR_CLIENT_SECRET", 401));
            case RATE_LIMITED: {
              var wait = RetryPolicy.parseRetryAfter(ex.response.header("Retry-After"), Instant.now());
              gate.rateLimited(wait);
              metrics.cyclrRetry("rate_limited");
              if (rateLimited + 1 >= MAX_RATE_LIMITED_RETRIES) {
                return Future.failedFuture(new CyclrException("CYCLR_RATE_LIMITED",
                    "Cyclr kept answering 429 Too Many Requests", 429));
              }
              // The gate holds everyone until the pause ends; no per-request sleep needed.
              return attempt(call, share, attempt, refreshed, rateLimited + 1, clock, parent);
            }
            case AMBIGUOUS:
              return Future.failedFuture(new CyclrException.Ambiguous(ex.describe()));
            case RETRYABLE: {
              // Cyclr down (nobody gets an answer) burns no attempts: the call waits it out, within
              // gateway.maxOutageMs (see OutageClock).
              OutageClock.Verdict verdict = clock.failed();
              if (verdict == OutageClock.Verdict.GIVE_UP) {
                return Future.failedFuture(new CyclrException("CYCLR_UNAVAILABLE", "Cyclr has been unreachable or "
                    + "failing for " + clock.waitedSeconds() + " s, longer than gateway.maxOutageMs: " + ex.describe(),
                    ex.response == null ? null : ex.response.statusCode()));
              }
              int next = verdict == OutageClock.Verdict.COUNT ? attempt + 1 : attempt;
              if (next > maxAttempts) {
                return Future.failedFuture(new CyclrException("CYCLR_UNAVAILABLE",
                    "Cyclr did not answer successfully after " + maxAttempts + " attempts: " + ex.describe(),
                    ex.response == null ? null : ex.response.statusCode()));
              }
              metrics.cyclrRetry(ex.response == null ? "transport" : "status_" + ex.response.statusCode());
              long delay = retry.backoffMs(attempt);
              if (ex.response != null && ex.response.header("Retry-After") != null) {
                delay = Math.max(delay, RetryPolicy.parseRetryAfter(ex.response.header("Retry-After"),
                    Instant.now()).toMillis());
              }
              return gate.time().timer(Math.max(1, delay)).compose(x -> attempt(call, share, next, refreshed,
                  rateLimited, clock, parent));
            }
            default:
              if (ex.failure instanceof CyclrException.Unreadable unreadable && ex.response.statusCode() < 300) {
                return Future.failedFuture(unreadable);
              }
              if (!call.authenticated()) {
                return Future.failedFuture(tokenRefused(ex.response));
              }
              return Future.failedFuture(new CyclrException("CYCLR_4XX", cyclrMessage(ex.response),
                  ex.response.statusCode()));
          }
        });
  }

  private static void ended(Span span, io.vertx.core.AsyncResult<Exchange> ar) {
    if (ar.failed()) {
      CallSpans.notSent(span, ar.cause());
      return;
    }
    Exchange ex = ar.result();
    CallSpans.end(span, ex.kind.name().toLowerCase(), ex.response == null ? -1 : ex.response.statusCode(),
        ex.response == null ? ex.failure : null, ex.response == null ? null : ex.response.header("Retry-After"));
  }

  /** One HTTP exchange, holding one gate permit; never fails: the outcome is classified instead. */
  private Future<Exchange> exchange(CyclrCall call, String token, Span span) {
    if (span != null) {
      CallSpans.permitted(span);
    }
    long start = gate.time().nanoTime();
    RequestOptions options = new RequestOptions()
        .setMethod(call.method())
        .setHost(host)
        .setPort(port)
        .setSsl(ssl)
        .setURI(basePath + call.path())
        .setFollowRedirects(false)
        .setIdleTimeout(timeoutMs)
        .putHeader(HttpHeaders.ACCEPT, APPLICATION_JSON)
        .putHeader(HttpHeaders.ACCEPT_ENCODING, HttpHeaders.IDENTITY)
        .putHeader(HttpHeaders.USER_AGENT, USER_AGENT);
    if (token != null) {
      options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token);
    }
    if (call.account() != null) {
      options.putHeader(X_CYCLR_ACCOUNT, call.account());
    }
    Buffer body = null;
    if (call.form() != null) {
      options.putHeader(HttpHeaders.CONTENT_TYPE, HttpHeaders.APPLICATION_X_WWW_FORM_URLENCODED);
      body = Buffer.buffer(formEncode(call.form()));
    } else if (call.json() != null) {
      options.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
      body = call.json().toBuffer();
    } else if (call.method() == io.vertx.core.http.HttpMethod.POST) {
      // An empty POST still says Content-Length: 0 (IIS answers 411 to a POST without a length).
      body = Buffer.buffer();
    }
    Buffer payload = body;
    Promise<Answer> done = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    // The whole exchange (connect, send, headers, body) must finish within the timeout.
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (sent[0] != null) {
        TimeoutException timeout = new TimeoutException("no complete answer from Cyclr within " + timeoutMs + " ms");
        sent[0].reset(0, timeout);
        done.tryFail(timeout);
      } else {
        // Still waiting for a connection: nothing was sent, so this is safe to retry.
        done.tryFail(new io.netty.channel.ConnectTimeoutException("no connection to Cyclr within " + timeoutMs
            + " ms"));
      }
    });
    http.request(options)
        .compose(req -> {
          if (done.future().isComplete()) {
            // We gave up before this request got a connection: it must never be sent late.
            req.reset();
            return Future.failedFuture("abandoned before sending");
          }
          sent[0] = req;
          return payload == null ? req.send() : req.send(payload);
        })
        .compose(resp -> ResponseBody.read(sent[0], resp, limits.maxResponseBytes(), call.route())
            .map(b -> new Answer(new CyclrResponse(resp.statusCode(), resp.headers(), b), null))
            .recover(err -> err instanceof CyclrException.Unreadable u
                ? Future.succeededFuture(new Answer(new CyclrResponse(resp.statusCode(), resp.headers(),
                Buffer.buffer()), u))
                : Future.failedFuture(err)))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            done.tryComplete(ar.result());
          } else {
            done.tryFail(ar.cause());
          }
        });
    return done.future().transform(ar -> {
      Exchange ex = ar.succeeded()
          ? new Exchange(RetryPolicy.classify(ar.result().response().statusCode(), call.idempotent(),
              ar.result().unreadable() == null), ar.result().response(), ar.result().unreadable(), token)
          : new Exchange(RetryPolicy.classify(ar.cause(), call.idempotent()), null, ar.cause(), token);
      gate.release(ex.kind);
      metrics.cyclrCall(call.route(), ex.kind.name().toLowerCase(), gate.time().nanoTime() - start);
      if (ex.kind != CallKind.SUCCESS && log.isDebugEnabled()) {
        log.debug("{} -> {}", call.route(), ex.describe());
      }
      return Future.succeededFuture(ex);
    });
  }

  private static String formEncode(MultiMap form) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : form) {
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /**
   * Cyclr's {"Message": "..."} when present, else the status line. It may quote what Cyclr was sent:
   * the gateway redacts (then shortens) every error text in one place, {@link Redaction}.
   */
  static String cyclrMessage(CyclrResponse response) {
    JsonObject body = response.bodyAsJsonObject();
    if (body != null && body.getValue("Message") instanceof String m && !m.isBlank()) {
      return m;
    }
    return "Cyclr answered HTTP " + response.statusCode();
  }

  /** The token endpoint said no: the operator's credentials (or API URL), not this item, are wrong. */
  private static CyclrException tokenRefused(CyclrResponse response) {
    JsonObject body = response.bodyAsJsonObject();
    Object error = body == null ? null : body.getValue("error");
    // Only a short OAuth error code ("invalid_client"), never a free text that might quote the secret.
    String reason = error instanceof String e && e.matches("[A-Za-z_]{1,64}") ? " " + e : "";
    int status = response.statusCode();
    if (status == 404 || status == 405) {
      return new CyclrException("CYCLR_AUTH_FAILED", "Cyclr has no token endpoint at this address (HTTP " + status
          + "): check CYCLR_API_URL (e.g. https://api.cyclr.com, without /v1.0).", status);
    }
    return new CyclrException("CYCLR_AUTH_FAILED", "Cyclr's token endpoint refused the client credentials (HTTP "
        + status + reason + "): check CYCLR_CLIENT_ID and CYCLR_CLIENT_SECRET.", status);
  }

  /** A response, and why its body could not be read (null when it could). */
  private record Answer(CyclrResponse response, CyclrException unreadable) {}

  private record Exchange(CallKind kind, CyclrResponse response, Throwable failure, String token) {
    String describe() {
      if (response != null) {
        return "HTTP " + response.statusCode() + (failure == null ? "" : " (" + failure.getMessage() + ")");
      }
      String m = failure.getMessage();
      return failure.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
  }
}
