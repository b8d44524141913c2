package io.onboarder.metrics;

import io.vertx.core.Future;

/**
 * Counts in the store that the service shows as gauges (the whole cluster's, so the same on every node):
 * each is an indexed count, sampled at most once per interval when scraped (see {@link Metrics#sampledGauge}).
 */
public interface StoreCounts {
  /** Items waiting for their tenant to sign in that the sign-in watch polls. */
  Future<Long> signInsWaiting();

  /** Webhook deliveries neither delivered nor given up. */
  Future<Long> webhooksPending();

  /** Seconds since the oldest of those deliveries' retry window started (at its creation or replay); 0 if none. */
  Future<Double> oldestWebhookSeconds();

  /** Fleets whose last reconcile found drift. */
  Future<Long> fleetsDrifted();
}
