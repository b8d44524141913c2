package io.onboarder.fleet;

import io.vertx.core.json.JsonObject;

/**
 * One tenant of a fleet as the fleet last saw it at Cyclr: its state, the account connector and
 * whether it is authenticated, its cycle and the cycle's status, when it was last checked, the sign-in
 * link it was last given, and whether it is still in the spec (false: a prune candidate).
 */
public record FleetTenant(String account, TenantState state, boolean inSpec, Long accountConnectorId,
                          Boolean authenticated, String cycleId, String cycleStatus, String lastCheckedAt,
                          String url) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("account", account)
        .put("state", state.name())
        .put("inSpec", inSpec)
        .put("accountConnectorId", accountConnectorId)
        .put("authenticated", authenticated)
        .put("cycleId", cycleId)
        .put("cycleStatus", cycleStatus)
        .put("lastCheckedAt", lastCheckedAt)
        .put("url", url);
  }
}
