package io.onboarder.history;

import io.onboarder.job.JobEvent;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Which job events are account history, and what each says: the store calls this for every event it writes, so
 * the history of installs, sign-in links, sign-ins and cycles is written in the same transaction as the change
 * itself, never ahead of it or behind it. Item events: installed (or found installed), failed, signed in, and a
 * credential lost; oauth events: a link issued (never its URL, which carries a token); account events: a cycle
 * installed and activated, once per job and cycle. Job events are not history.
 */
public final class HistoryFromEvents {
  private HistoryFromEvents() {}

  /** The history entries of one event of {@code jobId} (owned by {@code owner}), written {@code at}. */
  public static List<HistoryEntry> of(JobEvent.Kind kind, String jobId, String owner, JsonObject body, String at) {
    String account = body.getValue("account") instanceof String a ? a : null;
    if (account == null) {
      return List.of();
    }
    List<HistoryEntry> out = new ArrayList<>(2);
    switch (kind) {
      case ITEM -> item(body, out::add, account, jobId, owner, at);
      case OAUTH -> out.add(entry(account, at, HistoryKind.LINK_ISSUED, jobId, owner, item(body)
          .put("connectorName", body.getValue("connectorName"))
          .put("accountConnectorId", body.getValue("accountConnectorId"))
          .put("expiresAt", body.getValue("expiresAt"))
          .put("reminder", body.getValue("reminder")), null));
      case ACCOUNT -> {
        String cycleId = body.getValue("cycleId") instanceof String c ? c : null;
        if (cycleId != null) {
          JsonObject detail = new JsonObject().put("cycleId", cycleId);
          out.add(entry(account, at, HistoryKind.CYCLE_INSTALLED, jobId, owner, detail,
              "cycle.installed:" + jobId + ":" + cycleId));
          if ("ACTIVE".equals(body.getValue("status"))) {
            out.add(entry(account, at, HistoryKind.CYCLE_ACTIVATED, jobId, owner, detail.copy(),
                "cycle.activated:" + jobId + ":" + cycleId));
          }
        }
      }
      default -> { }
    }
    return out;
  }

  private static void item(JsonObject body, java.util.function.Consumer<HistoryEntry> out, String account,
                           String jobId, String owner, String at) {
    String status = body.getValue("status") instanceof String s ? s : "";
    switch (status) {
      case "INSTALLED", "OAUTH_PENDING" -> out.accept(entry(account, at, HistoryKind.CONNECTOR_INSTALLED, jobId,
          owner, item(body).put("signInNeeded", status.equals("OAUTH_PENDING")), null));
      case "ALREADY_INSTALLED" -> out.accept(entry(account, at, HistoryKind.CONNECTOR_INSTALLED, jobId, owner,
          item(body).put("alreadyInstalled", true), null));
      case "AUTHENTICATED" -> out.accept(entry(account, at, HistoryKind.SIGN_IN_COMPLETED, jobId, owner, item(body),
          null));
      case "FAILED" -> out.accept(entry(account, at, HistoryKind.CONNECTOR_FAILED, jobId, owner, item(body)
          .put("error", error(body.getValue("error"))), null));
      // Credential health (REAUTH_REQUIRED): the tenant's grant at Cyclr is gone.
      case "REAUTH_REQUIRED" -> out.accept(entry(account, at, HistoryKind.CREDENTIAL_LOST, jobId, owner, item(body),
          null));
      default -> { }
    }
  }

  /** The item's identity: {@code itemId}, {@code connectorId}. */
  private static JsonObject item(JsonObject body) {
    return new JsonObject().put("itemId", body.getValue("itemId")).put("connectorId", body.getValue("connectorId"));
  }

  /** Only the code and the (already redacted) message of an item's error. */
  private static JsonObject error(Object error) {
    return error instanceof JsonObject e ? new JsonObject().put("code", e.getValue("code"))
        .put("message", e.getValue("message")) : null;
  }

  private static HistoryEntry entry(String account, String at, HistoryKind kind, String jobId, String owner,
                                    JsonObject detail, String dedupe) {
    // Null fields say nothing: left out, so details stay small.
    detail.getMap().values().removeIf(java.util.Objects::isNull);
    return new HistoryEntry(account, at, kind, jobId, null, owner, detail, dedupe);
  }
}
