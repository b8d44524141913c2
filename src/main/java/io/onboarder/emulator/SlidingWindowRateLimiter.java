package io.onboarder.emulator;

/**
 * Admits at most N requests in any sliding one-second window; rejected requests are not recorded, so they do not
 * extend the penalty.
 */
final class SlidingWindowRateLimiter {

  private static final long WINDOW_NANOS = 1_000_000_000L;

  // Ring of the admission times of the last N admitted requests; the slot at `next` is the oldest of them.
  private long[] stamps = new long[0];
  private int next;

  /** Called on the emulator's event loop only (one HTTP server, one context): no locking needed. */
  boolean tryAcquire(int limit, long nowNanos) {
    if (limit <= 0) {
      return true;
    }
    if (stamps.length != limit) {
      // The limit changed (tests turn it on mid-run): start with an empty window.
      stamps = new long[limit];
      java.util.Arrays.fill(stamps, nowNanos - 2 * WINDOW_NANOS);
      next = 0;
    }
    if (nowNanos - stamps[next] < WINDOW_NANOS) {
      return false; // N admissions already happened within the last second
    }
    stamps[next] = nowNanos;
    next = (next + 1) % limit;
    return true;
  }
}
