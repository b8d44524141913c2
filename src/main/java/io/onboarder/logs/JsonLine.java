package io.onboarder.logs;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One log event as one line of JSON: {@code @timestamp} (ISO-8601, UTC), {@code level}, {@code logger},
 * {@code thread}, {@code message}, then the event's key-values as fields of their own ({@code jobId},
 * {@code itemId}, {@code account}, {@code fleet}, {@code caller}, ...), {@code traceId}/{@code spanId} when a
 * span is current ({@link LogTrace}), and {@code error}/{@code stack} for a throwable.
 */
public final class JsonLine {
  /** Fields of the line itself: a key-value of the same name does not replace them. */
  private static final Set<String> RESERVED = Set.of("@timestamp", "level", "logger", "thread", "message", "error",
      "stack");

  private JsonLine() {}

  public static String of(ILoggingEvent event) {
    JsonObject line = new JsonObject()
        .put("@timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString())
        .put("level", event.getLevel().toString())
        .put("logger", event.getLoggerName())
        .put("thread", event.getThreadName())
        .put("message", event.getFormattedMessage());
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        if (kv.key != null && !RESERVED.contains(kv.key) && kv.value != null) {
          line.put(kv.key, kv.value instanceof Number || kv.value instanceof Boolean ? kv.value : kv.value.toString());
        }
      }
    }
    if (!line.containsKey("traceId")) {
      LogTrace.Ids ids = LogTrace.current();
      if (ids != null) {
        line.put("traceId", ids.traceId()).put("spanId", ids.spanId());
      }
    }
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      line.put("error", error.getClassName() + (error.getMessage() == null ? "" : ": " + error.getMessage()))
          .put("stack", ThrowableProxyUtil.asString(error));
    }
    return line.encode();
  }
}
