package io.onboarder.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * The spans of calls to Cyclr: one CLIENT span per attempt, named by the call's route template
 * ({@code GET /v1.0/accounts/{id}}, never the concrete path), with the attempt number, the HTTP status and how the
 * attempt ended ({@code onboarder.cyclr.outcome}: success, retryable, rate_limited, ...). A retry is the next
 * attempt's span; a 429 shows as an attempt that ended {@code rate_limited} with a {@code cyclr.retry_after} event,
 * and the pause that follows as the time before the next attempt's {@code cyclr.permit} event (when the gateway let
 * it go). No header, body, token or query value is recorded.
 */
public final class CallSpans {
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("onboarder.cyclr.attempt");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("onboarder.cyclr.outcome");
  public static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("url.template");
  static final AttributeKey<String> HOST = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> RATE_LIMITED_BEFORE = AttributeKey.longKey("onboarder.cyclr.rate_limited_before");
  static final AttributeKey<String> RETRY_AFTER = AttributeKey.stringKey("retry_after");

  private final Tracer tracer;
  private final String host;
  private final long port;

  private CallSpans(Tracer tracer, String host, int port) {
    this.tracer = tracer;
    this.host = host;
    this.port = port;
  }

  /** The call spans of {@code vertx} for Cyclr at {@code host:port}, or null when it traces nothing. */
  public static CallSpans of(Vertx vertx, String host, int port) {
    Tracer tracer = Tracing.tracer(vertx);
    return tracer == null ? null : new CallSpans(tracer, host, port);
  }

  /** The span that a call made now belongs under: the current one. */
  public Context parent() {
    return Context.current();
  }

  /**
   * {@code call}'s result, whose callbacks run under {@code parent} again (the attempts may have run on another
   * request's context): the caller's next call made in them hangs under the same parent.
   */
  public <T> Future<T> under(Context parent, Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    call.get().onComplete(ar -> Traced.within(parent, () -> {
      result.handle(ar);
      return null;
    }));
    return result.future();
  }

  /** Starts attempt {@code attempt} of a call by {@code method} to {@code route}. */
  public Span start(Context parent, String method, String route, int attempt, int rateLimitedBefore) {
    var builder = tracer.spanBuilder(route).setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setAttribute(METHOD, method).setAttribute(ROUTE, route).setAttribute(HOST, host).setAttribute(PORT, port)
        .setAttribute(ATTEMPT, (long) attempt);
    if (rateLimitedBefore > 0) {
      builder.setAttribute(RATE_LIMITED_BEFORE, (long) rateLimitedBefore);
    }
    return builder.startSpan();
  }

  /** The gateway let the attempt go (after its rate limit, concurrency and any 429 pause). */
  public static void permitted(Span span) {
    span.addEvent("cyclr.permit");
  }

  /**
   * Ends an attempt: {@code outcome} as the retry policy classified it, the HTTP status (-1: no answer), the
   * failure's type when there was no answer, and the {@code Retry-After} Cyclr sent (null: none).
   */
  public static void end(Span span, String outcome, int status, Throwable failure, String retryAfter) {
    span.setAttribute(OUTCOME, outcome);
    if (status >= 0) {
      span.setAttribute(STATUS, (long) status);
    }
    if (retryAfter != null) {
      span.addEvent("cyclr.retry_after", Attributes.of(RETRY_AFTER, retryAfter));
    }
    if (!"success".equals(outcome)) {
      String type = failure != null ? failure.getClass().getSimpleName() : status >= 0 ? String.valueOf(status)
          : outcome;
      span.setAttribute(ERROR_TYPE, type);
      span.setStatus(StatusCode.ERROR, outcome);
    }
    span.end();
  }

  /** An attempt that never got to Cyclr (the gateway closed, the token could not be had). */
  public static void notSent(Span span, Throwable failure) {
    span.setAttribute(OUTCOME, "not_sent");
    span.setAttribute(ERROR_TYPE, failure.getClass().getSimpleName());
    span.setStatus(StatusCode.ERROR, "not sent");
    span.end();
  }
}
