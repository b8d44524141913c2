package io.onboarder.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A sampled gauge counts at most once per interval and never makes a scrape wait (virtual clock). */
class SampledGaugeTest {
  private static final long INTERVAL = TimeUnit.SECONDS.toNanos(10);

  private long now = 1_000;
  private final List<Promise<Long>> queries = new ArrayList<>();
  private final SampledGauge gauge = new SampledGauge(this::query, INTERVAL, () -> now, Runnable::run);

  private Future<Long> query() {
    Promise<Long> p = Promise.promise();
    queries.add(p);
    return p.future();
  }

  @Test
  void theFirstScrapeStartsACountAndSeesNaNUntilItEnds() {
    assertThat(gauge.read()).isNaN();
    assertThat(queries).hasSize(1);
    queries.get(0).complete(42L);
    assertThat(gauge.read()).isEqualTo(42.0);
    assertThat(queries).hasSize(1);
  }

  @Test
  void scrapesWithinTheIntervalReuseTheLastCount() {
    gauge.read();
    queries.get(0).complete(7L);
    for (int i = 0; i < 100; i++) {
      now += TimeUnit.MILLISECONDS.toNanos(99);
      assertThat(gauge.read()).isEqualTo(7.0);
    }
    assertThat(queries).hasSize(1);
    now += TimeUnit.MILLISECONDS.toNanos(100);
    assertThat(gauge.read()).isEqualTo(7.0);
    assertThat(queries).hasSize(2);
    queries.get(1).complete(3L);
    assertThat(gauge.read()).isEqualTo(3.0);
  }

  @Test
  void aSlowCountIsNeverStartedTwice() {
    gauge.read();
    now += 5 * INTERVAL;
    gauge.read();
    gauge.read();
    assertThat(queries).hasSize(1);
    queries.get(0).complete(9L);
    assertThat(gauge.read()).isEqualTo(9.0);
    assertThat(queries).as("the slow count was stamped when it started, long ago").hasSize(2);
  }

  @Test
  void aFailedCountKeepsTheLastValueAndWaitsAnInterval() {
    gauge.read();
    queries.get(0).complete(5L);
    now += INTERVAL;
    gauge.read();
    queries.get(1).fail("store unavailable");
    assertThat(gauge.read()).isEqualTo(5.0);
    assertThat(queries).hasSize(2);
    now += INTERVAL;
    gauge.read();
    assertThat(queries).hasSize(3);
  }
}
