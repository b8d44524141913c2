package io.onboarder.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a failed delivery is tried again, as a table: backoff steps with jitter, and Retry-After honoured. */
class WebhookRetryTest {
  private static final long NOW = 1_700_000_000_000L;

  @ParameterizedTest(name = "attempt {0}: {1}..{2} ms")
  @CsvSource({
      "1, 1000, 2000",
      "2, 2000, 4000",
      "3, 4000, 8000",
      "6, 32000, 64000",
      "12, 1800000, 3600000",
      "30, 1800000, 3600000",
      "500, 1800000, 3600000"})
  void backsOffExponentiallyWithJitterUpToOneHour(int attempt, long min, long max) {
    assertThat(new WebhookRetry(n -> 0).delayMs(attempt, null, NOW)).isEqualTo(min);
    assertThat(new WebhookRetry(n -> n - 1).delayMs(attempt, null, NOW)).isEqualTo(max);
  }

  @ParameterizedTest(name = "Retry-After ''{0}'' → {1} ms")
  @CsvSource({
      "1, 1000",
      "0, 1000",
      "120, 120000",
      "86400, 21600000",
      "999999999, 21600000",
      "1000000000, 21600000",
      "99999999999999999999999, 21600000",
      "'  30 ', 30000",
      "soon, -1",
      "-5, -1",
      "'', -1"})
  void honoursRetryAfterSecondsClamped(String value, long expected) {
    long delay = new WebhookRetry(n -> 0).delayMs(3, value, NOW);
    assertThat(delay).isEqualTo(expected >= 0 ? expected : 4000); // unreadable: the backoff applies
  }

  @ParameterizedTest(name = "Retry-After as an HTTP date {0} s ahead")
  @CsvSource({"90, 90000", "-30, 1000"})
  void honoursRetryAfterDates(long secondsAhead, long expected) {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(
        java.time.Instant.ofEpochMilli(NOW).plusSeconds(secondsAhead), ZoneOffset.UTC));
    assertThat(new WebhookRetry(n -> 0).delayMs(1, date, NOW)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void retriesForAtLeastADay() {
    assertThat(WebhookRetry.WINDOW).isGreaterThanOrEqualTo(Duration.ofHours(24));
    // With the shortest jitter every time, the attempts inside the window number about 35.
    long t = 0;
    int attempts = 1;
    WebhookRetry shortest = new WebhookRetry(n -> 0);
    while (t < WebhookRetry.WINDOW.toMillis()) {
      t += shortest.delayMs(attempts++, null, NOW);
    }
    assertThat(attempts).isBetween(30, 60);
  }
}
