package io.onboarder.cyclr;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rate limiter alone (bucket, sliding window, 429 pause, adaptive rate), driven on a virtual clock. */
class RateLimiterTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;

  private final VirtualClock time = new VirtualClock();

  @ParameterizedTest(name = "{0}/s, {1} calls take >= {2} ms")
  @CsvSource({
      "50, 30, 450",
      "20, 22, 1000",
      "100, 500, 4000",
      "3, 10, 2900",
  })
  void neverGrantsMoreThanTheConfiguredRateInAnyOneSecondWindow(int rate, int calls, long minTotalMs) {
    RateLimiter limiter = new RateLimiter(rate, time.nanoTime());
    long start = time.nanoTime();
    List<Long> grantedAt = grant(limiter, calls);
    long totalMs = (grantedAt.get(calls - 1) - start) / MS;
    assertThat(totalMs).as("time to grant %d calls at %d/s", calls, rate).isGreaterThanOrEqualTo(minTotalMs)
        .isLessThan(calls * 1_000L / rate + 1_100);
    assertThat(maxGrantsInAnyWindow(grantedAt, SECOND)).as("grants in any 1 s window").isLessThanOrEqualTo(rate);
  }

  @Test
  void sustainsAbout98PercentOfTheRate() {
    RateLimiter limiter = new RateLimiter(200, time.nanoTime());
    long start = time.nanoTime();
    List<Long> grantedAt = grant(limiter, 2_000);
    double perSecond = 2_000.0 / ((grantedAt.get(1_999) - start) / 1e9);
    assertThat(perSecond).isBetween(190.0, 199.0);
  }

  @Test
  void anUnlimitedLimiterNeverMakesACallWait() {
    RateLimiter limiter = new RateLimiter(0, time.nanoTime());
    for (int i = 0; i < 10_000; i++) {
      assertThat(limiter.waitNanos(time.nanoTime())).isZero();
      limiter.take(time.nanoTime());
    }
    assertThat(limiter.ratePerSecond()).isZero();
    assertThat(limiter.currentRate()).isInfinite();
  }

  @Test
  void a429PausesForRetryAfterAndSlowsTheRateBy10Percent() {
    RateLimiter limiter = new RateLimiter(100, time.nanoTime());
    double before = limiter.currentRate();
    limiter.rateLimited(Duration.ofMillis(300), time.nanoTime());
    assertThat(limiter.currentRate()).as("an isolated 429 slows down by 10 %").isCloseTo(before * 0.9, within(1e-9));
    assertThat(limiter.pausedNanos(time.nanoTime())).isEqualTo(300 * MS);
    time.advance(100);
    assertThat(limiter.pausedNanos(time.nanoTime())).isEqualTo(200 * MS);
    time.advance(200);
    assertThat(limiter.pausedNanos(time.nanoTime())).isZero();
    limiter.rateLimited(Duration.ZERO, time.nanoTime());
    assertThat(limiter.pausedNanos(time.nanoTime())).as("at least 50 ms").isEqualTo(50 * MS);
  }

  @Test
  void severalRateLimitsInOnePauseSlowTheRateOnlyOnce() {
    RateLimiter limiter = new RateLimiter(100, time.nanoTime());
    double before = limiter.currentRate();
    limiter.rateLimited(Duration.ofMillis(200), time.nanoTime());
    limiter.rateLimited(Duration.ofMillis(200), time.nanoTime());
    time.advance(100);
    limiter.rateLimited(Duration.ofMillis(200), time.nanoTime());
    assertThat(limiter.currentRate()).as("one decrease per pause").isCloseTo(before * 0.9, within(1e-9));
  }

  @Test
  void a429SoonAfterAnotherHalvesTheRateAndOneAfterTenCalmSecondsSlowsBy10PercentAgain() {
    RateLimiter limiter = new RateLimiter(100, time.nanoTime());
    limiter.rateLimited(Duration.ofMillis(1), time.nanoTime());
    double afterFirst = limiter.currentRate();
    assertThat(afterFirst).isCloseTo(98 * 0.9, within(1e-9));
    time.advance(520);
    limiter.rateLimited(Duration.ofMillis(1), time.nanoTime());
    assertThat(limiter.currentRate()).as("Cyclr's limit is really lower").isCloseTo(afterFirst * 0.5, within(1e-9));
    time.advance(10_001);
    double calm = limiter.currentRate();
    limiter.rateLimited(Duration.ofMillis(1), time.nanoTime());
    assertThat(limiter.currentRate()).isCloseTo(calm * 0.9, within(1e-9));
  }

  @Test
  void answersRaiseASlowedRateOneStepPerSecondBackToTheConfiguredRate() {
    RateLimiter limiter = new RateLimiter(100, time.nanoTime());
    limiter.rateLimited(Duration.ofMillis(1), time.nanoTime());
    time.advance(600);
    limiter.rateLimited(Duration.ofMillis(1), time.nanoTime());
    assertThat(limiter.currentRate()).isCloseTo(98 * 0.9 * 0.5, within(1e-9));
    limiter.answered(time.nanoTime());
    assertThat(limiter.currentRate()).as("not within a second of the 429").isCloseTo(44.1, within(1e-9));
    time.advance(1_000);
    limiter.answered(time.nanoTime());
    limiter.answered(time.nanoTime());
    assertThat(limiter.currentRate()).as("one step of 10 % of the rate").isCloseTo(44.1 + 9.8, within(1e-9));
    for (int i = 0; i < 10; i++) {
      time.advance(1_000);
      limiter.answered(time.nanoTime());
    }
    assertThat(limiter.currentRate()).as("never above the configured rate").isCloseTo(98, within(1e-9));
  }

  @Test
  void aShareBelowTwoPerSecondIsSlowedBelowTheUsualFloorOnA429() {
    RateLimiter limiter = new RateLimiter(1, time.nanoTime());
    limiter.rateLimited(Duration.ofMillis(50), time.nanoTime());
    assertThat(limiter.currentRate()).as("never above the share").isCloseTo(0.9, within(1e-9));
    RateLimiter larger = new RateLimiter(100, time.nanoTime());
    larger.rateLimited(Duration.ofMillis(1), time.nanoTime());
    time.advance(600);
    for (int i = 0; i < 10; i++) {
      larger.rateLimited(Duration.ofMillis(1), time.nanoTime());
      time.advance(600);
    }
    assertThat(larger.currentRate()).as("the floor: 2/s").isCloseTo(2, within(1e-9));
  }

  @Test
  void aRateSlowedByA429StaysSlowedInProportionWhenTheShareChanges() {
    RateLimiter limiter = new RateLimiter(100, time.nanoTime());
    limiter.rateLimited(Duration.ofMillis(50), time.nanoTime());
    assertThat(limiter.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
    limiter.setRatePerSecond(50);
    assertThat(limiter.currentRate()).isCloseTo(49 * 0.9, within(1e-9));
    limiter.setRatePerSecond(100);
    assertThat(limiter.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
    limiter.setRatePerSecond(0);
    assertThat(limiter.currentRate()).as("unlimited now, still slowed down until it recovers")
        .isCloseTo(98 * 0.9, within(1e-9));
  }

  @Test
  void aLowerRateAtRunTimeKeepsTheSlidingWindowAndARaisedOneSpeedsUpAgain() {
    RateLimiter limiter = new RateLimiter(200, time.nanoTime());
    List<Long> fast = grant(limiter, 20);
    limiter.setRatePerSecond(20);
    assertThat(limiter.ratePerSecond()).isEqualTo(20);
    assertThat(limiter.currentRate()).isCloseTo(19.6, within(1e-9));
    long changedAt = time.nanoTime();
    List<Long> slow = grant(limiter, 25);
    assertThat(maxGrantsInAnyWindow(slow, SECOND)).as("grants in any 1 s after the change").isLessThanOrEqualTo(20);
    List<Long> both = new ArrayList<>(fast);
    both.addAll(slow);
    assertThat(maxGrantsInAnyWindow(both, SECOND)).as("the window remembers the grants before the change")
        .isLessThanOrEqualTo(20);
    assertThat((slow.get(24) - changedAt) / MS).as("25 grants at 19.6/s").isGreaterThanOrEqualTo(1_000);

    limiter.setRatePerSecond(200);
    long raisedAt = time.nanoTime();
    List<Long> raised = grant(limiter, 20);
    assertThat((raised.get(19) - raisedAt) / MS).as("20 grants at 196/s").isLessThan(150);
  }

  /** Grants {@code n} calls as fast as the limiter allows, moving the clock to each allowed time. */
  private List<Long> grant(RateLimiter limiter, int n) {
    List<Long> at = new ArrayList<>();
    while (at.size() < n) {
      long wait = limiter.waitNanos(time.nanoTime());
      if (wait > 0) {
        time.advanceNanos(wait);
        continue;
      }
      limiter.take(time.nanoTime());
      at.add(time.nanoTime());
    }
    return at;
  }

  static int maxGrantsInAnyWindow(List<Long> times, long windowNanos) {
    int max = 0;
    for (int i = 0, j = 0; i < times.size(); i++) {
      while (times.get(i) - times.get(j) > windowNanos) {
        j++;
      }
      max = Math.max(max, i - j + 1);
    }
    return max;
  }
}
