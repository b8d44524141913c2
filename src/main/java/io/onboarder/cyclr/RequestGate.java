package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Admission control for every request to Cyclr, shared by the whole gateway: a cap on requests
 * in flight, a token-bucket rate, a global pause after a 429 with additive-increase /
 * multiplicative-decrease of the rate, and a circuit breaker. Waiters are served FIFO.
 * While the breaker is open, callers wait here (they do not burn attempts); after the open
 * period one probe goes through, and its outcome closes or re-opens the breaker. Once the breaker
 * has stayed open longer than the outage budget ({@code gateway.maxOutageMs}), waiting calls fail
 * fast with CYCLR_UNAVAILABLE, while one probe per open period keeps testing Cyclr.
 * The rate can change at run time (the cluster's share, {@link ClusterRate}); a 429 seen by another
 * node pauses this gate too ({@link #pauseForPeer}). Waiting calls carry an owner, so the gateway
 * can abandon a cancelled item's calls before they are sent.
 * Confined to the gateway's event loop: no locks.
 */
public final class RequestGate {
  public enum BreakerState { CLOSED, OPEN, HALF_OPEN }

  private static final long WINDOW_NANOS = 1_020_000_000L;
  private static final long CALM_NANOS = 10_000_000_000L;
  private static final long MAX_OPEN_NANOS = Duration.ofMinutes(1).toNanos();

  private final Vertx vertx;
  private final int maxConcurrency;
  private double configuredRate;         // requests/s after the 95 % margin; +Inf = unlimited
  private double bucketCapacity;
  private int windowCap;                 // 0 = no sliding-window cap
  private long[] recentGrants;           // ring of the last windowCap grant times (nanos)
  private int recentNext;
  private int recentCount;
  private double ratePerSecond;          // as configured (or shared), before the margin; 0 = unlimited
  private final int breakerThreshold;
  private final long baseOpenNanos;
  private final long maxOutageNanos;     // 0 = calls wait out any outage

  private record Waiter(Promise<Void> promise, Object owner) {}

  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private Predicate<Object> abandoned = owner -> false;
  private Consumer<Object> onGrant = owner -> { };
  private Consumer<Duration> onRateLimited = retryAfter -> { };
  private double rate;                   // current (adaptive) rate
  private double tokens;
  private long lastRefill = System.nanoTime();
  private long pausedUntil;
  private long lastDecrease;
  private long lastIncrease = System.nanoTime();
  private int inFlight;
  private long timerId = -1;
  private long timerDue;
  private boolean pumping;
  private boolean pumpAgain;
  private String closedReason;

  private BreakerState breaker = BreakerState.CLOSED;
  private long answers;                  // Cyclr answers (2xx, 4xx) so far: "is Cyclr up?" for OutageClock
  private long outageSince;              // nanos when the breaker left CLOSED; 0 while closed
  private long outageSinceMillis;        // the same, wall clock, for status
  private int consecutiveFailures;
  private long openNanos;
  private long openUntil;
  private boolean probeInFlight;

  private long grantedWindowStart = System.nanoTime();
  private int grantedInWindow;
  private int grantedLastWindow;
  private long maxObservedInFlight;

  public RequestGate(Vertx vertx, int maxConcurrency, double ratePerSecond, int breakerThreshold, long breakerOpenMs) {
    this(vertx, maxConcurrency, ratePerSecond, breakerThreshold, breakerOpenMs, 0);
  }

  /** {@code maxOutageMs}: how long calls wait out an open breaker before failing fast; 0 = for ever. */
  public RequestGate(Vertx vertx, int maxConcurrency, double ratePerSecond, int breakerThreshold, long breakerOpenMs,
                     long maxOutageMs) {
    this.vertx = vertx;
    this.maxConcurrency = maxConcurrency;
    configureRate(ratePerSecond);
    this.rate = configuredRate;
    this.tokens = bucketCapacity;
    this.breakerThreshold = breakerThreshold;
    this.baseOpenNanos = Duration.ofMillis(breakerOpenMs).toNanos();
    this.openNanos = baseOpenNanos;
    this.maxOutageNanos = Duration.ofMillis(maxOutageMs).toNanos();
  }

  /** Pacing, burst and window for a rate; keeps the last grants that still fit the new window. */
  private void configureRate(double ratePerSecond) {
    this.ratePerSecond = ratePerSecond > 0 ? ratePerSecond : 0;
    if (ratePerSecond >= 4) {
      // Paced by the bucket at 98 % of the rate, and capped exactly by a sliding window: never more
      // than about floor(rate) grants in any WINDOW_NANOS (1.02 s). Cyclr counts arrivals in its own second;
      // the 20 ms of slack absorbs scheduling and network jitter between our grant and its count, so
      // that it never sees more than the rate (a single 429 would pause everything for its
      // Retry-After). Sustained: about 98 % of the rate, also for the small shares of a cluster.
      this.configuredRate = ratePerSecond * 0.98;
      // A small burst: after a stall we do not fire a clump that Cyclr's window would see at once.
      this.bucketCapacity = Math.max(1, Math.floor(ratePerSecond * 0.02));
      // One grant of margin where it costs under 1 % (the share of a small cluster node keeps them all).
      this.windowCap = Math.max(1, (int) Math.floor(ratePerSecond) - (ratePerSecond >= 100 ? 1 : 0));
    } else if (ratePerSecond > 0) {
      this.configuredRate = ratePerSecond;
      this.bucketCapacity = 1;
      this.windowCap = 0;
    } else {
      this.bucketCapacity = 1;
      this.configuredRate = Double.POSITIVE_INFINITY;
      this.windowCap = 0;
    }
    long[] ring = new long[Math.max(1, windowCap)];
    int keep = windowCap == 0 || recentGrants == null ? 0 : Math.min(recentCount, windowCap);
    for (int i = 0; i < keep; i++) {
      // Oldest first: the last `keep` grants of the old ring.
      ring[i] = recentGrants[Math.floorMod(recentNext - keep + i, recentGrants.length)];
    }
    this.recentGrants = ring;
    this.recentCount = keep;
    this.recentNext = windowCap == 0 ? 0 : keep % windowCap;
  }

  /**
   * Changes the rate at run time (this node's share of the cluster's rate; 0 = unlimited), keeping
   * the 95 % pacing and the sliding window. A rate lowered by a 429 stays lowered in proportion.
   */
  public void setRatePerSecond(double ratePerSecond) {
    double before = configuredRate;
    configureRate(ratePerSecond);
    if (rate >= before) {
      rate = configuredRate;
    } else if (Double.isInfinite(before) || Double.isInfinite(configuredRate)) {
      rate = Math.min(rate, configuredRate);
    } else {
      rate = Math.min(configuredRate, rate * configuredRate / before);
    }
    tokens = Math.min(tokens, bucketCapacity);
    pump();
  }

  /** The rate this gate is configured with (before the 95 % margin); 0 = unlimited. */
  public double ratePerSecond() {
    return ratePerSecond;
  }

  /**
   * Lets the gateway abandon calls: {@code abandoned} says whether a waiting call's owner is
   * cancelled (checked on acquire and by {@link #abandonWaiting}); {@code granted} hears of every
   * call let through, before it is sent.
   */
  public void watchOwners(Predicate<Object> abandoned, Consumer<Object> granted) {
    this.abandoned = abandoned;
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
    if (closedReason != null) {
      return Future.failedFuture(new CyclrException.ShuttingDown());
    }
    if (owner != null && abandoned.test(owner)) {
      return Future.failedFuture(new CallCancelled());
    }
    Promise<Void> p = Promise.promise();
    waiters.add(new Waiter(p, owner));
    pump();
    return p.future();
  }

  /** Fails the waiting (not yet sent) calls whose owner is now abandoned; returns how many. */
  public int abandonWaiting() {
    int n = 0;
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.owner() != null && abandoned.test(w.owner())) {
        it.remove();
        w.promise().tryFail(new CallCancelled());
        n++;
      }
    }
    if (n > 0) {
      pump();
    }
    return n;
  }

  /** Returns a permit and feeds the outcome to the breaker and the adaptive rate. */
  public void release(CallKind kind) {
    inFlight--;
    long now = System.nanoTime();
    switch (kind) {
      case SUCCESS, FATAL, UNAUTHORIZED -> onHealthy(now);
      case RETRYABLE, AMBIGUOUS -> onUnhealthy(now);
      case RATE_LIMITED -> {
        // A 429 is Cyclr being polite, not down: it says nothing about the breaker, but a probe is done.
        probeInFlight = false;
      }
      default -> { }
    }
    pump();
  }

  /** A 429: everyone pauses for Retry-After, and the rate is halved (at most once per pause). */
  public void rateLimited(Duration retryAfter) {
    pauseForPeer(retryAfter);
    onRateLimited.accept(retryAfter);
  }

  /** A 429 another node saw: the same pause and slow-down, without telling anyone. */
  public void pauseForPeer(Duration retryAfter) {
    long now = System.nanoTime();
    long until = now + Math.max(retryAfter.toNanos(), Duration.ofMillis(50).toNanos());
    pausedUntil = Math.max(pausedUntil, until);
    if (now - lastDecrease > Math.max(retryAfter.toNanos(), Duration.ofMillis(500).toNanos())) {
      // An isolated 429 (none for 10 s) is most likely jitter at the edge of a limit we pace just
      // under: slow down by 10 %. Another one soon after means Cyclr's limit is really lower: halve.
      double factor = lastDecrease != 0 && now - lastDecrease < CALM_NANOS ? 0.5 : 0.9;
      lastDecrease = now;
      double base = Double.isInfinite(rate) ? Math.max(grantedLastWindow, grantedInWindow) : rate;
      // Never below 2/s (or half a smaller configured share): an early 429 at low volume must not
      // leave the gateway crawling for long.
      rate = Math.max(Math.min(2, configuredRate * 0.5), base * factor);
      tokens = Math.min(tokens, 1);
    }
    lastIncrease = now;
  }

  /** True when the breaker lets calls through now (closed); used to decide whether a failure burns an attempt. */
  public boolean breakerClosed() {
    return breaker == BreakerState.CLOSED;
  }

  public BreakerState breakerState() {
    return breaker;
  }

  public double currentRate() {
    return rate;
  }

  /** How many times Cyclr answered (2xx or a 4xx verdict) so far; only ever grows. */
  public long answers() {
    return answers;
  }

  /** Wall-clock ms when the breaker left CLOSED (the outage began), or -1 while it is closed. */
  public long outageSinceMillis() {
    return breaker == BreakerState.CLOSED ? -1 : outageSinceMillis;
  }

  /** How long the breaker has been away from CLOSED, in nanos (0 while closed). */
  public long outageNanos(long now) {
    return breaker == BreakerState.CLOSED ? 0 : now - outageSince;
  }

  /** The outage budget in nanos; 0 = calls wait out any outage. */
  public long maxOutageNanos() {
    return maxOutageNanos;
  }

  /** Remaining pause after a 429 (here or on another node), in ms. */
  public long pausedForMillis() {
    return Math.max(0, (pausedUntil - System.nanoTime()) / 1_000_000);
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
    closedReason = reason;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    while (!waiters.isEmpty()) {
      waiters.poll().promise().tryFail(new CyclrException.ShuttingDown());
    }
  }

  private void onHealthy(long now) {
    consecutiveFailures = 0;
    answers++;
    if (breaker == BreakerState.HALF_OPEN) {
      breaker = BreakerState.CLOSED;
      openNanos = baseOpenNanos;
      org.slf4j.LoggerFactory.getLogger(RequestGate.class).info("Cyclr answers again after {} s: circuit breaker "
          + "closed", (now - outageSince) / 1_000_000_000L);
      outageSince = 0;
    }
    probeInFlight = false;
    // Additive increase: recover toward the configured rate, one step per second without a 429.
    if (rate < configuredRate && now - lastIncrease >= Duration.ofSeconds(1).toNanos()) {
      lastIncrease = now;
      double step = Double.isInfinite(configuredRate) ? Math.max(1, rate * 0.25) : Math.max(1, configuredRate * 0.1);
      rate = rate + step;
      if (rate >= configuredRate || (Double.isInfinite(configuredRate) && rate > 50_000)) {
        rate = configuredRate;
      }
    }
  }

  private void onUnhealthy(long now) {
    consecutiveFailures++;
    if (breaker == BreakerState.HALF_OPEN) {
      open(now, Math.min(MAX_OPEN_NANOS, openNanos * 2));
    } else if (breaker == BreakerState.CLOSED && consecutiveFailures >= breakerThreshold) {
      open(now, baseOpenNanos);
    }
    probeInFlight = false;
  }

  private void open(long now, long forNanos) {
    if (breaker == BreakerState.CLOSED) {
      org.slf4j.LoggerFactory.getLogger(RequestGate.class).warn("Cyclr keeps failing ({} in a row): circuit "
          + "breaker open, calls wait and probe every {} ms. Persistent DNS/TLS errors mean CYCLR_API_URL is "
          + "wrong.", consecutiveFailures, forNanos / 1_000_000);
      outageSince = now;
      outageSinceMillis = System.currentTimeMillis();
    }
    breaker = BreakerState.OPEN;
    openNanos = forNanos;
    openUntil = now + forNanos;
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
        drainWaiters();
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  private void drainWaiters() {
    while (!waiters.isEmpty()) {
      if (inFlight >= maxConcurrency) {
        return; // a release will pump
      }
      long now = System.nanoTime();
      if (now < pausedUntil) {
        schedule(pausedUntil - now);
        return;
      }
      if (breaker == BreakerState.OPEN) {
        if (now < openUntil) {
          if (outageOverBudget(now)) {
            failAllWaiting(now);
            return;
          }
          schedule(maxOutageNanos > 0 ? Math.min(openUntil, outageSince + maxOutageNanos + 1) - now
              : openUntil - now);
          return;
        }
        breaker = BreakerState.HALF_OPEN;
        probeInFlight = false;
      }
      if (breaker == BreakerState.HALF_OPEN && probeInFlight) {
        if (outageOverBudget(now)) {
          failAllWaiting(now);
        }
        return; // the probe's release will pump
      }
      if (!Double.isInfinite(rate)) {
        tokens = Math.min(bucketCapacity, tokens + (now - lastRefill) / 1e9 * rate);
        lastRefill = now;
        if (tokens < 1) {
          schedule((long) Math.ceil((1 - tokens) / rate * 1e9));
          return;
        }
        if (windowCap > 0 && recentCount == windowCap) {
          long oldest = recentGrants[recentNext];
          long freeAt = oldest + WINDOW_NANOS;
          if (now < freeAt) {
            schedule(freeAt - now);
            return;
          }
        }
        tokens -= 1;
        if (windowCap > 0) {
          recentGrants[recentNext] = now;
          recentNext = (recentNext + 1) % windowCap;
          recentCount = Math.min(windowCap, recentCount + 1);
        }
      }
      if (breaker == BreakerState.HALF_OPEN) {
        probeInFlight = true;
      }
      countGrant(now);
      inFlight++;
      maxObservedInFlight = Math.max(maxObservedInFlight, inFlight);
      Waiter next = waiters.poll();
      if (next.owner() != null) {
        onGrant.accept(next.owner());
      }
      if (!next.promise().tryComplete()) {
        inFlight--;
      }
    }
  }

  private boolean outageOverBudget(long now) {
    return maxOutageNanos > 0 && breaker != BreakerState.CLOSED && now - outageSince > maxOutageNanos;
  }

  /** The outage outlasted the budget: fail fast rather than hold items for ever. */
  private void failAllWaiting(long now) {
    long seconds = (now - outageSince) / 1_000_000_000L;
    while (!waiters.isEmpty()) {
      waiters.poll().promise().tryFail(new CyclrException("CYCLR_UNAVAILABLE", "Cyclr has been unreachable or "
          + "failing for " + seconds + " s, longer than gateway.maxOutageMs (" + maxOutageNanos / 1_000_000
          + " ms); this call was not sent. Retry the item once Cyclr is back.", null));
    }
  }

  private void countGrant(long now) {
    if (now - grantedWindowStart >= 1_000_000_000L) {
      grantedLastWindow = now - grantedWindowStart >= 2_000_000_000L ? 0 : grantedInWindow;
      grantedInWindow = 0;
      grantedWindowStart = now;
    }
    grantedInWindow++;
  }

  private void schedule(long nanos) {
    long delayMs = Math.max(1, (nanos + 999_999) / 1_000_000);
    long due = System.nanoTime() + delayMs * 1_000_000;
    if (timerId >= 0) {
      if (timerDue <= due) {
        return; // an earlier wake-up is already set
      }
      vertx.cancelTimer(timerId);
    }
    timerDue = due;
    timerId = vertx.setTimer(delayMs, id -> {
      timerId = -1;
      pump();
    });
  }
}
