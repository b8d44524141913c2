package io.onboarder.job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What became of one claimed account step. {@code handBack}: nothing is decided, the account goes
 * back as it was (due again at once; {@code recovered} if a template install may have been sent).
 * {@code nextCheckMs}: when the account is due again (null: not by time). {@code watchForMs}: how long
 * a watch for Cyclr to catch up lasts from its first check (kept once set; null ends it).
 * {@code signIns}: the sign-in items the account has already ({"itemId","accountConnectorId",
 * "connectorId","connectorName"}); {@code newSignIns}: connectors the template brought that the tenant must
 * sign in to ({"accountConnectorId","connectorId","connectorName","url"?,"expiresAt"?}): the store turns each
 * into an OAUTH_PENDING item of the job, with its link and watch, like an installed OAuth connector.
 */
public record AccountOutcome(long id, String jobId, String account, AccountStatus previous, AccountStatus status,
                             AccountPhase phase, String cycleId, JsonArray prerequisites, JsonArray signIns,
                             JsonArray newSignIns, JsonObject error, Long nextCheckMs, Long watchInterval,
                             Long watchForMs, boolean handBack, boolean recovered) {

  public boolean statusChanged() {
    return !handBack && previous != status;
  }

  public static AccountOutcome handBack(ClaimedAccount a, boolean recovered) {
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), a.status(), a.phase(), null, null, null,
        null, null, 0L, null, null, true, recovered);
  }

  /** A decision made without calling Cyclr: waiting for items or a sign-in, failed items, a halted job. */
  public static AccountOutcome decided(ClaimedAccount a, AccountStatus status, AccountPhase phase, JsonObject error) {
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, phase, a.cycleId(), null,
        a.signIns(), null, error, null, null, null, false, false);
  }

  public static JsonObject error(String code, String message) {
    return new JsonObject().put("code", code).put("message", message);
  }

  /** {@code onboarder.events.account}: {"jobId","account","status","cycleId","prerequisites","error"}. */
  public JsonObject eventJson() {
    return new JsonObject()
        .put("jobId", jobId)
        .put("account", account)
        .put("status", status.name())
        .put("cycleId", cycleId)
        .put("prerequisites", prerequisites == null ? new JsonArray() : prerequisites)
        .put("error", error);
  }
}
