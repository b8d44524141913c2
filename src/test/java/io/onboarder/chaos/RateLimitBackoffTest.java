package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Politeness when Cyclr limits below the configured rate: the gateway pauses and slows down as a whole.
 * It counts refusals, not requests per second, so it runs beside other tests (unlike {@link RateLimitTest}).
 */
@ExtendWith(VertxExtension.class)
class RateLimitBackoffTest {

  @Test
  void slowsDownAsAWholeWhenCyclrLimitsBelowTheConfiguredRate(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setRateLimitPerSecond(40).setRetryAfterValue("1"),
        c -> {
          ConfigLoader.put(c, "gateway.ratePerSecond", 400);
          ConfigLoader.put(c, "gateway.maxConcurrency", 16);
        })) {
      String id = s.submit(TestService.apiKeyJob("aimd", 150));
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      long requests = s.cyclr.stats().requests();
      long refused = s.cyclr.stats().rateLimited();
      assertThat(refused).isPositive();
      // A per-request retry loop would be refused most of the time; pausing the whole gateway and
      // halving the rate keeps refusals a small share.
      assertThat((double) refused).as("429s of %d requests", requests).isLessThan(0.25 * requests);
      assertThat(s.cyclr.stats().installs()).isEqualTo(150);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }
}
