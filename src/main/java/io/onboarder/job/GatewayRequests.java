package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/** The gateway's request for one claimed item, and its reply turned into an {@link ItemOutcome}. */
final class GatewayRequests {
  private GatewayRequests() {}

  /** {@code mintSignIn}: false with relay links, whose Cyclr token is minted only when the tenant clicks Connect. */
  static JsonObject of(JsonObject spec, ClaimedItem item, boolean mintSignIn) {
    JsonObject itemSpec = item.spec() == null ? new JsonObject() : item.spec();
    JsonObject oauth = spec.getJsonObject("oauth", new JsonObject());
    JsonObject options = spec.getJsonObject("options", new JsonObject());
    return new JsonObject()
        .put("jobId", item.jobId())
        .put("itemId", item.id())
        .put("account", item.account())
        .put("authValue", item.authValue())
        .put("properties", itemSpec.getJsonArray("properties"))
        .put("connector", itemSpec.getJsonObject("connector", spec.getJsonObject("connector")))
        .put("installName", itemSpec.getString("installName", spec.getString("installName")))
        .put("description", itemSpec.getString("description", spec.getString("description")))
        .put("targetOrigin", oauth.getString("targetOrigin"))
        .put("callbackMessage", oauth.getString("callbackMessage"))
        .put("username", oauth.getString("username"))
        .put("createAccounts", options.getBoolean("createAccounts", false))
        .put("dryRun", options.getBoolean("dryRun", false))
        // A recovered item of a cancelled or stopped job: check at Cyclr, never install (and the
        // gateway's cancel does not bounce it: it may exist at Cyclr).
        .put("checkOnly", item.halted())
        .put("recovered", item.halted())
        .put("mintSignIn", mintSignIn);
  }

  static ItemOutcome outcome(ClaimedItem item, JsonObject r) {
    ItemStatus status = ItemStatus.parse(r.getString("status"));
    if (status == ItemStatus.PENDING && r.getBoolean("recovered", false)) {
      return ItemOutcome.handBackRecovered(item);
    }
    if (status == null || !ItemStatus.RUNNING.canMoveTo(status)) {
      return ItemOutcome.failed(item, "INTERNAL", "gateway replied with status " + r.getString("status"));
    }
    return new ItemOutcome(item.id(), item.jobId(), item.account(), status, r.getLong("connectorId"),
        r.getString("connectorName"), r.getLong("accountConnectorId"), r.getString("oauthUrl"),
        r.getString("oauthExpiresAt"), r.getJsonObject("error"), false);
  }
}
