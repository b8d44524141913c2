package io.onboarder.job;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The JSON of every job event, in one place: what the store writes into the event log (and the
 * webhook outbox) and what is published on {@code onboarder.events.*} are built here.
 */
public final class EventBodies {
  private EventBodies() {}

  /** {@code onboarder.events.item}: {"jobId","itemId","account","connectorId","status","error"}. */
  public static JsonObject item(String jobId, long itemId, String account, Long connectorId, ItemStatus status,
                                JsonObject error) {
    return new JsonObject()
        .put("jobId", jobId)
        .put("itemId", String.valueOf(itemId))
        .put("account", account)
        .put("connectorId", connectorId)
        .put("status", status.name())
        .put("error", error);
  }

  public static JsonObject item(ItemOutcome o) {
    return item(o.jobId(), o.itemId(), o.account(), o.connectorId(), o.status(), o.error());
  }

  /** {@code onboarder.events.oauth}, for an outcome that minted a sign-in link; null otherwise. */
  public static JsonObject oauth(ItemOutcome o) {
    if (o.status() != ItemStatus.OAUTH_PENDING || o.oauthUrl() == null) {
      return null;
    }
    return new JsonObject()
        .put("jobId", o.jobId())
        .put("itemId", String.valueOf(o.itemId()))
        .put("account", o.account())
        .put("connectorId", o.connectorId())
        .put("connectorName", o.connectorName())
        .put("accountConnectorId", o.accountConnectorId())
        .put("url", o.oauthUrl())
        .put("expiresAt", o.oauthExpiresAt());
  }

  /** {@code onboarder.events.job}: the job summary, as the HTTP API shows it. */
  public static JsonObject job(JobRecord job, Map<ItemStatus, Long> counts) {
    return JobSummaries.of(job, job.status(), job.finishedAt(), counts);
  }
}
