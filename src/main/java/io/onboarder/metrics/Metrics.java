package io.onboarder.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The service's own meters (Prometheus names {@code onboarder_*}), on the Vert.x Micrometer
 * registry when metrics are enabled, else on a throw-away registry so callers never check.
 */
public final class Metrics {
  private final MeterRegistry registry;
  // Meters are looked up by a plain string key: building tags on every call costs more than the call.
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  /** Cyclr exchanges: a fast read is tens of ms, a slow install several seconds, a timeout tens. */
  private static final Duration[] CYCLR_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
  /** From a job's acceptance: seconds for a small job, hours for a large one behind the rate limit. */
  private static final Duration[] ITEM_BUCKETS = seconds(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600,
      86400);
  private static final double[] JOB_SIZE_BUCKETS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

  private Metrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters on {@code registry} (a test's own). */
  public static Metrics on(MeterRegistry registry) {
    return new Metrics(registry);
  }

  public static Metrics current() {
    MeterRegistry r = BackendRegistries.getDefaultNow();
    return new Metrics(r != null ? r : new SimpleMeterRegistry());
  }

  /** One Cyclr HTTP exchange: route template, outcome (success, retryable, rate_limited, ambiguous, fatal, …). */
  public void cyclrCall(String route, String outcome, long nanos) {
    counters.computeIfAbsent("call|" + route + "|" + outcome, k -> Counter.builder("onboarder.cyclr.calls")
        .description("Cyclr HTTP calls by route and outcome").tag("route", route).tag("outcome", outcome)
        .register(registry)).increment();
    timers.computeIfAbsent(route, k -> Timer.builder("onboarder.cyclr.latency").description("Cyclr call latency")
        .tag("route", route).serviceLevelObjectives(CYCLR_BUCKETS).register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** An item this node onboarded reached a terminal {@code status}, {@code millis} after its job was accepted. */
  public void itemTimeToTerminal(String status, long millis) {
    timers.computeIfAbsent("terminal|" + status, k -> Timer.builder("onboarder.item.time.to.terminal")
        .description("Items onboarded by this node, from their job's acceptance to their first terminal status")
        .tag("status", status).serviceLevelObjectives(ITEM_BUCKETS).register(registry))
        .record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  /** A job of {@code items} items accepted by this node (its rate over time is the intake rate). */
  public void jobAccepted(long items) {
    DistributionSummary.builder("onboarder.intake.job.items").description("Items per job accepted by this node")
        .serviceLevelObjectives(JOB_SIZE_BUCKETS).register(registry).record(items);
  }

  /**
   * Counters of a known set of labels, at 0 from the start: a rate or an increase is defined before the first
   * change, and an alert on one sees its series from the first scrape.
   */
  public void known(Collection<String> itemStatuses, Collection<String> jobStatuses,
                    Collection<String> accountStatuses) {
    itemStatuses.forEach(s -> counter("item|" + s, "onboarder.items", "Item status changes", "status", s));
    jobStatuses.forEach(s -> counter("job|" + s, "onboarder.jobs", "Job status changes", "status", s));
    accountStatuses.forEach(s -> counter("account|" + s, "onboarder.accounts",
        "Status changes of accounts of jobs with a template", "status", s));
    for (String stage : new String[] {"issued", "opened", "started", "authenticated", "reminded", "expired"}) {
      counter("funnel|" + stage, "onboarder.signin.funnel", "Sign-in links through the funnel, by stage", "stage",
          stage);
    }
    for (String outcome : new String[] {"delivered", "retry", "failed", "gone"}) {
      counter("webhook|" + outcome, "onboarder.webhook.deliveries", "Webhook delivery attempts by outcome",
          "outcome", outcome);
    }
    for (String reason : new String[] {"oversized", "refused", "auth-timeout", "evicted", "full", "slow",
        "unauthenticated-bytes", "error"}) {
      counter("bridge|" + reason, "onboarder.bridge.closed", "Bridge connections closed by the bridge, by reason",
          "reason", reason);
    }
    for (String reason : new String[] {"transport", "rate_limited", "unauthorized"}) {
      counter("retry|" + reason, "onboarder.cyclr.retries", "Cyclr calls retried, by reason", "reason", reason);
    }
    for (String result : new String[] {"healthy", "lost", "gone", "failed"}) {
      counter("credential|" + result, "onboarder.credential.checks", "Credential health checks at Cyclr by result",
          "result", result);
    }
  }

  private Counter counter(String key, String name, String description, String tag, String value) {
    return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tag(tag, value)
        .register(registry));
  }

  private static Duration[] seconds(double... values) {
    Duration[] out = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
    }
    return out;
  }

  /** A bridge connection the bridge closed, by reason ({@code oversized}, {@code refused}, {@code slow}, …). */
  public void bridgeClosed(String reason) {
    counter("bridge|" + reason, "onboarder.bridge.closed", "Bridge connections closed by the bridge, by reason",
        "reason", reason).increment();
  }

  /** A value sampled when scraped, e.g. items waiting or in flight. */
  public void gauge(String name, String description, java.util.function.Supplier<Number> value) {
    io.micrometer.core.instrument.Gauge.builder(name, value).description(description).register(registry);
  }

  /**
   * A value counted by an asynchronous query (e.g. in the store), sampled when scraped but at most once
   * per {@code intervalMs}, started on {@code context}: scrapes never wait for it nor pile queries up.
   */
  public void sampledGauge(String name, String description, Supplier<Future<? extends Number>> query,
                           long intervalMs, Context context) {
    SampledGauge sampled = new SampledGauge(query, TimeUnit.MILLISECONDS.toNanos(intervalMs), System::nanoTime,
        task -> context.runOnContext(v -> task.run()));
    io.micrometer.core.instrument.Gauge.builder(name, sampled::read).description(description).register(registry);
  }

  public void cyclrRetry(String reason) {
    counter("retry|" + reason, "onboarder.cyclr.retries", "Cyclr calls retried, by reason", "reason", reason)
        .increment();
  }

  public void item(String status) {
    counter("item|" + status, "onboarder.items", "Item status changes", "status", status).increment();
  }

  public void account(String status) {
    counter("account|" + status, "onboarder.accounts", "Status changes of accounts of jobs with a template",
        "status", status).increment();
  }

  public void job(String status) {
    counter("job|" + status, "onboarder.jobs", "Job status changes", "status", status).increment();
  }

  /** One webhook delivery attempt: delivered, retry (will be tried again), failed (gave up), gone (410). */
  public void webhook(String outcome) {
    counter("webhook|" + outcome, "onboarder.webhook.deliveries", "Webhook delivery attempts by outcome", "outcome",
        outcome).increment();
  }

  /**
   * One step of a tenant through the sign-in funnel ({@code onboarder_signin_funnel_total{stage}}): issued, opened,
   * started, authenticated, reminded, expired. Counted by the one node that made the change.
   */
  public void signInFunnel(String stage) {
    counter("funnel|" + stage, "onboarder.signin.funnel", "Sign-in links through the funnel, by stage", "stage",
        stage).increment();
  }

  /** One credential health check: healthy, lost, gone (the account connector was deleted), failed (try later). */
  public void credentialCheck(String result) {
    counter("credential|" + result, "onboarder.credential.checks", "Credential health checks at Cyclr by result",
        "result", result).increment();
  }
}
