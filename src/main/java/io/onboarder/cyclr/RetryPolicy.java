package io.onboarder.cyclr;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLHandshakeException;

/**
 * The one place that decides what a Cyclr answer or failure means (retryable, ambiguous, fatal…),
 * and how long to wait before the next attempt: exponential backoff with full jitter,
 * never less than a (clamped) Retry-After.
 */
public final class RetryPolicy {
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  private final long baseDelayMs;
  private final long maxDelayMs;

  public RetryPolicy(long baseDelayMs, long maxDelayMs) {
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  /**
   * Classifies an HTTP status. {@code idempotent} calls (GETs, token and account POSTs whose
   * repetition is harmless) may be re-sent after any transient failure; an install may not.
   */
  public static CallKind classify(int status, boolean idempotent) {
    if (status >= 200 && status < 300) {
      return CallKind.SUCCESS;
    }
    if (status == 401) {
      return CallKind.UNAUTHORIZED;
    }
    if (status == 429) {
      return CallKind.RATE_LIMITED;
    }
    if (status == 408 || status == 503) {
      // The server did not process the request.
      return CallKind.RETRYABLE;
    }
    if (status >= 500) {
      // 500/502/504: the request may have reached Cyclr's backend.
      return idempotent ? CallKind.RETRYABLE : CallKind.AMBIGUOUS;
    }
    return CallKind.FATAL;
  }

  /**
   * Classifies a status whose body could not be read (too large, not JSON, not the expected shape).
   * A 2xx to an install is then ambiguous: Cyclr did it, or may have; check before sending again.
   * A 2xx to an idempotent call is fatal: the same answer would come again. Other statuses mean
   * what they always mean; their body only carried an error text.
   */
  public static CallKind classify(int status, boolean idempotent, boolean bodyReadable) {
    CallKind kind = classify(status, idempotent);
    if (kind == CallKind.SUCCESS && !bodyReadable) {
      return idempotent ? CallKind.FATAL : CallKind.AMBIGUOUS;
    }
    return kind;
  }

  /** Classifies a failure with no HTTP response. */
  public static CallKind classify(Throwable failure, boolean idempotent) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 20; depth++) {
      if (t instanceof ConnectException || t instanceof ConnectTimeoutException
          || t instanceof ConnectionPoolTooBusyException || t instanceof UnknownHostException
          || t instanceof SSLHandshakeException) {
        // Never left this process: safe to send again.
        return CallKind.RETRYABLE;
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    // Timeout or connection lost after the request was (maybe) written.
    return idempotent ? CallKind.RETRYABLE : CallKind.AMBIGUOUS;
  }

  /**
   * Whether a call that failed after the client's own bounded retries may succeed if tried again later (a later
   * reconcile or step): Cyclr unavailable or rate limiting, the gateway shutting down or the call abandoned, an
   * outcome not known (check before re-sending). Not: Cyclr refused it (4xx), its answer was past the bounds or
   * unreadable, the credentials were refused, or anything unexpected (a bug does not heal by waiting).
   */
  public static boolean retryableLater(Throwable failure) {
    if (failure instanceof CallCancelled || failure instanceof CyclrException.ShuttingDown
        || failure instanceof CyclrException.Ambiguous) {
      return true;
    }
    return failure instanceof CyclrException e
        && ("CYCLR_UNAVAILABLE".equals(e.code()) || "CYCLR_RATE_LIMITED".equals(e.code()));
  }

  /**
   * Parses Retry-After: delta-seconds or an HTTP date. Garbage yields the default; negative or
   * past values yield zero; anything beyond {@link #MAX_RETRY_AFTER} is clamped to it.
   */
  public static Duration parseRetryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return DEFAULT_RETRY_AFTER;
    }
    String v = header.trim();
    Duration d;
    try {
      if (v.matches("-?\\d{1,18}")) {
        d = Duration.ofSeconds(Long.parseLong(v));
      } else if (v.matches("-?\\d{1,12}\\.\\d+")) {
        d = Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
      } else if (v.matches("-?\\d+(\\.\\d+)?")) {
        d = v.startsWith("-") ? Duration.ZERO : MAX_RETRY_AFTER; // too many digits to parse: past either end
      } else {
        d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      }
    } catch (RuntimeException e) {
      return DEFAULT_RETRY_AFTER;
    }
    if (d.isNegative()) {
      return Duration.ZERO;
    }
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }

  /** Full-jitter backoff for the given attempt (1-based): uniform in [0, min(max, base·2^(attempt-1))]. */
  public long backoffMs(int attempt) {
    long ceiling = Math.min(maxDelayMs, baseDelayMs << Math.min(20, Math.max(0, attempt - 1)));
    return ThreadLocalRandom.current().nextLong(ceiling + 1);
  }
}
