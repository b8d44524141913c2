package io.onboarder.lease;

import io.vertx.core.Vertx;

/**
 * Time as the lease machinery sees it: a monotonic "now" and one-shot timers. Production runs on
 * Vert.x timers ({@link #of(Vertx)}); unit tests pass a virtual clock they advance by hand, so no test
 * of a pump or of the node's lifecycle waits on wall time. Timers fire on the context that set them.
 */
public interface Scheduler {

  /** Milliseconds on a monotonic clock (not the epoch): only differences mean something. */
  long nowMs();

  /** Runs {@code task} once, {@code delayMs} from now; returns the id {@link #cancel} takes. */
  long schedule(long delayMs, Runnable task);

  /** Cancels a timer that has not fired yet; an unknown or spent id is ignored. */
  void cancel(long timerId);

  /** Vert.x timers on the calling context, and {@link System#nanoTime()} as the clock. */
  static Scheduler of(Vertx vertx) {
    return new Scheduler() {
      @Override
      public long nowMs() {
        return System.nanoTime() / 1_000_000;
      }

      @Override
      public long schedule(long delayMs, Runnable task) {
        return vertx.setTimer(Math.max(1, delayMs), id -> task.run());
      }

      @Override
      public void cancel(long timerId) {
        vertx.cancelTimer(timerId);
      }
    };
  }
}
