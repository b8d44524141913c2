package io.onboarder.cyclr;

import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Holds one kind of call (reads of tenants' live state for fleets) to a share of the gate's rate and concurrency,
 * before they queue at the {@link RequestGate} with everything else: a plan or reconcile of 10,000 tenants then
 * takes at most {@code percent} of the calls Cyclr gets each second and of the requests in flight, and installs
 * keep the rest. The share follows the gate's rate as it changes (this node's share of the cluster's rate, slowed
 * after a 429); an unlimited gate leaves only the concurrency share. Runs on the gate's {@link Clock},
 * confined to the gateway's event loop.
 */
final class ReadShare {
  private final Clock time;
  private final RequestGate gate;
  private final double fraction;
  private final int maxInFlight;
  private final RateLimiter limiter;
  private final Deque<Promise<Void>> waiting = new ArrayDeque<>();
  private double followedRate;
  private int inFlight;
  private long timerId = -1;
  private boolean pumping;
  private boolean closed;

  /** {@code percent}: 1-100 of the gate's rate and of {@code maxConcurrency}. */
  ReadShare(RequestGate gate, int maxConcurrency, int percent) {
    this.time = gate.time();
    this.gate = gate;
    this.fraction = Math.max(1, Math.min(100, percent)) / 100.0;
    this.maxInFlight = Math.max(1, (int) Math.floor(maxConcurrency * fraction));
    this.followedRate = shareOfGate();
    this.limiter = new RateLimiter(followedRate, time.nanoTime());
  }

  /** Completes when one call may go on to the gate; the caller must then {@link #release} once. */
  Future<Void> acquire() {
    if (closed) {
      return Future.failedFuture(new CyclrException.ShuttingDown());
    }
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    pump();
    return p.future();
  }

  void release() {
    inFlight--;
    pump();
  }

  /** The rate reads may use now (0 = unlimited). */
  double ratePerSecond() {
    return followedRate;
  }

  int inFlight() {
    return inFlight;
  }

  int waiting() {
    return waiting.size();
  }

  /** Fails every waiting read and all later ones (shutdown). */
  void close() {
    closed = true;
    if (timerId >= 0) {
      time.cancel(timerId);
      timerId = -1;
    }
    while (!waiting.isEmpty()) {
      waiting.poll().tryFail(new CyclrException.ShuttingDown());
    }
  }

  /** The share of the gate's rate as it is now: configured, or lower while slowed down after a 429. */
  private double shareOfGate() {
    double configured = gate.ratePerSecond();
    if (configured <= 0) {
      return 0;
    }
    double current = gate.currentRate();
    // The gate paces at 98 % of its rate: undo that margin before taking the share (the limiter adds its own).
    double base = Double.isInfinite(current) ? configured : Math.min(configured, current / 0.98);
    return base * fraction;
  }

  private void pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    try {
      double rate = shareOfGate();
      if (Math.abs(rate - followedRate) > followedRate * 0.01 || (rate == 0) != (followedRate == 0)) {
        followedRate = rate;
        limiter.setRatePerSecond(rate);
      }
      while (!waiting.isEmpty() && inFlight < maxInFlight) {
        long now = time.nanoTime();
        long wait = limiter.waitNanos(now);
        if (wait > 0) {
          schedule(wait);
          return;
        }
        limiter.take(now);
        inFlight++;
        if (!waiting.poll().tryComplete()) {
          inFlight--;
        }
      }
    } finally {
      pumping = false;
    }
  }

  private void schedule(long nanos) {
    if (timerId >= 0) {
      return; // one wake-up at a time; it pumps again
    }
    timerId = time.schedule(Math.max(1, (nanos + 999_999) / 1_000_000), () -> {
      timerId = -1;
      pump();
    });
  }
}
