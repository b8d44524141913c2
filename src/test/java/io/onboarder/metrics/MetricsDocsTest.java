package io.onboarder.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Application;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics table of docs/operations.md and {@code GET /metrics} of a running node name the same
 * {@code onboarder_*} metrics, of the same kinds: every documented metric exists, every metric is documented;
 * after a small job its calls, items and job are counted (and the node with metrics on is ready).
 */
class MetricsDocsTest {
  private static final Path DOCS = Path.of("docs/operations.md");
  /** A table row's first cell: one or more backticked names, each with optional labels. */
  private static final Pattern ROW = Pattern.compile("^\\| (`onboarder_[^|]+) \\| (\\w+) \\|");
  private static final Pattern NAME = Pattern.compile("`(onboarder_\\w+)(\\{[^}]*})?`");
  private static final Pattern TYPE = Pattern.compile("^# TYPE (onboarder_\\w+) (\\w+)$", Pattern.MULTILINE);

  /** Documented metric name → kind, from the table under "Health and metrics". */
  static Map<String, String> documented() throws IOException {
    Map<String, String> out = new HashMap<>();
    for (String line : Files.readAllLines(DOCS)) {
      Matcher row = ROW.matcher(line);
      if (row.find()) {
        Matcher name = NAME.matcher(row.group(1));
        while (name.find()) {
          out.put(name.group(1), row.group(2));
        }
      }
    }
    return out;
  }

  /**
   * Exposed metric name → kind, as the docs name them: a counter with its {@code _total}; a histogram by its
   * base name (its {@code _max} gauge belongs to it).
   */
  static Map<String, String> exposed(String scrape) {
    Map<String, String> types = new HashMap<>();
    Matcher m = TYPE.matcher(scrape);
    while (m.find()) {
      types.put(m.group(1), m.group(2));
    }
    Map<String, String> out = new HashMap<>();
    types.forEach((name, type) -> {
      if (name.endsWith("_max") && "histogram".equals(types.get(name.substring(0, name.length() - 4)))) {
        return;
      }
      out.put("counter".equals(type) && !name.endsWith("_total") ? name + "_total" : name, type);
    });
    return out;
  }

  @Test
  void everyDocumentedMetricIsOnMetricsAndEveryMetricIsDocumented(@TempDir Path dir) throws IOException {
    Map<String, String> docs = documented();
    assertThat(docs).as("the docs table").hasSizeGreaterThan(25);
    Vertx vertx = Application.newVertx();
    String secret = WebhookReceiver.newSecret();
    WebhookReceiver receiver = WebhookReceiver.start(vertx, secret);
    // Every optional part on, so its meters exist: webhooks, the bridge, credential health.
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "webhooks.url", receiver.url());
      ConfigLoader.put(c, "webhooks.secret", secret);
      ConfigLoader.put(c, "bridge.port", 0);
      ConfigLoader.put(c, "signIn.healthIntervalHours", 24);
    })) {
      s.awaitJob(s.submit(TestService.apiKeyJob("docs", 2)));
      WebClient http = WebClient.create(vertx);
      // The store's gauges are NaN until their first count ends: scrape until they have one.
      String scrape = s.poll(() -> TestService.await(http.getAbs(s.base() + "/metrics").send()).bodyAsString(),
          body -> !body.contains("NaN"), Duration.ofSeconds(10), "the store's gauges to be counted");
      Map<String, String> onMetrics = exposed(scrape);
      assertThat(new TreeSet<>(onMetrics.keySet())).as("on /metrics, not in docs/operations.md")
          .isSubsetOf(docs.keySet());
      assertThat(new TreeSet<>(docs.keySet())).as("in docs/operations.md, not on /metrics")
          .isSubsetOf(onMetrics.keySet());
      onMetrics.forEach((name, type) -> assertThat(docs.get(name)).as("kind of " + name).isEqualTo(type));

      // The histograms have their buckets; the counters of known labels are there before they change.
      assertThat(scrape)
          .contains("onboarder_cyclr_latency_seconds_bucket{route=\"POST /v1.0/connectors/{id}/install\",le=\"0.25\"}")
          .contains("onboarder_item_time_to_terminal_seconds_bucket{status=\"INSTALLED\",le=\"3600.0\"}")
          .containsPattern("onboarder_intake_job_items_bucket\\{le=\"10.0\"} 1")
          .contains("onboarder_items_total{status=\"FAILED\"} 0.0")
          .contains("onboarder_webhook_deliveries_total{outcome=\"gone\"} 0.0")
          .contains("onboarder_cyclr_breaker_open 0.0")
          .contains("onboarder_webhook_backlog ").contains("onboarder_fleets_drifted 0.0")
          .contains("onboarder_cyclr_calls_total{outcome=\"success\",route=\"POST /v1.0/connectors/{id}/install\"} 2")
          .contains("onboarder_items_total{status=\"INSTALLED\"} 2").contains("onboarder_jobs_total{status=\"SUCCEEDED\"} 1")
          .contains("onboarder_items_pending 0.0");
      // Metrics on, the node is ready.
      assertThat(TestService.await(http.getAbs(s.base() + "/health/ready").send()).bodyAsJsonObject()
          .getString("status")).isEqualTo("UP");
    } finally {
      receiver.close();
      TestService.await(vertx.close());
    }
  }

  @Test
  void exposedNamesAreReadAsTheDocsWriteThem() {
    assertThat(exposed("""
        # TYPE onboarder_items_total counter
        # TYPE onboarder_x_seconds histogram
        # TYPE onboarder_x_seconds_max gauge
        # TYPE onboarder_y_max gauge
        # TYPE onboarder_z counter
        """)).containsOnlyKeys("onboarder_items_total", "onboarder_x_seconds", "onboarder_y_max",
        "onboarder_z_total");
  }
}
