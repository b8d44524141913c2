package io.onboarder.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * One span per item sent to Cyclr ({@code onboard item}), from the gateway request to its reply, with
 * {@code onboarder.job_id} and {@code onboarder.item_id}. Its parent is the span that submitted the job (kept with
 * the job as {@code traceparent}), so a job's items join the submit request's trace whichever node sends them and
 * whenever; a sampler that keeps a job's trace keeps all of it.
 */
public final class ItemSpans {
  public static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("onboarder.job_id");
  public static final AttributeKey<Long> ITEM_ID = AttributeKey.longKey("onboarder.item_id");
  public static final AttributeKey<String> ACCOUNT = AttributeKey.stringKey("onboarder.account");
  public static final AttributeKey<String> STATUS = AttributeKey.stringKey("onboarder.item.status");
  public static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("onboarder.error.code");

  private final Tracer tracer;

  private ItemSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  /** The item spans of {@code vertx}, or null when it traces nothing (the caller then makes none). */
  public static ItemSpans of(Vertx vertx) {
    Tracer tracer = Tracing.tracer(vertx);
    return tracer == null ? null : new ItemSpans(tracer);
  }

  /** Starts the span of one item of job {@code jobId}, whose submit's span context is {@code jobTraceParent}. */
  public Span start(String jobId, long itemId, String account, String jobTraceParent) {
    SpanContext job = TraceParent.parse(jobTraceParent);
    SpanBuilder builder = tracer.spanBuilder("onboard item").setSpanKind(SpanKind.INTERNAL)
        .setAttribute(JOB_ID, jobId).setAttribute(ITEM_ID, itemId);
    if (account != null) {
      builder.setAttribute(ACCOUNT, account);
    }
    builder.setParent(job == null ? Context.root() : Context.root().with(Span.wrap(job)));
    return builder.startSpan();
  }

  /** Runs {@code work} (the gateway request) under {@code span}: its event-bus hop and Cyclr calls are children. */
  public <T> T within(Span span, Supplier<T> work) {
    return Traced.within(Context.root().with(span), work);
  }

  /** Ends {@code span}: the item's new status, and its error code when it failed (null: none). */
  public void end(Span span, String status, String errorCode, Throwable failure) {
    if (status != null) {
      span.setAttribute(STATUS, status);
    }
    if (errorCode != null) {
      span.setAttribute(ERROR_CODE, errorCode);
      span.setStatus(StatusCode.ERROR, errorCode);
    }
    if (failure != null) {
      span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
    }
    span.end();
  }
}
