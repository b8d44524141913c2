package io.onboarder.cyclr;

import io.onboarder.time.Clock;

/**
 * Decides, for one Cyclr call, whether a retryable failure (no connection, DNS, timeout before
 * sending, 503, a 5xx to a GET) uses up one of its attempts or is an outage it should wait out.
 *
 * <p>The rule: a failure counts against {@code gateway.maxAttempts} only if Cyclr answered some
 * other call since this call's previous try (and the breaker is closed) — then the trouble is this
 * call's, not Cyclr's. While nothing gets an answer, Cyclr is down: the call retries and then waits
 * at the open breaker without using attempts, for at most {@code gateway.maxOutageMs} counted from
 * its first such failure (or the breaker's opening); past that it fails with CYCLR_UNAVAILABLE.
 * One per call, on the gate's clock; confined to the gateway's event loop like the gate.
 */
final class OutageClock {
  enum Verdict {
    /** Cyclr is answering others: this failure uses up an attempt. */
    COUNT,
    /** Cyclr is down: retry without using an attempt. */
    WAIT,
    /** Down for longer than the outage budget: fail the call. */
    GIVE_UP
  }

  private final Breaker breaker;
  private final Clock time;
  private long answersSeen;
  private long waitingSince = -1;

  OutageClock(Breaker breaker, Clock time) {
    this.breaker = breaker;
    this.time = time;
    this.answersSeen = breaker.answers();
  }

  /** Called on each retryable failure of the call. */
  Verdict failed() {
    long now = time.nanoTime();
    boolean cyclrAnswered = breaker.answers() > answersSeen;
    answersSeen = breaker.answers();
    if (cyclrAnswered && breaker.state() == Breaker.State.CLOSED) {
      waitingSince = -1;
      return Verdict.COUNT;
    }
    if (waitingSince < 0) {
      waitingSince = now;
    }
    long budget = breaker.maxOutageNanos();
    if (budget > 0 && (now - waitingSince > budget || breaker.outageNanos(now) > budget)) {
      return Verdict.GIVE_UP;
    }
    return Verdict.WAIT;
  }

  /** Seconds this call (or, if longer, the open breaker) has been waiting out an outage. */
  long waitedSeconds() {
    long now = time.nanoTime();
    long own = waitingSince < 0 ? 0 : now - waitingSince;
    return Math.max(own, breaker.outageNanos(now)) / 1_000_000_000L;
  }
}
