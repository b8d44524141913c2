package io.onboarder.fleet;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** A fleet as the API shows it: {@code {"name","generation","appliedGeneration","status","tenants","drift",...}}. */
public final class FleetViews {
  private FleetViews() {}

  /** The view of {@code fleet}, with its tenants counted by state (read now). */
  public static Future<JsonObject> load(FleetStore store, FleetRecord fleet) {
    return store.tenantCounts(fleet.name()).map(counts -> view(fleet, counts));
  }

  public static JsonObject view(FleetRecord f, Map<TenantState, Long> counts) {
    JsonObject tenants = new JsonObject();
    counts.forEach((state, n) -> tenants.put(state.name(), n));
    JsonObject rollout = f.rollout() == null ? new JsonObject() : f.rollout().copy();
    JsonObject policy = f.spec().getJsonObject("policy", new JsonObject());
    if (!rollout.containsKey("steps")) {
      rollout.put("steps", policy.getJsonObject("rollout", new JsonObject()).getJsonArray("steps"));
    }
    rollout.put("step", rollout.getValue("step")).put("haltedReason", rollout.getValue("haltedReason"));
    return new JsonObject()
        .put("name", f.name())
        .put("generation", f.generation())
        .put("appliedGeneration", f.appliedGeneration())
        .put("status", f.status().name())
        .put("total", f.tenantCount())
        .put("tenants", tenants)
        .put("drift", f.drift() == null ? new JsonObject() : f.drift())
        .put("rollout", rollout)
        .put("lastReconcileAt", f.lastReconcileAt())
        .put("nextReconcileAt", f.nextReconcileAt())
        .put("createdAt", f.createdAt())
        .put("updatedAt", f.updatedAt())
        .put("spec", f.spec());
  }
}
