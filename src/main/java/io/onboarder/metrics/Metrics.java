package io.onboarder.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.micrometer.backends.BackendRegistries;
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
        .tag("route", route).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A bridge connection the bridge closed, by reason ({@code oversized}, {@code refused}, {@code slow}, …). */
  public void bridgeClosed(String reason) {
    counters.computeIfAbsent("bridge|" + reason, k -> Counter.builder("onboarder.bridge.closed")
        .description("Bridge connections closed by the bridge, by reason").tag("reason", reason)
        .register(registry)).increment();
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
    counters.computeIfAbsent("retry|" + reason, k -> Counter.builder("onboarder.cyclr.retries")
        .description("Cyclr calls retried, by reason").tag("reason", reason).register(registry)).increment();
  }

  public void item(String status) {
    counters.computeIfAbsent("item|" + status, k -> Counter.builder("onboarder.items")
        .description("Item status changes").tag("status", status).register(registry)).increment();
  }

  public void account(String status) {
    counters.computeIfAbsent("account|" + status, k -> Counter.builder("onboarder.accounts")
        .description("Status changes of accounts of jobs with a template").tag("status", status).register(registry))
        .increment();
  }

  public void job(String status) {
    counters.computeIfAbsent("job|" + status, k -> Counter.builder("onboarder.jobs")
        .description("Job status changes").tag("status", status).register(registry)).increment();
  }

  /** One webhook delivery attempt: delivered, retry (will be tried again), failed (gave up), gone (410). */
  public void webhook(String outcome) {
    counters.computeIfAbsent("webhook|" + outcome, k -> Counter.builder("onboarder.webhook.deliveries")
        .description("Webhook delivery attempts by outcome").tag("outcome", outcome).register(registry)).increment();
  }

  /**
   * One step of a tenant through the sign-in funnel ({@code onboarder_signin_funnel_total{stage}}): issued, opened,
   * started, authenticated, reminded, expired. Counted by the one node that made the change.
   */
  public void signInFunnel(String stage) {
    counters.computeIfAbsent("funnel|" + stage, k -> Counter.builder("onboarder.signin.funnel")
        .description("Sign-in links through the funnel, by stage").tag("stage", stage).register(registry)).increment();
  }

  /** One credential health check: healthy, lost, gone (the account connector was deleted), failed (try later). */
  public void credentialCheck(String result) {
    counters.computeIfAbsent("credential|" + result, k -> Counter.builder("onboarder.credential.checks")
        .description("Credential health checks at Cyclr by result").tag("result", result).register(registry))
        .increment();
  }
}
