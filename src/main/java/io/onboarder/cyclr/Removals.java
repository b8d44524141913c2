package io.onboarder.cyclr;

import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Removes one install at Cyclr for fleets ({@code cyclr.gateway.remove}): {@code DELETE /v1.0/account/connectors/{id}}
 * or {@code DELETE /v1.0/cycles/{id}}. A 404 means already gone. A DELETE whose outcome is unknown (timeout,
 * connection lost, 500/502/504, an unreadable 2xx) is never re-sent blindly: the thing is read first, and only
 * if it is still there is the DELETE sent again (at most {@code maxAttempts} in all). An active cycle, which Cyclr
 * will not delete (409), is deactivated first, then deleted.
 */
final class Removals {
  private final CyclrClient client;
  private final int maxAttempts;
  private final String clientSecret;

  Removals(CyclrClient client, int maxAttempts, String clientSecret) {
    this.client = client;
    this.maxAttempts = Math.max(1, maxAttempts);
    this.clientSecret = clientSecret;
  }

  /** The outcome, or a reply carrying the classified failure; never a failed future. */
  Future<RemovalReply> remove(RemovalRequest r) {
    String invalid = invalid(r);
    if (invalid != null) {
      return Future.succeededFuture(RemovalReply.failed(new CyclrFailure("BAD_REQUEST", invalid, null, false)));
    }
    return delete(r, 1, false).otherwise(err -> RemovalReply.failed(LiveStateReads.failure(err, clientSecret)));
  }

  private static String invalid(RemovalRequest r) {
    if (r == null || r.account() == null || r.account().isBlank() || r.kind() == null || r.id() == null
        || r.id().isBlank()) {
      return "a removal needs account, kind (CONNECTOR or CYCLE) and id";
    }
    if (r.kind() == RemovalKind.CONNECTOR && !r.id().matches("\\d{1,18}")) {
      return "an account connector id is a number, got '" + Redaction.clean(r.id()) + "'";
    }
    return null;
  }

  private Future<RemovalReply> delete(RemovalRequest r, int attempt, boolean deactivated) {
    CyclrCall call = CyclrCall.delete(path(r), r.account(), r.kind() == RemovalKind.CONNECTOR
        ? "DELETE /v1.0/account/connectors/{id}" : "DELETE /v1.0/cycles/{id}");
    return client.send(call).map(resp -> RemovalReply.REMOVED).recover(err -> {
      if (status(err, 404)) {
        return Future.succeededFuture(RemovalReply.ALREADY_GONE);
      }
      if (r.kind() == RemovalKind.CYCLE && status(err, 409) && !deactivated) {
        return deactivate(r).compose(v -> delete(r, attempt, true));
      }
      if (err instanceof CyclrException.Ambiguous) {
        // Cyclr may have removed it: look before sending the DELETE again.
        return stillThere(r).compose(there -> !there ? Future.succeededFuture(RemovalReply.REMOVED)
            : attempt < maxAttempts ? delete(r, attempt + 1, deactivated) : Future.failedFuture(err));
      }
      return Future.failedFuture(err);
    });
  }

  /** {@code GET} the install: 404 is gone. */
  private Future<Boolean> stillThere(RemovalRequest r) {
    CyclrCall call = CyclrCall.get(path(r), r.account(), r.kind() == RemovalKind.CONNECTOR
        ? "GET /v1.0/account/connectors/{id}" : "GET /v1.0/cycles/{id}");
    return client.send(call).map(resp -> true)
        .recover(err -> status(err, 404) ? Future.succeededFuture(false) : Future.failedFuture(err));
  }

  private Future<Void> deactivate(RemovalRequest r) {
    // Its queued transactions are not finished: the cycle is being removed.
    return client.send(CyclrCall.put(path(r) + "/deactivate?finishQueuedTransactions=false", r.account(),
        new JsonObject(), true, "PUT /v1.0/cycles/{id}/deactivate")).mapEmpty();
  }

  private static String path(RemovalRequest r) {
    return r.kind() == RemovalKind.CONNECTOR ? "/v1.0/account/connectors/" + r.id()
        : "/v1.0/cycles/" + OnboardFlow.encode(r.id());
  }

  private static boolean status(Throwable err, int status) {
    return err instanceof CyclrException e && !(e instanceof CyclrException.Unreadable)
        && Integer.valueOf(status).equals(e.httpStatus());
  }
}
