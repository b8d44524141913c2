package io.onboarder.cyclr;

import io.onboarder.time.Clock;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Admission control for every request to Cyclr, shared by the whole gateway: it lets a waiting call through
 * when the {@link Breaker}, the {@link RateLimiter} and the cap on requests in flight all allow it, first come
 * first served from the {@link WaitQueue}, and wakes itself (one timer) when the earliest of them will.
 * While the breaker is open, callers wait here (they do not burn attempts); past the outage budget
 * ({@code gateway.maxOutageMs}) waiting calls fail fast with CYCLR_UNAVAILABLE while probes go on. A 429 seen
 * by another node pauses this gate too ({@link #pauseForPeer}). Runs on an injected {@link Clock};
 * confined to the gateway's event loop: no locks.
 */
public final class RequestGate {
  private final Clock time;
  private final int maxConcurrency;
  private final RateLimiter limiter;
  private final Breaker breaker;
  private final WaitQueue waiters = new WaitQueue();
  private Consumer<Object> onGrant = owner -> { };
  private Consumer<Duration> onRateLimited = retryAfter -> { };
  private int inFlight;
  private long maxObservedInFlight;
  private long timerId = -1;
  private long timerDue;
  private boolean pumping;
  private boolean pumpAgain;
  private boolean closed;

  public RequestGate(Clock time, int maxConcurrency, RateLimiter limiter, Breaker breaker) {
    this.time = time;
    this.maxConcurrency = maxConcurrency;
    this.limiter = limiter;
    this.breaker = breaker;
  }

  /** The gate of the gateway's settings: {@code ratePerSecond} 0 = unlimited, {@code maxOutageMs} 0 = for ever. */
  public static RequestGate create(Clock time, int maxConcurrency, double ratePerSecond, int breakerThreshold,
                                   long breakerOpenMs, long maxOutageMs) {
    return new RequestGate(time, maxConcurrency, new RateLimiter(ratePerSecond, time.nanoTime()),
        new Breaker(breakerThreshold, breakerOpenMs, maxOutageMs));
  }

  public Clock time() {
    return time;
  }

  public Breaker breaker() {
    return breaker;
  }

  public RateLimiter limiter() {
    return limiter;
  }

  /** Changes the rate at run time (this node's share of the cluster's rate; 0 = unlimited). */
  public void setRatePerSecond(double ratePerSecond) {
    limiter.setRatePerSecond(ratePerSecond);
    pump();
  }

  /**
   * Lets the gateway abandon calls: {@code abandoned} says whether a waiting call's owner is cancelled
   * (checked on acquire and by {@link #abandonWaiting}); {@code granted} hears of every call let through,
   * before it is sent.
   */
  public void watchOwners(Predicate<Object> abandoned, Consumer<Object> granted) {
    waiters.abandonWhen(abandoned);
    this.onGrant = granted;
  }

  /** Told of every 429 seen here (with its Retry-After), e.g. to tell the other nodes. */
  public void onRateLimited(Consumer<Duration> listener) {
    this.onRateLimited = listener;
  }

  /** Completes when the caller may send one request; the caller must then call {@link #release}. */
  public Future<Void> acquire() {
    return acquire(null);
  }

  /** As {@link #acquire()}, for a call of {@code owner} (whose calls {@link #abandonWaiting} may fail). */
  public Future<Void> acquire(Object owner) {
    return acquire(owner, false);
  }

  /**
   * As {@link #acquire(Object)}; {@code ahead}: a call already held to its share of the rate elsewhere (fleet reads,
   * {@link ReadShare}) is served before the queue, which its share keeps from starving.
   */
  public Future<Void> acquire(Object owner, boolean ahead) {
    if (closed) {
      return Future.failedFuture(new CyclrException.ShuttingDown());
    }
    if (waiters.isAbandoned(owner)) {
      return Future.failedFuture(new CallCancelled());
    }
    Future<Void> granted = waiters.add(owner, ahead);
    pump();
    return granted;
  }

  /** Fails the waiting (not yet sent) calls whose owner is now abandoned; returns how many. */
  public int abandonWaiting() {
    int n = waiters.abandon();
    if (n > 0) {
      pump();
    }
    return n;
  }

  /** Returns a permit and feeds the outcome to the breaker and the adaptive rate. */
  public void release(CallKind kind) {
    inFlight--;
    long now = time.nanoTime();
    switch (kind) {
      case SUCCESS, FATAL, UNAUTHORIZED -> {
        breaker.answered(now);
        limiter.answered(now);
      }
      case RETRYABLE, AMBIGUOUS -> breaker.failed(now, time.currentTimeMillis());
      case RATE_LIMITED -> breaker.rateLimited();
      default -> { }
    }
    pump();
  }

  /** A 429: everyone pauses for Retry-After, the rate slows, and the listener hears of it. */
  public void rateLimited(Duration retryAfter) {
    pauseForPeer(retryAfter);
    onRateLimited.accept(retryAfter);
  }

  /** A 429 another node saw: the same pause and slow-down, without telling anyone. */
  public void pauseForPeer(Duration retryAfter) {
    limiter.rateLimited(retryAfter, time.nanoTime());
  }

  /** True when the breaker lets calls through now (closed); used to decide whether a failure burns an attempt. */
  public boolean breakerClosed() {
    return breaker.state() == Breaker.State.CLOSED;
  }

  public Breaker.State breakerState() {
    return breaker.state();
  }

  /** The rate this gate is configured with (before the pacing margin); 0 = unlimited. */
  public double ratePerSecond() {
    return limiter.ratePerSecond();
  }

  public double currentRate() {
    return limiter.currentRate();
  }

  /** How long the breaker has been away from CLOSED now, in nanos (0 while closed). */
  public long outageNanos() {
    return breaker.outageNanos(time.nanoTime());
  }

  /** Remaining pause after a 429 (here or on another node), in ms. */
  public long pausedForMillis() {
    return limiter.pausedNanos(time.nanoTime()) / 1_000_000;
  }

  public int inFlight() {
    return inFlight;
  }

  public int waiting() {
    return waiters.size();
  }

  public long maxObservedInFlight() {
    return maxObservedInFlight;
  }

  /** Fails every waiter and all later acquires (shutdown). Permits already granted finish normally. */
  public void close(String reason) {
    closed = true;
    if (timerId >= 0) {
      time.cancel(timerId);
      timerId = -1;
    }
    waiters.failAll(CyclrException.ShuttingDown::new);
  }

  private void pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        grantWhatMayPass();
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  private void grantWhatMayPass() {
    while (!waiters.isEmpty()) {
      if (inFlight >= maxConcurrency) {
        return; // a release will pump
      }
      long now = time.nanoTime();
      long paused = limiter.pausedNanos(now);
      if (paused > 0) {
        schedule(paused);
        return;
      }
      long closedFor = breaker.waitNanos(now);
      if (closedFor > 0) {
        if (breaker.overBudget(now)) {
          failAllWaiting(now);
        } else if (closedFor != Breaker.UNTIL_PROBE_ENDS) {
          schedule(closedFor);
        }
        return; // otherwise the probe's release will pump
      }
      long noToken = limiter.waitNanos(now);
      if (noToken > 0) {
        schedule(noToken);
        return;
      }
      limiter.take(now);
      breaker.passed();
      inFlight++;
      maxObservedInFlight = Math.max(maxObservedInFlight, inFlight);
      WaitQueue.Waiter next = waiters.poll();
      if (next.owner() != null) {
        onGrant.accept(next.owner());
      }
      if (!next.promise().tryComplete()) {
        inFlight--;
      }
    }
  }

  /** The outage outlasted the budget: fail fast rather than hold items for ever. */
  private void failAllWaiting(long now) {
    long seconds = breaker.outageNanos(now) / 1_000_000_000L;
    long budgetMs = breaker.maxOutageNanos() / 1_000_000;
    waiters.failAll(() -> new CyclrException("CYCLR_UNAVAILABLE", "Cyclr has been unreachable or failing for "
        + seconds + " s, longer than gateway.maxOutageMs (" + budgetMs + " ms); this call was not sent. Retry the "
        + "item once Cyclr is back.", null));
  }

  /** One wake-up at the earliest time anything may change; an earlier one already set is kept. */
  private void schedule(long nanos) {
    long delayMs = Math.max(1, (nanos + 999_999) / 1_000_000);
    long due = time.nanoTime() + delayMs * 1_000_000;
    if (timerId >= 0) {
      if (timerDue <= due) {
        return;
      }
      time.cancel(timerId);
    }
    timerDue = due;
    timerId = time.schedule(delayMs, () -> {
      timerId = -1;
      pump();
    });
  }
}
