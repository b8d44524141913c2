package io.onboarder.logs;

import java.util.function.Supplier;

/**
 * Where log lines get their {@code traceId} and {@code spanId}: the span current when the line is logged. No
 * tracing is built in here; tracing, when started, installs its reader (e.g. OpenTelemetry's
 * {@code Span.current().getSpanContext()}, which under Vert.x follows the request through its context).
 * Read on the thread that logs (the console appender is synchronous), so the current span is that line's.
 * A line that carries {@code traceId} as a key-value keeps its own.
 */
public final class LogTrace {
  /** A span's W3C ids: 32 and 16 lower-case hex digits. */
  public record Ids(String traceId, String spanId) {}

  private static volatile Supplier<Ids> source = () -> null;

  private LogTrace() {}

  /** Reads the current span's ids from {@code current} (null when no span is current); null = none again. */
  public static void install(Supplier<Ids> current) {
    source = current == null ? () -> null : current;
  }

  /** The ids of the span current on this thread, or null. */
  static Ids current() {
    try {
      return source.get();
    } catch (RuntimeException e) {
      return null; // a log line never fails for its trace ids
    }
  }
}
