package io.onboarder.cyclr;

import java.time.Duration;

/**
 * How fast calls may leave for Cyclr: a token bucket paced just under the rate, a sliding window that caps
 * the grants in any 1.02 s exactly, a pause for everyone after a 429 (here or on another node), and an
 * adaptive rate: slowed down on a 429 (by 10 %, or halved when 429s come close together), raised again step
 * by step while Cyclr answers. The rate can change at run time (the node's share of the cluster's rate).
 * Pure state on the caller's clock readings: the gate asks how long to wait and schedules its own wake-up.
 */
public final class RateLimiter {
  private static final long WINDOW_NANOS = 1_020_000_000L;
  private static final long CALM_NANOS = 10_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private double ratePerSecond;          // as configured (or shared), before the margin; 0 = unlimited
  private double configuredRate;         // requests/s after the margin; +Inf = unlimited
  private double bucketCapacity;
  private int windowCap;                 // 0 = no sliding-window cap
  private long[] recentGrants;           // ring of the last windowCap grant times (nanos)
  private int recentNext;
  private int recentCount;
  private double rate;                   // current (adaptive) rate
  private double tokens;
  private long lastRefill;
  private long pausedUntil;
  private long lastDecrease;
  private long lastIncrease;
  private long grantedWindowStart;
  private int grantedInWindow;
  private int grantedLastWindow;

  /** {@code ratePerSecond}: 0 = unlimited; {@code now}: the clock's reading at creation. */
  public RateLimiter(double ratePerSecond, long now) {
    configure(ratePerSecond);
    this.rate = configuredRate;
    this.tokens = bucketCapacity;
    this.lastRefill = now;
    this.lastIncrease = now;
    this.grantedWindowStart = now;
  }

  /** Pacing, burst and window for a rate; keeps the last grants that still fit the new window. */
  private void configure(double ratePerSecond) {
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
   * Changes the rate at run time (0 = unlimited), keeping the pacing margin and the sliding window. A rate
   * lowered by a 429 stays lowered in proportion.
   */
  public void setRatePerSecond(double ratePerSecond) {
    double before = configuredRate;
    configure(ratePerSecond);
    if (rate >= before) {
      rate = configuredRate;
    } else if (Double.isInfinite(before) || Double.isInfinite(configuredRate)) {
      rate = Math.min(rate, configuredRate);
    } else {
      rate = Math.min(configuredRate, rate * configuredRate / before);
    }
    tokens = Math.min(tokens, bucketCapacity);
  }

  /** The rate as configured (before the margin); 0 = unlimited. */
  public double ratePerSecond() {
    return ratePerSecond;
  }

  /** The current (adaptive) rate; +Inf = unlimited. */
  public double currentRate() {
    return rate;
  }

  /** Nanos left of the pause after a 429 at {@code now}; 0 when not paused. */
  public long pausedNanos(long now) {
    return Math.max(0, pausedUntil - now);
  }

  /** How long the next call must wait at {@code now} for a token and a free slot in the window; 0 = go. */
  public long waitNanos(long now) {
    if (Double.isInfinite(rate)) {
      return 0;
    }
    tokens = Math.min(bucketCapacity, tokens + (now - lastRefill) / 1e9 * rate);
    lastRefill = now;
    if (tokens < 1) {
      return Math.max(1, (long) Math.ceil((1 - tokens) / rate * 1e9));
    }
    if (windowCap > 0 && recentCount == windowCap) {
      long freeAt = recentGrants[recentNext] + WINDOW_NANOS;
      if (now < freeAt) {
        return freeAt - now;
      }
    }
    return 0;
  }

  /** A call leaves at {@code now} (after {@link #waitNanos} said 0): it takes a token and a window slot. */
  public void take(long now) {
    if (!Double.isInfinite(rate)) {
      tokens -= 1;
      if (windowCap > 0) {
        recentGrants[recentNext] = now;
        recentNext = (recentNext + 1) % windowCap;
        recentCount = Math.min(windowCap, recentCount + 1);
      }
    }
    if (now - grantedWindowStart >= SECOND) {
      grantedLastWindow = now - grantedWindowStart >= 2 * SECOND ? 0 : grantedInWindow;
      grantedInWindow = 0;
      grantedWindowStart = now;
    }
    grantedInWindow++;
  }

  /** A 429 (here or on another node): everyone pauses for Retry-After, and the rate slows (once per pause). */
  public void rateLimited(Duration retryAfter, long now) {
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

  /** Cyclr answered: additive increase toward the configured rate, one step per second without a 429. */
  public void answered(long now) {
    if (rate < configuredRate && now - lastIncrease >= SECOND) {
      lastIncrease = now;
      double step = Double.isInfinite(configuredRate) ? Math.max(1, rate * 0.25) : Math.max(1, configuredRate * 0.1);
      rate = rate + step;
      if (rate >= configuredRate || (Double.isInfinite(configuredRate) && rate > 50_000)) {
        rate = configuredRate;
      }
    }
  }
}
