package io.onboarder.support;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;
import io.onboarder.logs.LogEncoder;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Log events captured at the root logger: as events, and as the service's encoder writes them in JSON, on
 * the logging thread as its console appender does (so the current span's ids are read there).
 */
public final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  private final OutputStreamAppender<ILoggingEvent> jsonAppender = new OutputStreamAppender<>();
  /** The root level before the capture: a test JVM may have raised it (the demo, run in-process, sets WARN). */
  private final Level levelBefore = root.getLevel();

  private LogCapture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    appender.start();
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context);
    encoder.setFormat("json");
    encoder.start();
    jsonAppender.setContext(context);
    jsonAppender.setEncoder(encoder);
    jsonAppender.setOutputStream(written);
    jsonAppender.start();
    root.addAppender(appender);
    root.addAppender(jsonAppender);
    // Capture INFO and above whatever ran before in this JVM, or a test would see (and check) fewer lines.
    if (levelBefore == null || !Level.INFO.isGreaterOrEqual(levelBefore)) {
      root.setLevel(Level.INFO);
    }
  }

  /** Captures every event logged from now until {@link #close}. */
  public static LogCapture start() {
    return new LogCapture();
  }

  public List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  /** What the JSON encoder wrote. */
  public String jsonText() {
    synchronized (written) {
      return written.toString(StandardCharsets.UTF_8);
    }
  }

  /** What the JSON encoder wrote, one object per line. */
  public List<JsonObject> json() {
    return lines(jsonText());
  }

  @Override
  public void close() {
    root.setLevel(levelBefore);
    root.detachAppender(appender);
    root.detachAppender(jsonAppender);
    jsonAppender.stop();
  }

  /** {@code events} as {@link LogEncoder} with {@code format} writes them. */
  public static String encode(List<ILoggingEvent> events, String format) {
    LogEncoder encoder = new LogEncoder();
    encoder.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
    encoder.setFormat(format);
    encoder.start();
    StringBuilder out = new StringBuilder();
    for (ILoggingEvent e : events) {
      out.append(new String(encoder.encode(e), StandardCharsets.UTF_8));
    }
    encoder.stop();
    return out.toString();
  }

  /** Each line of {@code text} as a JSON object; fails on a line that is not exactly one object. */
  public static List<JsonObject> lines(String text) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      if (!line.isEmpty()) {
        out.add(new JsonObject(line));
      }
    }
    return out;
  }
}
