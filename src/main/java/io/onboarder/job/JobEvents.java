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
 */
public final class JobEvents {
  private final EventBus bus;
  private final Metrics metrics;

  public JobEvents(EventBus bus, Metrics metrics) {
    this.bus = bus;
    this.metrics = metrics;
  }

  void item(String jobId, long itemId, String account, Long connectorId, ItemStatus status, JsonObject error) {
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
    if (o.status() == ItemStatus.OAUTH_PENDING && o.oauthUrl() != null) {
      bus.publish(Addresses.EVENTS_OAUTH, new JsonObject()
          .put("jobId", o.jobId())
          .put("itemId", String.valueOf(o.itemId()))
          .put("account", o.account())
          .put("connectorId", o.connectorId())
          .put("connectorName", o.connectorName())
          .put("accountConnectorId", o.accountConnectorId())
          .put("url", o.oauthUrl())
          .put("expiresAt", o.oauthExpiresAt()));
    }
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
