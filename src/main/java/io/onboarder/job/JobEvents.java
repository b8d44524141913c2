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
final class JobEvents {
  private final EventBus bus;
  private final Metrics metrics;

  JobEvents(EventBus bus, Metrics metrics) {
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

  /** A job summary made elsewhere (e.g. with account counts, {@link JobSummaries#load}): published as it is. */
  JsonObject job(JsonObject summary) {
    metrics.job(summary.getString("status"));
    bus.publish(Addresses.EVENTS_JOB, summary);
    return summary;
  }

  /**
   * An account of a job with a template changed status: {@code onboarder.events.account}
   * {"jobId","account","status","cycleId","prerequisites","error"}. Webhooks (owned by the webhook code)
   * map ACTIVE, SETUP_REQUIRED and FAILED to the types account.active, account.setup_required and
   * account.failed.
   */
  void account(AccountOutcome o) {
    metrics.account(o.status().name());
    bus.publish(Addresses.EVENTS_ACCOUNT, o.eventJson());
  }

  /** A status change of an account made in bulk (retry): the event without cycle or prerequisites. */
  void account(JobStore.AccountChanged c) {
    metrics.account(c.status().name());
    bus.publish(Addresses.EVENTS_ACCOUNT, new JsonObject().put("jobId", c.jobId()).put("account", c.account())
        .put("status", c.status().name()).putNull("cycleId").put("prerequisites", new io.vertx.core.json.JsonArray())
        .putNull("error"));
  }

  /**
   * A sign-in link for a connector a template brought into an account: on {@code onboarder.events.oauth} like
   * an item's link, with no itemId and the cycle it belongs to.
   */
  void accountSignIn(AccountOutcome o, JsonObject link) {
    bus.publish(Addresses.EVENTS_OAUTH, new JsonObject()
        .put("jobId", o.jobId())
        .putNull("itemId")
        .put("account", o.account())
        .put("connectorId", link.getValue("connectorId"))
        .put("connectorName", link.getString("connectorName"))
        .put("accountConnectorId", link.getValue("accountConnectorId"))
        .put("url", link.getString("url"))
        .put("expiresAt", link.getString("expiresAt"))
        .put("cycleId", o.cycleId()));
  }

  /** Tells every node's dispatcher that a job may have claimable items (or may be finishable). */
  void work(String jobId) {
    bus.publish(Addresses.JOBS_WORK, new JsonObject().put("jobId", jobId));
  }
}
