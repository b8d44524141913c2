package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * What became of one claimed item. {@code status == PENDING} hands it back untried (shutdown);
 * the auth value is wiped for every terminal status but FAILED, which {@code retry} may re-run.
 * {@code oauthUrl} is Cyclr's raw sign-in URL when the gateway minted one; {@code relayUrl} the relay
 * link the store issued while recording an OAUTH_PENDING item (with PUBLIC_URL set).
 */
public record ItemOutcome(long itemId, String jobId, String account, ItemStatus status, Long connectorId,
                          String connectorName, Long accountConnectorId, String oauthUrl, String oauthExpiresAt,
                          JsonObject error, boolean recovered, String relayUrl, String relayExpiresAt) {

  public ItemOutcome(long itemId, String jobId, String account, ItemStatus status, Long connectorId,
                     String connectorName, Long accountConnectorId, String oauthUrl, String oauthExpiresAt,
                     JsonObject error, boolean recovered) {
    this(itemId, jobId, account, status, connectorId, connectorName, accountConnectorId, oauthUrl, oauthExpiresAt,
        error, recovered, null, null);
  }

  /** This outcome with the relay link issued for it. */
  public ItemOutcome withRelay(String url, String expiresAt) {
    return new ItemOutcome(itemId, jobId, account, status, connectorId, connectorName, accountConnectorId, oauthUrl,
        oauthExpiresAt, error, recovered, url, expiresAt);
  }

  /** The link to send: the relay link when there is one, else Cyclr's raw URL. */
  public String url() {
    return relayUrl != null ? relayUrl : oauthUrl;
  }

  /** When {@link #url()} stops working. */
  public String expiresAt() {
    return relayUrl != null ? relayExpiresAt : oauthExpiresAt;
  }

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
