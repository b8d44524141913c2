package io.onboarder.cyclr;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker in front of Cyclr, with its outage budget. After {@code threshold} failures in a
 * row it opens: calls wait (they do not burn attempts); after the open period one probe goes through, and
 * its outcome closes the breaker or re-opens it for twice as long (at most a minute). Once it has stayed
 * away from CLOSED longer than the outage budget, waiting calls should fail fast while probes go on.
 * It also counts Cyclr's answers, which {@link OutageClock} reads to tell "Cyclr is down" from "this call
 * fails". Pure state on the caller's clock readings: no timers, no threads.
 */
public final class Breaker {
  public enum State { CLOSED, OPEN, HALF_OPEN }

  /** {@link #waitNanos}: wait until a probe in flight finishes (its outcome wakes the gate). */
  public static final long UNTIL_PROBE_ENDS = Long.MAX_VALUE;

  private static final Logger log = LoggerFactory.getLogger(Breaker.class);
  private static final long MAX_OPEN_NANOS = Duration.ofMinutes(1).toNanos();

  private final int threshold;
  private final long baseOpenNanos;
  private final long maxOutageNanos;     // 0 = calls wait out any outage
  private State state = State.CLOSED;
  private long answers;                  // Cyclr answers (2xx, 4xx) so far
  private long outageSince;              // nanos when the breaker left CLOSED
  private long outageSinceMillis;        // the same, wall clock, for status
  private int consecutiveFailures;
  private long openNanos;
  private long openUntil;
  private boolean probeInFlight;

  /** {@code maxOutageMs}: how long calls wait out an open breaker before failing fast; 0 = for ever. */
  public Breaker(int threshold, long openMs, long maxOutageMs) {
    this.threshold = threshold;
    this.baseOpenNanos = Duration.ofMillis(openMs).toNanos();
    this.openNanos = baseOpenNanos;
    this.maxOutageNanos = Duration.ofMillis(maxOutageMs).toNanos();
  }

  /**
   * How long a call must wait before it may pass at {@code now}: 0 = pass now (as the probe if half open),
   * {@link #UNTIL_PROBE_ENDS}, or nanos until the open period (or the outage budget) ends. Moves an open
   * breaker whose period is over to HALF_OPEN.
   */
  public long waitNanos(long now) {
    if (state == State.OPEN) {
      if (now < openUntil) {
        // Wake at the budget's end too, to fail the waiting calls then rather than at the next probe (past
        // it, still a wait: the caller fails them, see overBudget).
        long wakeAt = maxOutageNanos > 0 ? Math.min(openUntil, outageSince + maxOutageNanos + 1) : openUntil;
        return Math.max(1, wakeAt - now);
      }
      state = State.HALF_OPEN;
      probeInFlight = false;
    }
    return state == State.HALF_OPEN && probeInFlight ? UNTIL_PROBE_ENDS : 0;
  }

  /** A call passed at {@code now}: when half open, it is the probe. */
  public void passed() {
    if (state == State.HALF_OPEN) {
      probeInFlight = true;
    }
  }

  /** Cyclr answered (2xx or a 4xx verdict): it is up. */
  public void answered(long now) {
    consecutiveFailures = 0;
    answers++;
    if (state == State.HALF_OPEN) {
      state = State.CLOSED;
      openNanos = baseOpenNanos;
      log.info("Cyclr answers again after {} s: circuit breaker closed", (now - outageSince) / 1_000_000_000L);
      outageSince = 0;
    }
    probeInFlight = false;
  }

  /** No answer, a 5xx or an ambiguous outcome. */
  public void failed(long now, long nowMillis) {
    consecutiveFailures++;
    if (state == State.HALF_OPEN) {
      open(now, nowMillis, Math.min(MAX_OPEN_NANOS, openNanos * 2));
    } else if (state == State.CLOSED && consecutiveFailures >= threshold) {
      open(now, nowMillis, baseOpenNanos);
    }
    probeInFlight = false;
  }

  /** A 429 is Cyclr being polite, not down: it says nothing about the breaker, but a probe is done. */
  public void rateLimited() {
    probeInFlight = false;
  }

  /** The outage has lasted longer than the budget: waiting calls should fail now. */
  public boolean overBudget(long now) {
    return maxOutageNanos > 0 && state != State.CLOSED && now - outageSince > maxOutageNanos;
  }

  public State state() {
    return state;
  }

  /** How many times Cyclr answered so far; only ever grows. */
  public long answers() {
    return answers;
  }

  /** How long the breaker has been away from CLOSED at {@code now}, in nanos (0 while closed). */
  public long outageNanos(long now) {
    return state == State.CLOSED ? 0 : now - outageSince;
  }

  /** Wall-clock ms when the breaker left CLOSED, or -1 while it is closed. */
  public long outageSinceMillis() {
    return state == State.CLOSED ? -1 : outageSinceMillis;
  }

  /** The outage budget in nanos; 0 = calls wait out any outage. */
  public long maxOutageNanos() {
    return maxOutageNanos;
  }

  private void open(long now, long nowMillis, long forNanos) {
    if (state == State.CLOSED) {
      log.warn("Cyclr keeps failing ({} in a row): circuit breaker open, calls wait and probe every {} ms. "
          + "Persistent DNS/TLS errors mean CYCLR_API_URL is wrong.", consecutiveFailures, forNanos / 1_000_000);
      outageSince = now;
      outageSinceMillis = nowMillis;
    }
    state = State.OPEN;
    openNanos = forNanos;
    openUntil = now + forNanos;
  }
}
