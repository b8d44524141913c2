package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The watch's backoff, and what watching costs at Cyclr: the figures for 10,000 pending
 * sign-ins in docs/sign-in-links.md come from {@link #tenThousandPendingSignInsCostFortyThousandCallsAnHourOnceBackedOff}, which
 * counts the polls of 10,000 items over a simulated week with the production schedule and its jitter.
 */
class WatchScheduleTest {
  private static final long S = 1_000;
  private static final long HOUR = 3_600 * S;
  private final WatchSchedule production = SignInPolicy.DEFAULT.schedule();

  @Test
  void startsAtTheFirstIntervalAndDoublesUpToFifteenMinutes() {
    assertThat(production.firstMs()).isEqualTo(30 * S);
    long interval = production.firstMs();
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      seen.append(interval / S).append(' ');
      interval = production.after(interval);
    }
    assertThat(seen.toString().trim()).isEqualTo("30 60 120 240 480 900 900");
  }

  @Test
  void jitterSpreadsEachDelayByTenPercentAtMost() {
    assertThat(WatchSchedule.jittered(1_000, () -> 0.0)).isEqualTo(900);
    assertThat(WatchSchedule.jittered(1_000, () -> 0.5)).isEqualTo(1_000);
    assertThat(WatchSchedule.jittered(1_000, () -> 0.999_999)).isEqualTo(1_100);
    assertThat(WatchSchedule.jittered(1, () -> 0.0)).isEqualTo(1);
  }

  @Test
  void pollsPerPendingSignInWithoutJitter() {
    assertThat(production.pollsWithin(HOUR)).isEqualTo(7);      // 30 s, 1.5, 3.5, 7.5, 15.5, 30.5, 45.5 min
    assertThat(production.pollsWithin(24 * HOUR)).isEqualTo(99);
    assertThat(production.pollsWithin(168 * HOUR)).isEqualTo(675); // LINKS_TTL_HOURS default: a week
  }

  @Test
  void tenThousandPendingSignInsCostFortyThousandCallsAnHourOnceBackedOff() {
    int items = 10_000;
    int hours = 168;
    long[] perHour = new long[hours];
    Random random = new Random(7);
    for (int i = 0; i < items; i++) {
      // All published at once: the worst case for the first hour.
      long interval = production.firstMs();
      long t = WatchSchedule.jittered(interval, random::nextDouble);
      while (t < hours * HOUR) {
        perHour[(int) (t / HOUR)]++;
        interval = production.after(interval);
        t += WatchSchedule.jittered(interval, random::nextDouble);
      }
    }
    long steady = 0;
    for (int h = 2; h < hours; h++) {
      steady += perHour[h];
    }
    double steadyPerHour = steady / (double) (hours - 2);
    long total = java.util.Arrays.stream(perHour).sum();
    System.out.printf("10,000 pending sign-ins: first hour %d calls, second %d, then %.0f/h (%.1f/s); a week %d%n",
        perHour[0], perHour[1], steadyPerHour, steadyPerHour / 3600, total);
    assertThat(perHour[0]).isBetween(70_000L, 78_000L);
    assertThat(steadyPerHour).isBetween(39_600.0, 40_400.0); // 4 polls an hour each, at the 15-minute cap
    assertThat(total).isBetween(6_700_000L, 6_800_000L);
  }
}
