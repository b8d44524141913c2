package io.onboarder.webhook;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.LongUnaryOperator;

/**
 * When a failed delivery is tried again: exponential backoff (2 s, 4 s, 8 s … capped at 1 h) with
 * jitter (a random point in the upper half of each step), unless the receiver sent
 * {@code Retry-After}, which is honoured (clamped to 1 s … 6 h). A delivery is retried for
 * {@link #WINDOW} from its first attempt (or its last replay): about 35 attempts.
 */
public final class WebhookRetry {
  public static final Duration WINDOW = Duration.ofHours(24);
  static final long BASE_MS = 2_000;
  static final long CAP_MS = Duration.ofHours(1).toMillis();
  static final long RETRY_AFTER_MIN_MS = 1_000;
  static final long RETRY_AFTER_MAX_MS = Duration.ofHours(6).toMillis();

  private final LongUnaryOperator random;

  /** {@code random.applyAsLong(n)}: a uniform value in [0, n) (tests pass a fixed one). */
  public WebhookRetry(LongUnaryOperator random) {
    this.random = random;
  }

  /** Delay after the {@code attempts}-th failed attempt (1 = the first), or after Retry-After if given. */
  public long delayMs(int attempts, String retryAfter, long nowMs) {
    Long honoured = retryAfterMs(retryAfter, nowMs);
    if (honoured != null) {
      return honoured;
    }
    long step = BASE_MS << Math.min(20, Math.max(0, attempts - 1));
    long capped = Math.min(CAP_MS, step);
    return capped / 2 + random.applyAsLong(capped / 2 + 1);
  }

  /** Retry-After as delta-seconds or an HTTP date, clamped; null if absent or unreadable. */
  static Long retryAfterMs(String value, long nowMs) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    long ms;
    if (v.matches("\\d{1,9}")) {
      ms = Long.parseLong(v) * 1000;
    } else if (v.matches("\\d{10,}")) {
      ms = RETRY_AFTER_MAX_MS; // 10+ digits: more than 31 years, so the cap (parsing it could overflow)
    } else {
      try {
        ms = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - nowMs;
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    return Math.max(RETRY_AFTER_MIN_MS, Math.min(RETRY_AFTER_MAX_MS, ms));
  }
}
