package io.onboarder.trace;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.util.regex.Pattern;

/**
 * A span context as W3C {@code traceparent} text: how a job keeps the trace of the request that submitted it
 * ({@code jobs.trace_parent}), so that its items, sent later on any node or after a restart, join that trace.
 */
public final class TraceParent {
  private static final Pattern FORMAT = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

  private TraceParent() {}

  /** The current span's context, or null when no span is current (always, when tracing is off). */
  public static String current() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex()
        : null;
  }

  /** The remote span context {@code text} names, or null when it is not a valid {@code traceparent}. */
  static SpanContext parse(String text) {
    if (text == null || !FORMAT.matcher(text).matches()) {
      return null;
    }
    SpanContext span = SpanContext.createFromRemoteParent(text.substring(3, 35), text.substring(36, 52),
        TraceFlags.fromHex(text, 53), TraceState.getDefault());
    return span.isValid() ? span : null;
  }
}
