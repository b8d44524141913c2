package io.onboarder.time;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * The one clock the service's timing runs on: a monotonic "now", the wall clock, and one-shot timers.
 * The lease pump, the node's lifecycle, the sign-in watch and the Cyclr call policies (breaker, rate
 * limiter, wait queue, token refresh, catalogue cache) all take it injected. Production runs on the
 * JVM's clocks and Vert.x timers ({@link #of(Vertx)}); unit tests pass a virtual clock they move by
 * hand, so no test of a policy, a watch or a lease waits on wall time. Timers fire on the context
 * that set them.
 */
public interface Clock {

  /** Monotonic nanoseconds (not the epoch): only differences mean something. */
  long nanoTime();

  /** Milliseconds on the same monotonic clock as {@link #nanoTime()}. */
  default long nowMs() {
    return nanoTime() / 1_000_000;
  }

  /** Wall-clock milliseconds since the epoch, for what is shown to people (when an outage began). */
  long currentTimeMillis();

  /** Runs {@code task} once, {@code delayMs} from now (at least 1 ms); returns the id {@link #cancel} takes. */
  long schedule(long delayMs, Runnable task);

  /** Cancels a timer that has not fired yet; an unknown or spent id is ignored. */
  void cancel(long timerId);

  /** A future that completes {@code delayMs} from now. */
  default Future<Void> timer(long delayMs) {
    Promise<Void> p = Promise.promise();
    schedule(delayMs, p::complete);
    return p.future();
  }

  /** The production clock: {@link System#nanoTime()}, {@link System#currentTimeMillis()} and Vert.x timers. */
  static Clock of(Vertx vertx) {
    return new Clock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public long currentTimeMillis() {
        return System.currentTimeMillis();
      }

      @Override
      public long schedule(long delayMs, Runnable task) {
        return vertx.setTimer(Math.max(1, delayMs), id -> task.run());
      }

      @Override
      public void cancel(long timerId) {
        vertx.cancelTimer(timerId);
      }

      @Override
      public Future<Void> timer(long delayMs) {
        return vertx.timer(Math.max(1, delayMs));
      }
    };
  }
}
