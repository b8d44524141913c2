package io.onboarder.job;

import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.vertx.core.json.JsonObject;

/** The gateway's request for one claimed item, and its reply turned into an {@link ItemOutcome}. */
final class GatewayRequests {
  private GatewayRequests() {}

  /** {@code mintSignIn}: false with relay links, whose Cyclr token is minted only when the tenant clicks Connect. */
  static ItemRequest of(JsonObject spec, ClaimedItem item, boolean mintSignIn) {
    JsonObject itemSpec = item.spec() == null ? new JsonObject() : item.spec();
    JsonObject options = spec.getJsonObject("options", new JsonObject());
    // A recovered item of a cancelled or stopped job (halted): check at Cyclr, never install (checkOnly), and
    // the gateway's cancel does not bounce it (recovered): it may exist at Cyclr.
    return new ItemRequest(item.jobId(), item.id(), item.account(), item.authValue(),
        itemSpec.getJsonArray("properties"), itemSpec.getJsonObject("connector", spec.getJsonObject("connector")),
        itemSpec.getString("installName", spec.getString("installName")),
        itemSpec.getString("description", spec.getString("description")), link(spec, mintSignIn),
        options.getBoolean("createAccounts", false), options.getBoolean("dryRun", false), item.halted(),
        item.halted());
  }

  /** The job's sign-in link options ({@code oauth}). */
  static LinkOptions link(JsonObject spec, boolean mintSignIn) {
    JsonObject oauth = spec.getJsonObject("oauth", new JsonObject());
    return new LinkOptions(oauth.getString("targetOrigin"), oauth.getString("callbackMessage"),
        oauth.getString("username"), mintSignIn);
  }

  static ItemOutcome outcome(ClaimedItem item, ItemReply r) {
    ItemStatus status = ItemStatus.parse(r.status());
    if (status == ItemStatus.PENDING && r.recovered()) {
      return ItemOutcome.handBackRecovered(item);
    }
    if (status == null || !ItemStatus.RUNNING.canMoveTo(status)) {
      return ItemOutcome.failed(item, "INTERNAL", "gateway replied with status " + r.status());
    }
    return new ItemOutcome(item.id(), item.jobId(), item.account(), status, r.connectorId(), r.connectorName(),
        r.accountConnectorId(), r.oauthUrl(), r.oauthExpiresAt(), r.error(), false);
  }
}
