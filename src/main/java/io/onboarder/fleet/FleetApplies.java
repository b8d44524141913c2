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

  /**
   * Where an apply goes next: written with the lease released, by the node holding it; {@code event} (may be null)
   * is written with it (its webhook into the outbox), so it is told once, by the node whose write counted.
   */
  record Progress(FleetStatus status, Integer step, String jobId, Long dueMs, JsonObject rollout,
                  Long appliedGeneration, String planId, Long reconcileDueMs, FleetEvent event) {
    /** A move that tells nothing. */
    public Progress(FleetStatus status, Integer step, String jobId, Long dueMs, JsonObject rollout,
                    Long appliedGeneration, String planId, Long reconcileDueMs) {
      this(status, step, jobId, dueMs, rollout, appliedGeneration, planId, reconcileDueMs, null);
    }
  }

  /**
   * What a step's job did for one tenant: by its item (install, sign-in), or by its account ({@code cycleId} and
   * {@code cycleStatus} set: the template's cycle, and whether it is active or needs setting up).
   */
  record TenantOutcome(String account, TenantState state, Long accountConnectorId, Boolean authenticated,
                       boolean installedNow, String url, String cycleId, String cycleStatus,
                       boolean credentialsGiven) {
    /** An item's outcome (nothing of the cycle); {@code credentialsGiven}: Cyclr has had the spec's credentials. */
    public TenantOutcome(String account, TenantState state, Long accountConnectorId, Boolean authenticated,
                         boolean installedNow, String url, boolean credentialsGiven) {
      this(account, state, accountConnectorId, authenticated, installedNow, url, null, null, credentialsGiven);
    }

    /** An item's outcome that gave Cyclr no credentials. */
    public TenantOutcome(String account, TenantState state, Long accountConnectorId, Boolean authenticated,
                         boolean installedNow, String url) {
      this(account, state, accountConnectorId, authenticated, installedNow, url, false);
    }

    /** An account's outcome (its cycle). */
    public TenantOutcome(String account, TenantState state, Long accountConnectorId, Boolean authenticated,
                         boolean installedNow, String url, String cycleId, String cycleStatus) {
      this(account, state, accountConnectorId, authenticated, installedNow, url, cycleId, cycleStatus, false);
    }
  }

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

  /**
   * Records what step job {@code jobId} did on the fleet's tenants; a tenant that had drift and did not fail has it
   * repaired: account history {@code drift.repaired} (with the drift kind and the job), in the same transaction.
   * Drift of the cycle is repaired only by an outcome of the account (its cycle), not by the item's.
   */
  Future<Void> recordOutcomes(String fleet, String jobId, List<TenantOutcome> outcomes);

  /**
   * Leases fleets whose reconcile is due at {@code nowMs} (CONVERGED or DRIFTED) to {@code node} for
   * {@code leaseMs}, at most {@code max}, or only {@code fleet} (due or not) when it is not null.
   */
  Future<List<FleetRecord>> claimReconcile(String node, long leaseMs, long nowMs, int max, String fleet);

  /**
   * Writes a reconcile's result and the next one's due time, and releases the lease, if {@code node} holds it; in
   * the same transaction the event the change tells ({@link FleetEvent#ofReconcile}), with its webhook. Returns
   * whether it was written (false: the lease was lost, nothing is written) and that event (null when the fleet
   * stays as it was).
   */
  Future<Reconciled> reconciled(String fleet, String node, FleetStatus status, JsonObject drift, long atMs,
                                long nextMs);

  /** A reconcile's result: written (the node still held the lease), and the event it told (may be null). */
  record Reconciled(boolean written, FleetEvent event) {}
}
