package io.onboarder.fleet;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Where plans are kept, and what a plan reads and records: the fleet's tenants page by page, each
 * tenant's action and reason, and the live state it saw (a change of it raises the fleet's
 * {@code state_version}, which makes older plans stale). Failures are
 * {@link io.onboarder.job.StoreException}s.
 */
public interface FleetPlans {

  /** A plan as stored: {@code status} OPEN (being read), READY, APPLIED. */
  record PlanRecord(String id, String fleet, long generation, Long stateVersion, String status,
                    Map<PlanAction, Long> summary, String createdAt) {

    public JsonObject toJson() {
      JsonObject s = new JsonObject();
      for (PlanAction a : PlanAction.values()) {
        s.put(a.name(), summary == null ? 0L : summary.getOrDefault(a, 0L));
      }
      return new JsonObject().put("planId", id).put("fleet", fleet).put("generation", generation)
          .put("status", status).put("createdAt", createdAt).put("summary", s);
    }
  }

  /** One line of a plan, as listed. */
  record ActionRow(String account, PlanAction action, String reason, DriftKind drift, Integer step, String jobId) {

    public JsonObject toJson() {
      return new JsonObject().put("account", account).put("action", action.name()).put("reason", reason)
          .put("drift", drift == null ? null : drift.name()).put("step", step).put("jobId", jobId);
    }
  }

  record ActionPage(List<ActionRow> items, String next) {}

  /**
   * Tenants of the fleet by account after {@code afterAccount} ("" for the first), at most {@code limit},
   * those in the spec and those left to prune; auth values only {@code withSecrets} (decrypted).
   */
  Future<List<DesiredTenant>> desired(String fleet, String afterAccount, int limit, boolean withSecrets);

  /** Starts a plan of the fleet at {@code generation}; its id. */
  Future<String> openPlan(String fleet, long generation);

  /**
   * Records decisions of a plan and the live state they saw ({@code changed}: some of it differs from before); drift
   * a tenant did not have before becomes its account's history ({@code drift.detected}, and {@code credential.lost}
   * for {@link Planner.Decision#credentialsLost}) in the same transaction.
   */
  Future<Void> record(String planId, String fleet, List<Planner.Decision> decisions, boolean changed);

  /** The plan is complete: its summary, and the fleet's state version now (what apply compares). */
  Future<PlanRecord> closePlan(String planId, String fleet, Map<PlanAction, Long> summary);

  /** The plan {@code planId} of the fleet, or its newest READY plan when {@code planId} is null; null if none. */
  Future<PlanRecord> plan(String fleet, String planId);

  /** A plan's lines by account, optionally of one action, after {@code cursor}. */
  Future<ActionPage> actions(String planId, PlanAction action, String cursor, int limit);
}
