package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * What became of one claimed item. {@code status == PENDING} hands it back untried (shutdown);
 * the auth value is wiped for every terminal status but FAILED, which {@code retry} may re-run.
 */
public record ItemOutcome(long itemId, String jobId, String account, ItemStatus status, Long connectorId,
                          String connectorName, Long accountConnectorId, String oauthUrl, String oauthExpiresAt,
                          JsonObject error, boolean recovered) {

  public boolean wipesAuthValue() {
    return status.terminal() && status != ItemStatus.FAILED;
  }

  public static ItemOutcome handBack(ClaimedItem item) {
    return new ItemOutcome(item.id(), item.jobId(), item.account(), ItemStatus.PENDING, null, null, null, null,
        null, null, false);
  }

  /** Handed back after an install may have happened: it must be checked and finished, even if cancelled. */
  public static ItemOutcome handBackRecovered(ClaimedItem item) {
    return new ItemOutcome(item.id(), item.jobId(), item.account(), ItemStatus.PENDING, null, null, null, null,
        null, null, true);
  }

  public static ItemOutcome failed(ClaimedItem item, String code, String message) {
    return new ItemOutcome(item.id(), item.jobId(), item.account(), ItemStatus.FAILED, null, null, null, null, null,
        new JsonObject().put("code", code).put("message", message), false);
  }
}
