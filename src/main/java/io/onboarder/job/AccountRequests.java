package io.onboarder.job;

import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.bus.GatewayContract.AccountStepRequest;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.WatchSchedule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The gateway's request for one account step, and its reply turned into an {@link AccountOutcome}: where
 * the account goes next, and when it is checked again.
 */
final class AccountRequests {
  private AccountRequests() {}

  /** {@code mintSignIn}: false with relay links, whose Cyclr token is minted only when the tenant clicks Connect. */
  static AccountStepRequest of(JsonObject spec, ClaimedAccount a, boolean checkOnly, boolean mintSignIn) {
    JsonObject options = spec.getJsonObject("options", new JsonObject());
    // recovered: it may exist at Cyclr already, so the gateway's cancel does not bounce it.
    return new AccountStepRequest(a.jobId(), a.account(), spec.getJsonObject("template"),
        spec.getJsonObject("activate"), options.getBoolean("dryRun", false), checkOnly, a.recovered(), a.cycleId(),
        a.linked(), GatewayRequests.link(spec, mintSignIn));
  }

  /**
   * {@code policy}: the sign-in watch's schedule and the links' lifetime, which also pace and bound the wait for
   * Cyclr to catch up (a connector signed in that a prerequisite still names).
   */
  static AccountOutcome outcome(ClaimedAccount a, AccountStepReply r, boolean checkOnly, SignInPolicy policy) {
    if (r.handBack()) {
      return AccountOutcome.handBack(a, a.recovered() || r.recovered());
    }
    AccountStatus status = AccountStatus.parse(r.status());
    if (status == null) {
      return AccountOutcome.decided(a, AccountStatus.FAILED, AccountPhase.DONE, AccountOutcome.error("INTERNAL",
          "gateway replied with status " + r.status()));
    }
    String cycleId = r.cycleId() != null ? r.cycleId() : a.cycleId();
    JsonArray links = r.links() != null ? r.links() : new JsonArray();
    JsonArray signIns = a.signIns() == null ? new JsonArray() : a.signIns();
    JsonArray prerequisites = r.prerequisites() != null ? r.prerequisites() : new JsonArray();
    JsonObject error = r.error();
    if (checkOnly) {
      // A cancelled or stopped job: the account stays as Cyclr has it, for good.
      return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, AccountPhase.HALTED, cycleId,
          prerequisites, signIns, links, error, null, null, null, false, false);
    }
    if (status == AccountStatus.WAITING && !links.isEmpty()) {
      // The tenant must sign in to connectors the template brought: their new items hold the account.
      return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, AccountPhase.SIGN_IN, cycleId,
          prerequisites, signIns, links, error, null, null, null, false, false);
    }
    if (r.watch()) {
      if (a.phase() == AccountPhase.WATCH && a.watchUntil() != null && a.nowMs() >= a.watchUntil()) {
        return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), AccountStatus.WAITING,
            AccountPhase.DONE, cycleId, prerequisites, signIns, links, AccountOutcome.error("SIGN_IN_WATCH_ENDED",
            "Cyclr still lists a sign-in as missing after the links' lifetime: the service stopped checking. "
                + "Retry the job to check again."), null, null, null, false, false);
      }
      WatchSchedule schedule = policy.schedule();
      long next = a.phase() != AccountPhase.WATCH || a.watchInterval() == null ? schedule.firstMs()
          : schedule.after(a.watchInterval());
      return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), AccountStatus.WAITING,
          AccountPhase.WATCH, cycleId, prerequisites, signIns, links, error,
          WatchSchedule.jittered(next, ThreadLocalRandom.current()::nextDouble), next, policy.linkTtlMs(), false,
          false);
    }
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, AccountPhase.DONE, cycleId,
        prerequisites, signIns, links, error, null, null, null, false, false);
  }
}
