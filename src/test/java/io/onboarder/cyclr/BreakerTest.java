package io.onboarder.cyclr;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.cyclr.Breaker.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The circuit breaker and its outage budget, alone, on a virtual clock; and the per-call {@link OutageClock}. */
class BreakerTest {
  private static final long MS = 1_000_000L;

  private final VirtualClock time = new VirtualClock();

  @Test
  void opensAfterThresholdFailuresInARowAndAnAnswerResetsTheCount() {
    Breaker breaker = new Breaker(3, 1_000, 0);
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.answered(time.nanoTime());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.waitNanos(time.nanoTime())).isZero();
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void anOpenBreakerHoldsCallsForTheOpenPeriodThenLetsExactlyOneProbeThroughWhoseAnswerClosesIt() {
    Breaker breaker = tripped(3, 100, 0);
    assertThat(breaker.waitNanos(time.nanoTime())).as("nothing passes an open breaker").isEqualTo(100 * MS);
    time.advance(40);
    assertThat(breaker.waitNanos(time.nanoTime())).isEqualTo(60 * MS);
    assertThat(breaker.state()).isEqualTo(State.OPEN);

    time.advance(60);
    assertThat(breaker.waitNanos(time.nanoTime())).as("the probe may pass").isZero();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    breaker.passed();
    time.advance(100);
    assertThat(breaker.waitNanos(time.nanoTime())).as("only the probe while it is in flight")
        .isEqualTo(Breaker.UNTIL_PROBE_ENDS);

    breaker.answered(time.nanoTime());
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.waitNanos(time.nanoTime())).isZero();
  }

  @Test
  void aFailedProbeReopensTheBreakerForTwiceAsLongAtMostAMinute() {
    Breaker breaker = tripped(3, 100, 0);
    time.advance(100);
    long wait = 100 * MS;
    for (int i = 0; i < 12; i++) {
      assertThat(breaker.waitNanos(time.nanoTime())).isZero();
      breaker.passed();
      breaker.failed(time.nanoTime(), time.currentTimeMillis());
      wait = Math.min(Duration.ofMinutes(1).toNanos(), wait * 2);
      assertThat(breaker.state()).isEqualTo(State.OPEN);
      assertThat(breaker.waitNanos(time.nanoTime())).as("probe %d failed", i).isEqualTo(wait);
      time.advanceNanos(wait);
    }
    assertThat(wait).isEqualTo(Duration.ofMinutes(1).toNanos());
    breaker.waitNanos(time.nanoTime());
    breaker.passed();
    breaker.answered(time.nanoTime());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    assertThat(breaker.waitNanos(time.nanoTime())).as("closed again: the next opening is short")
        .isEqualTo(100 * MS);
  }

  @Test
  void aRateLimitedProbeEndsTheProbeWithoutClosingOrOpening() {
    Breaker breaker = tripped(1, 50, 0);
    time.advance(50);
    breaker.waitNanos(time.nanoTime());
    breaker.passed();
    breaker.rateLimited();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.waitNanos(time.nanoTime())).as("another probe may go").isZero();
  }

  @Test
  void theOutageStartsWhenTheBreakerOpensAndEndsWhenAProbeSucceeds() {
    Breaker breaker = new Breaker(2, 50, 0);
    assertThat(breaker.outageSinceMillis()).isEqualTo(-1);
    long openedAtMillis = time.currentTimeMillis();
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    breaker.failed(time.nanoTime(), time.currentTimeMillis());
    assertThat(breaker.outageSinceMillis()).isEqualTo(openedAtMillis);
    time.advance(70);
    assertThat(breaker.outageNanos(time.nanoTime())).isEqualTo(70 * MS);
    assertThat(breaker.waitNanos(time.nanoTime())).isZero();
    breaker.passed();
    assertThat(breaker.outageSinceMillis()).as("still out while probing").isEqualTo(openedAtMillis);
    breaker.answered(time.nanoTime());
    assertThat(breaker.outageSinceMillis()).isEqualTo(-1);
    assertThat(breaker.outageNanos(time.nanoTime())).isZero();
  }

  @Test
  void theOutageBudgetIsOverOnlyAfterItPassedAndWaitingWakesAtItsEnd() {
    Breaker breaker = tripped(1, 300, 100);
    assertThat(breaker.overBudget(time.nanoTime())).isFalse();
    assertThat(breaker.waitNanos(time.nanoTime())).as("wake at the budget's end, before the probe")
        .isEqualTo(100 * MS + 1);
    time.advanceNanos(100 * MS + 1);
    assertThat(breaker.overBudget(time.nanoTime())).isTrue();
    assertThat(breaker.waitNanos(time.nanoTime())).as("past the budget calls still wait (and fail)").isPositive();
    assertThat(new Breaker(1, 300, 0).overBudget(time.nanoTime())).as("budget 0: never over").isFalse();
  }

  // ---- the outage clock of one call ---------------------------------------------------------------

  @Test
  void failuresUseUpAttemptsOnlyWhenCyclrAnsweredAnotherCallInBetween() {
    Breaker breaker = new Breaker(1_000, 1_000, 60_000);
    OutageClock clock = new OutageClock(breaker, time);
    assertThat(clock.failed()).as("nobody got an answer: Cyclr is down").isEqualTo(OutageClock.Verdict.WAIT);
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
    breaker.answered(time.nanoTime()); // another call got an answer
    assertThat(clock.failed()).as("Cyclr answers others: the trouble is this call's")
        .isEqualTo(OutageClock.Verdict.COUNT);
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
    breaker.answered(time.nanoTime()); // a 4xx is an answer too (the gate maps FATAL to answered)
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.COUNT);
  }

  @Test
  void anAnswerWhileTheBreakerIsOpenDoesNotCountAgainstTheCall() {
    Breaker breaker = tripped(1, 1_000, 60_000);
    OutageClock clock = new OutageClock(breaker, time);
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
    time.advance(1_000);
    breaker.waitNanos(time.nanoTime());
    breaker.passed();
    breaker.answered(time.nanoTime()); // the probe: closed again
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.COUNT);
  }

  @Test
  void aCallThatOnlyEverFailsGivesUpAfterTheOutageBudget() {
    Breaker breaker = new Breaker(1_000, 1_000, 100);
    OutageClock clock = new OutageClock(breaker, time);
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
    time.advance(100);
    assertThat(clock.failed()).as("not past the budget yet").isEqualTo(OutageClock.Verdict.WAIT);
    time.advance(50);
    assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.GIVE_UP);
    assertThat(clock.waitedSeconds()).isZero();
    time.advance(2_000);
    assertThat(clock.waitedSeconds()).isEqualTo(2);
    OutageClock unbounded = new OutageClock(new Breaker(1_000, 1_000, 0), time);
    assertThat(unbounded.failed()).isEqualTo(OutageClock.Verdict.WAIT);
    time.advance(Duration.ofHours(1));
    assertThat(unbounded.failed()).as("maxOutageMs 0: wait for ever").isEqualTo(OutageClock.Verdict.WAIT);
  }

  private Breaker tripped(int threshold, long openMs, long maxOutageMs) {
    Breaker breaker = new Breaker(threshold, openMs, maxOutageMs);
    for (int i = 0; i < threshold; i++) {
      breaker.failed(time.nanoTime(), time.currentTimeMillis());
    }
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    return breaker;
  }
}
