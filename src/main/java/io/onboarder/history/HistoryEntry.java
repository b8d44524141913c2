package io.onboarder.history;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * One line of an account's history. {@code at}: ISO-8601 instant; {@code jobId}, {@code fleet}: what it belongs to
 * (either may be null); {@code owner}: the caller who owns that job or fleet, null to let the store look it up
 * from them; {@code detail}: small JSON that never holds an auth value or a sign-in URL; {@code dedupe}: a key for
 * facts recorded once (a second entry with the same key is dropped), or null.
 */
public record HistoryEntry(String account, String at, HistoryKind kind, String jobId, String fleet, String owner,
                           JsonObject detail, String dedupe) {
  public HistoryEntry {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    detail = detail == null ? new JsonObject() : detail;
  }

  /** An entry of now, for a fleet's or a credential check's own record (owner looked up from job or fleet). */
  public static HistoryEntry now(String account, HistoryKind kind, String jobId, String fleet, JsonObject detail) {
    return new HistoryEntry(account, Instant.now().toString(), kind, jobId, fleet, null, detail, null);
  }

  /** As the API shows it: {@code {"at","kind","jobId","fleet","detail"}}. */
  public JsonObject toJson() {
    return new JsonObject().put("at", at).put("kind", kind.wire).put("jobId", jobId).put("fleet", fleet)
        .put("detail", detail);
  }
}
