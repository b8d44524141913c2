package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * The clock and timers the call policies run on: Vert.x's in production, a virtual one in tests, so
 * that a test of the breaker, the rate limiter or the wait queue never waits on wall time.
 */
public interface TimeSource {
  /** Monotonic nanoseconds, for durations only. */
  long nanoTime();

  /** Wall-clock milliseconds, for what is shown to people (when an outage began). */
  long currentTimeMillis();

  /** Runs {@code task} once after {@code delayMs}, on the caller's context; returns an id for {@link #cancelTimer}. */
  long setTimer(long delayMs, Runnable task);

  void cancelTimer(long id);

  /** A future that completes after {@code delayMs}. */
  default Future<Void> timer(long delayMs) {
    Promise<Void> p = Promise.promise();
    setTimer(delayMs, p::complete);
    return p.future();
  }

  /** The production clock: the JVM's, with Vert.x timers. */
  static TimeSource of(Vertx vertx) {
    return new TimeSource() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public long currentTimeMillis() {
        return System.currentTimeMillis();
      }

      @Override
      public long setTimer(long delayMs, Runnable task) {
        return vertx.setTimer(Math.max(1, delayMs), id -> task.run());
      }

      @Override
      public void cancelTimer(long id) {
        vertx.cancelTimer(id);
      }

      @Override
      public Future<Void> timer(long delayMs) {
        return vertx.timer(Math.max(1, delayMs));
      }
    };
  }
}
