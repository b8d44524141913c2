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

  /** {@code onboarder.events.oauth}, for an outcome that has a sign-in link to send; null otherwise. */
  public static JsonObject oauth(ItemOutcome o) {
    if (o.status() != ItemStatus.OAUTH_PENDING || o.url() == null) {
      return null;
    }
    return oauth(o.jobId(), o.itemId(), o.account(), o.connectorId(), o.connectorName(), o.accountConnectorId(),
        o.url(), o.oauthUrl(), o.expiresAt());
  }

  /**
   * {@code onboarder.events.oauth}: a sign-in link to send (first issue or reissue). {@code url} is the
   * relay link when relay links are on, else Cyclr's raw URL; {@code cyclrUrl} the raw URL when one was
   * minted; {@code expiresAt} of {@code url}.
   */
  public static JsonObject oauth(String jobId, long itemId, String account, Long connectorId, String connectorName,
                                 Long accountConnectorId, String url, String cyclrUrl, String expiresAt) {
    return new JsonObject()
        .put("jobId", jobId)
        .put("itemId", String.valueOf(itemId))
        .put("account", account)
        .put("connectorId", connectorId)
        .put("connectorName", connectorName)
        .put("accountConnectorId", accountConnectorId)
        .put("url", url)
        .put("cyclrUrl", cyclrUrl)
        .put("expiresAt", expiresAt);
  }

  /** {@code onboarder.events.job}: the job summary, as the HTTP API shows it. */
  public static JsonObject job(JobRecord job, Map<ItemStatus, Long> counts) {
    return JobSummaries.of(job, job.status(), job.finishedAt(), counts);
  }
}
