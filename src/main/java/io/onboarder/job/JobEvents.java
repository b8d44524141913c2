package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.metrics.Metrics;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Map;

/**
 * Publishes job and item events, once, cluster-wide: always by the node whose store write made the
 * change, after that write committed. Also the internal "work" notice that wakes every dispatcher.
 * Public for the sign-in package (links, the sign-in watch), which publishes through it too.
 */
public final class JobEvents {
  private final EventBus bus;
  private final Metrics metrics;

  public JobEvents(EventBus bus, Metrics metrics) {
    this.bus = bus;
    this.metrics = metrics;
  }

  public void item(String jobId, long itemId, String account, Long connectorId, ItemStatus status,
                   JsonObject error) {
    metrics.item(status.name());
    bus.publish(Addresses.EVENTS_ITEM, new JsonObject()
        .put("jobId", jobId)
        .put("itemId", String.valueOf(itemId))
        .put("account", account)
        .put("connectorId", connectorId)
        .put("status", status.name())
        .put("error", error));
  }

  void items(Collection<JobStore.Changed> changed, ItemStatus status) {
    changed.forEach(c -> item(c.jobId(), c.itemId(), c.account(), null, status, null));
  }

  void outcome(ItemOutcome o) {
    item(o.jobId(), o.itemId(), o.account(), o.connectorId(), o.status(), o.error());
    if (o.status() == ItemStatus.OAUTH_PENDING && o.url() != null) {
      oauth(o.jobId(), o.itemId(), o.account(), o.connectorId(), o.connectorName(), o.accountConnectorId(), o.url(),
          o.oauthUrl(), o.expiresAt());
    }
  }

  /**
   * A sign-in link to send (first issue or reissue): {@code url} is the relay link when relay links are on,
   * else Cyclr's raw URL; {@code cyclrUrl} the raw URL when one was minted; {@code expiresAt} of {@code url}.
   */
  public void oauth(String jobId, long itemId, String account, Long connectorId, String connectorName,
                    Long accountConnectorId, String url, String cyclrUrl, String expiresAt) {
    bus.publish(Addresses.EVENTS_OAUTH, new JsonObject()
        .put("jobId", jobId)
        .put("itemId", String.valueOf(itemId))
        .put("account", account)
        .put("connectorId", connectorId)
        .put("connectorName", connectorName)
        .put("accountConnectorId", accountConnectorId)
        .put("url", url)
        .put("cyclrUrl", cyclrUrl)
        .put("expiresAt", expiresAt));
  }

  JsonObject job(JobRecord job, Map<ItemStatus, Long> counts) {
    metrics.job(job.status().name());
    JsonObject summary = JobSummaries.of(job, job.status(), job.finishedAt(), counts);
    bus.publish(Addresses.EVENTS_JOB, summary);
    return summary;
  }

  /** A new job was committed with {@code total} PENDING items: its first event, and a wake-up for every dispatcher. */
  public JsonObject accepted(JobRecord job, long total) {
    JsonObject summary = job(job, Map.of(ItemStatus.PENDING, total));
    work(job.id());
    return summary;
  }

  /** Tells every node's dispatcher that a job may have claimable items (or may be finishable). */
  void work(String jobId) {
    bus.publish(Addresses.JOBS_WORK, new JsonObject().put("jobId", jobId));
  }
}
