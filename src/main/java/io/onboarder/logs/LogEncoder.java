package io.onboarder.logs;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.io.Console;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * The service's log encoder ({@code logback.xml}): one JSON object per line ({@link JsonLine}) or a line of
 * text, as {@code LOG_FORMAT} says: {@code json}, {@code text}, or unset/{@code auto} for text on a terminal
 * and JSON otherwise (a container, a pipe, a file). Both carry full ISO-8601 UTC timestamps and the event's
 * key-values ({@code jobId}, {@code itemId}, {@code account}, {@code fleet}, {@code caller}) and trace ids.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
  /** Text: date and time in UTC, then the key-values (SLF4J's {@code addKeyValue}) as {@code key="value"}. */
  static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z', UTC} %-5level %logger{20} - %msg"
      + "%replace( %kvp){'^ $', ''}%n";

  private String format = "auto";
  private boolean json;
  private PatternLayout text;

  /** {@code json}, {@code text} or {@code auto} (set from {@code LOG_FORMAT} in logback.xml). */
  public void setFormat(String format) {
    this.format = format;
  }

  /** Whether lines are JSON (after {@link #start}). */
  public boolean json() {
    return json;
  }

  /** Whether {@code format} is a value LOG_FORMAT may have (unset and blank are: they mean auto). */
  public static boolean known(String format) {
    return Set.of("json", "text", "auto").contains(normal(format));
  }

  private static String normal(String format) {
    return format == null || format.isBlank() ? "auto" : format.trim().toLowerCase(Locale.ROOT);
  }

  @Override
  public void start() {
    String f = normal(format);
    switch (f) {
      case "json" -> json = true;
      case "text" -> json = false;
      default -> {
        if (!known(f)) {
          // Logback prints this status at start-up; `serve` refuses such a value before it gets here.
          addWarn("LOG_FORMAT must be json or text, not '" + format + "': using the default");
        }
        json = !terminal();
      }
    }
    if (!json) {
      text = new PatternLayout();
      text.setContext(getContext());
      text.setPattern(TEXT_PATTERN);
      text.start();
    }
    super.start();
  }

  /**
   * Whether the process runs on a terminal: Java 17's {@code System.console()} exists only when standard input
   * and output both are one; from Java 22 it may exist without one, and {@code isTerminal()} tells.
   */
  static boolean terminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException | ClassCastException e) {
      return true; // before Java 22: a console is a terminal
    }
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = json ? JsonLine.of(event) + "\n" : text.doLayout(event);
    return line.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
