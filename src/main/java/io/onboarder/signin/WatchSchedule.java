package io.onboarder.signin;

import java.util.function.DoubleSupplier;

/**
 * When the sign-in watch polls an OAUTH_PENDING item next: after {@code firstMs}, then doubling up to
 * {@code maxMs} (15 min in production), each delay spread by ±10 % so that items published together
 * do not all come due in the same second. A failed poll (Cyclr unavailable) keeps its interval.
 */
public record WatchSchedule(long firstMs, long maxMs) {
  static final double JITTER = 0.10;

  /** The interval after one more unanswered poll at {@code intervalMs}. */
  public long after(long intervalMs) {
    return Math.min(maxMs, Math.max(firstMs, intervalMs * 2));
  }

  /** {@code intervalMs} spread by ±10 %; {@code random} returns values in [0, 1). */
  public static long jittered(long intervalMs, DoubleSupplier random) {
    return Math.max(1, Math.round(intervalMs * (1 - JITTER + 2 * JITTER * random.getAsDouble())));
  }

  /**
   * Polls one item gets within {@code horizonMs} of being published, without jitter: the figure the
   * cost of watching in docs/sign-in-links.md is computed from.
   */
  public long pollsWithin(long horizonMs) {
    long t = firstMs;
    long interval = firstMs;
    long polls = 0;
    while (t <= horizonMs) {
      polls++;
      interval = after(interval);
      t += interval;
    }
    return polls;
  }
}
