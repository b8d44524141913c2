package io.onboarder.fleet;

import io.onboarder.config.WebhookTypeNames;
import io.vertx.core.json.JsonObject;

/**
 * A change of a fleet's status that is told to the world: written by the store in the transaction of that
 * change (as a webhook in the outbox, when {@code WEBHOOK_EVENTS} asks for its type), then published on
 * {@code onboarder.events.fleet} by the node that made it. So each one is told once, cluster-wide.
 * {@code type} is {@code fleet.converged}, {@code fleet.drifted} or {@code fleet.halted}.
 */
public record FleetEvent(String fleet, long generation, String type, JsonObject summary) {
  public static final String CONVERGED = WebhookTypeNames.FLEET_CONVERGED;
  public static final String DRIFTED = WebhookTypeNames.FLEET_DRIFTED;
  public static final String HALTED = WebhookTypeNames.FLEET_HALTED;

  /** As published, and as the {@code data} of its webhook: {@code {"fleet","generation","type","summary"}}. */
  public JsonObject toJson() {
    return new JsonObject().put("fleet", fleet).put("generation", generation).put("type", type)
        .put("summary", summary == null ? new JsonObject() : summary);
  }

  /**
   * What a reconcile that found the fleet {@code before} (status and drift counts) and leaves it {@code after}
   * tells, or null: {@code fleet.converged} when it became CONVERGED, {@code fleet.drifted} when it became DRIFTED
   * or, already DRIFTED, its drift counts changed; nothing for a fleet that stays as it was.
   */
  public static String ofReconcile(FleetStatus before, JsonObject driftBefore, FleetStatus after,
                                   JsonObject driftAfter) {
    if (after == FleetStatus.CONVERGED) {
      return before == FleetStatus.CONVERGED ? null : CONVERGED;
    }
    JsonObject was = driftBefore == null ? new JsonObject() : driftBefore;
    JsonObject now = driftAfter == null ? new JsonObject() : driftAfter;
    return before != FleetStatus.DRIFTED || !new JsonObject(was.encode()).equals(new JsonObject(now.encode()))
        ? DRIFTED : null;
  }
}
