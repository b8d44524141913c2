package io.onboarder.fleet;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Where an apply in progress lives, so that any node moves it on after a crash or a rollout: the plan,
 * the step and its job on the fleet's row, a short lease on that row while one node works on it, each
 * changing tenant's step and job on its plan line, and what the steps' jobs did on the tenants.
 * Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface FleetApplies {

  /** Where an apply goes next: written with the lease released, by the node holding it. */
  record Progress(FleetStatus status, Integer step, String jobId, Long dueMs, JsonObject rollout,
                  Long appliedGeneration, String planId, Long reconcileDueMs) {}

  /** What a step's job did for one tenant. */
  record TenantOutcome(String account, TenantState state, Long accountConnectorId, Boolean authenticated,
                       boolean installedNow, String url) {}

  /**
   * Starts applying {@code planId} at step 0, due at {@code dueMs} (epoch ms), if the fleet is still at
   * {@code generation} and {@code stateVersion} and not applying, paused or halted; false otherwise.
   */
  Future<Boolean> begin(String fleet, String planId, long generation, long stateVersion, JsonObject rollout,
                        long dueMs);

  /**
   * Leases applies due at {@code nowMs} to {@code node} for {@code leaseMs} (on the database clock), at most
   * {@code max}, or only {@code fleet}'s when it is not null; the fleets leased.
   */
  Future<List<FleetRecord>> claimDue(String node, long leaseMs, long nowMs, int max, String fleet);

  /** Writes where the apply goes next and releases the lease, if {@code node} still holds it. */
  Future<Boolean> progress(String fleet, String node, Progress next);

  /** Moves a fleet from {@code from} to where {@code next} says (pause, resume); false if it was elsewhere. */
  Future<Boolean> transition(String fleet, FleetStatus from, Progress next);

  /** The changing tenants of a plan in account order from {@code offset}, with their auth values opened. */
  Future<List<DesiredTenant>> stepTenants(String fleet, String planId, long offset, int limit);

  /** Marks the plan lines of {@code accounts} as step {@code step} (1-based), run by {@code jobId}. */
  Future<Void> markStep(String planId, List<String> accounts, int step, String jobId);

  /** The jobs of a plan's steps so far, in step order. */
  Future<List<String>> jobIds(String planId);

  /**
   * The step jobs of all the fleet's applies (of plans made since the fleet was created, so not those of an
   * earlier fleet of the same name), most recent first: the newest plan's last step first; at most {@code max}.
   */
  Future<List<String>> fleetJobIds(String fleet, int max);

  /** Records what a step's job did on the fleet's tenants. */
  Future<Void> recordOutcomes(String fleet, List<TenantOutcome> outcomes);

  /** The fleet's installs of {@code accounts} were removed (rollback, prune): no longer the fleet's. */
  Future<Void> removed(String fleet, List<String> accounts);

  /**
   * Leases fleets whose reconcile is due at {@code nowMs} (CONVERGED or DRIFTED) to {@code node} for
   * {@code leaseMs}, at most {@code max}, or only {@code fleet} (due or not) when it is not null.
   */
  Future<List<FleetRecord>> claimReconcile(String node, long leaseMs, long nowMs, int max, String fleet);

  /** Writes a reconcile's result and the next one's due time, and releases the lease, if {@code node} holds it. */
  Future<Boolean> reconciled(String fleet, String node, FleetStatus status, JsonObject drift, long atMs, long nextMs);
}
