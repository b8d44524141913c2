package io.onboarder.signin;

/**
 * Pauses credential health checks during a Cyclr outage, so that an outage is waited out instead of read as
 * everyone's sign-in lost (a failed check never is) and no retry storm starts when Cyclr comes back: after
 * {@value #THRESHOLD} failed checks in a row nothing new is checked for a pause, from {@value #FIRST_PAUSE_MS} ms
 * doubling up to {@value #MAX_PAUSE_MS} ms while checks keep failing; one answer from Cyclr ends it. Pure state on
 * the caller's clock readings.
 */
final class HealthBreaker {
  static final int THRESHOLD = 5;
  static final long FIRST_PAUSE_MS = 60_000;
  static final long MAX_PAUSE_MS = 15 * 60_000;

  private int failures;
  private long pauseMs = FIRST_PAUSE_MS;
  private long pausedUntil = Long.MIN_VALUE;

  /** A check failed at {@code nowMs}; returns the pause it starts in ms (0 if none starts). */
  long failed(long nowMs) {
    if (++failures < THRESHOLD || paused(nowMs)) {
      return 0;
    }
    long pause = pauseMs;
    pausedUntil = nowMs + pause;
    pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
    failures = 0;
    return pause;
  }

  /** Cyclr answered a check (whatever it said). */
  void answered() {
    failures = 0;
    pauseMs = FIRST_PAUSE_MS;
    pausedUntil = Long.MIN_VALUE;
  }

  boolean paused(long nowMs) {
    return nowMs < pausedUntil;
  }

  /** Milliseconds of pause left at {@code nowMs} (0 when not paused). */
  long pauseLeft(long nowMs) {
    return paused(nowMs) ? pausedUntil - nowMs : 0;
  }
}
