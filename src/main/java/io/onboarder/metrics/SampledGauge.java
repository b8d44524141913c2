package io.onboarder.metrics;

import io.vertx.core.Future;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A gauge whose value comes from an asynchronous query (a count in the store), sampled when scraped
 * but at most once per interval: a scrape never waits for the query and never runs more than one.
 */
final class SampledGauge {
  private final Supplier<Future<? extends Number>> source;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Executor runOn;
  private final AtomicBoolean sampling = new AtomicBoolean();
  private volatile double value = Double.NaN;
  private volatile long sampledAt;
  private volatile boolean sampled;

  /**
   * @param source     the query; called on {@code runOn}
   * @param runOn      where the query starts (the Vert.x context that owns the store, not the scrape thread)
   */
  SampledGauge(Supplier<Future<? extends Number>> source, long intervalNanos, LongSupplier nanoClock,
               Executor runOn) {
    this.source = source;
    this.intervalNanos = intervalNanos;
    this.nanoClock = nanoClock;
    this.runOn = runOn;
  }

  /**
   * The last sampled value ({@code NaN} before the first sample ends); starts a new sample when the
   * last one is older than the interval, so the value a scrape sees is at most one interval old.
   */
  double read() {
    long now = nanoClock.getAsLong();
    if ((!sampled || now - sampledAt >= intervalNanos) && sampling.compareAndSet(false, true)) {
      // Stamped when it starts: a query that fails is not retried before the next interval either.
      sampledAt = now;
      sampled = true;
      runOn.execute(() -> {
        Future<? extends Number> f;
        try {
          f = source.get();
        } catch (RuntimeException e) {
          f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
          if (ar.succeeded() && ar.result() != null) {
            value = ar.result().doubleValue();
          }
          sampling.set(false);
        });
      });
    }
    return value;
  }
}
