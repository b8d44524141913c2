package io.onboarder.fleet;

import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a fleet installed at Cyclr, by id, and the removal of exactly that: each tenant's account connector and
 * cycle the fleet installed (what prune and {@code DELETE ?uninstall=true} remove), and what each apply installed
 * on its plan's lines (what a rollback of that apply removes). A removal claims a tenant in the database before
 * anything is sent to Cyclr and records the result (with the account's history) in one transaction, so two nodes
 * never remove the same tenant's installs at once and a node that dies mid-removal leaves the tenant to the next
 * one. Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface FleetInstalls {

  /** What a removal removes: a plan's UNINSTALL lines, what a plan's apply installed, or all the fleet installed. */
  enum Scope {
    PRUNE("prune"), ROLLBACK("rollback"), ALL("delete");

    /** The word history entries give as the reason. */
    public final String reason;

    Scope(String reason) {
      this.reason = reason;
    }
  }

  /**
   * One removal: its scope, the fleet, the plan (PRUNE and ROLLBACK; null for ALL) and the pass, a name for one
   * sweep over the tenants: a tenant handled in a pass (removed, or failed) is not claimed again in it.
   */
  record Removal(Scope scope, String fleet, String planId, String pass) {}

  /** What a step's job did for a tenant: the connector it installed now (or null), the cycle it ended with (or null). */
  record Installed(String account, Long connectorId, String cycleId) {}

  /** A tenant claimed for removal and what to remove of it (null: nothing of that kind). */
  record Target(String account, Long connectorId, String cycleId) {}

  /** How a target's removal went, by part (null: that part was not removed, or failed before it was tried). */
  record Outcome(Target target, RemovalOutcome connector, RemovalOutcome cycle) {}

  /**
   * Records what a step of plan {@code planId} installed: a connector installed now is the fleet's; a cycle is the
   * fleet's when the plan saw none in the account (the job installed it; a cycle it found is never the fleet's).
   */
  Future<Void> recordInstalls(String fleet, String planId, List<Installed> installed);

  /** The apply of {@code planId} runs its UNINSTALL lines (its prune was within the limit, or confirmed). */
  Future<Void> allowPrune(String planId);

  /**
   * Claims up to {@code max} tenants with something left to remove in {@code r} for {@code node}, for {@code
   * leaseMs} on the database clock: those not claimed by a live node and not handled in this pass yet.
   */
  Future<List<Target>> claim(Removal r, String node, long leaseMs, int max);

  /**
   * Records removals of tenants {@code node} claimed, in one transaction: what is gone is no longer the fleet's,
   * the tenant is {@code REMOVED} when nothing of the fleet's is left ({@code PRUNE}: forgotten), history entries
   * {@code connector.uninstalled} / {@code cycle.uninstalled} are written, and the claims are released. A tenant
   * whose claim {@code node} lost meanwhile is left as it is.
   */
  Future<Void> done(Removal r, String node, List<Outcome> outcomes);

  /** How many tenants still have something to remove in {@code r}'s scope, whatever the pass. */
  Future<Long> remaining(Removal r);

  /**
   * Starts offboarding the whole fleet: {@code from} → {@code DELETING} with pass {@code pass}, due at {@code dueMs};
   * false if the fleet was no longer {@code from}.
   */
  Future<Boolean> beginDelete(String fleet, FleetStatus from, String pass, JsonObject rollout, long dueMs);
}
