package io.onboarder.fleet;

import io.vertx.core.json.JsonObject;

/**
 * A fleet as stored: its spec (fields and policy, no tenants), who owns it, its generation (raised by
 * every change to the spec) and the generation last applied (null: never), how many tenants the spec
 * names, its status, the rollout and drift counts the fleet service keeps, and its times; the version of
 * the tenants' observed live state (plans made before it moved are stale), and an apply in progress: its
 * plan, the step (0-based) and the step's job (null until submitted).
 */
public record FleetRecord(String name, String owner, long generation, Long appliedGeneration, JsonObject spec,
                          long tenantCount, FleetStatus status, JsonObject rollout, JsonObject drift,
                          String createdAt, String updatedAt, String lastReconcileAt, String nextReconcileAt,
                          long stateVersion, String applyPlan, Integer applyStep, String applyJob) {}
