package io.onboarder.job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The gateway's request for one account step, and its reply turned into an {@link AccountOutcome}: where
 * the account goes next, and when a sign-in watch checks it again.
 */
final class AccountRequests {
  /** How long a sign-in watch lasts from its first check: as long as a relay link (7 days). */
  static final long WATCH_FOR_MS = 7L * 24 * 3600 * 1000;
  /** The watch backs off to at most 15 min, and never beyond 30 times its first interval (time runs fast in tests). */
  static final long WATCH_MAX_INTERVAL_MS = 15 * 60_000;

  private AccountRequests() {}

  static JsonObject of(JsonObject spec, ClaimedAccount a, boolean checkOnly) {
    JsonObject oauth = spec.getJsonObject("oauth", new JsonObject());
    JsonObject options = spec.getJsonObject("options", new JsonObject());
    return new JsonObject()
        .put("jobId", a.jobId())
        .put("account", a.account())
        .put("template", spec.getJsonObject("template"))
        .put("activate", spec.getJsonObject("activate"))
        .put("dryRun", options.getBoolean("dryRun", false))
        .put("checkOnly", checkOnly)
        // It may exist at Cyclr already: the gateway's cancel does not bounce it.
        .put("recovered", a.recovered())
        .put("cycleId", a.cycleId())
        .put("linked", a.linked())
        .put("targetOrigin", oauth.getString("targetOrigin"))
        .put("callbackMessage", oauth.getString("callbackMessage"))
        .put("username", oauth.getString("username"));
  }

  static AccountOutcome outcome(ClaimedAccount a, JsonObject r, boolean checkOnly, long watchIntervalMs) {
    if (Boolean.TRUE.equals(r.getValue("handBack"))) {
      return AccountOutcome.handBack(a, a.recovered() || Boolean.TRUE.equals(r.getValue("recovered")));
    }
    AccountStatus status = AccountStatus.parse(r.getString("status"));
    if (status == null) {
      return AccountOutcome.decided(a, AccountStatus.FAILED, AccountPhase.DONE, AccountOutcome.error("INTERNAL",
          "gateway replied with status " + r.getString("status")));
    }
    String cycleId = r.getString("cycleId") != null ? r.getString("cycleId") : a.cycleId();
    JsonArray links = r.getJsonArray("links", new JsonArray());
    JsonArray signIns = a.signIns() == null ? new JsonArray() : a.signIns().copy();
    links.forEach(signIns::add);
    JsonArray prerequisites = r.getJsonArray("prerequisites", new JsonArray());
    JsonObject error = r.getJsonObject("error");
    if (checkOnly) {
      // A cancelled or stopped job: the account stays as Cyclr has it, for good.
      return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, AccountPhase.HALTED, cycleId,
          prerequisites, signIns, links, error, null, null, null, false, false);
    }
    if (r.getBoolean("watch", false)) {
      if (a.phase() == AccountPhase.WATCH && a.watchUntil() != null && a.nowMs() >= a.watchUntil()) {
        return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), AccountStatus.WAITING,
            AccountPhase.DONE, cycleId, prerequisites, signIns, links, AccountOutcome.error("SIGN_IN_WATCH_ENDED",
            "No sign-in within 7 days: the service stopped checking. Retry the job to check again and send fresh "
                + "sign-in links."), null, null, null, false, false);
      }
      long maxInterval = Math.min(WATCH_MAX_INTERVAL_MS, 30 * watchIntervalMs);
      long next = a.phase() != AccountPhase.WATCH || a.watchInterval() == null ? watchIntervalMs
          : Math.min(maxInterval, a.watchInterval() * 2);
      return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), AccountStatus.WAITING,
          AccountPhase.WATCH, cycleId, prerequisites, signIns, links, error, next, next, WATCH_FOR_MS, false, false);
    }
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, AccountPhase.DONE, cycleId,
        prerequisites, signIns, links, error, null, null, null, false, false);
  }
}
