package io.onboarder.webhook;

import io.vertx.core.Future;

/**
 * Whether the webhook endpoint (by the hash of its URL) may be sent to, shared by every node: a 410
 * Gone disables it until a delivery is replayed. Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface WebhookEndpoints {

  /** Whether the endpoint may be sent to; when not, since when and why. */
  record Endpoint(boolean enabled, String disabledAt, String reason) {}

  Future<Endpoint> endpoint(String urlHash);

  Future<Void> disable(String urlHash, String reason);

  Future<Void> enable(String urlHash);
}
