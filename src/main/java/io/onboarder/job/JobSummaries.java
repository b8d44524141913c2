package io.onboarder.job;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** JSON of a job summary, as the HTTP API, the event bus and job events show it. */
public final class JobSummaries {
  private JobSummaries() {}

  public static JsonObject of(JobRecord job, JobStatus status, String finishedAt, Map<ItemStatus, Long> counts) {
    return of(job, status, finishedAt, counts, null);
  }

  /** {@code accounts}: counts by account status, for a job with a template (null: no "accounts" field). */
  public static JsonObject of(JobRecord job, JobStatus status, String finishedAt, Map<ItemStatus, Long> counts,
                              Map<AccountStatus, Long> accounts) {
    JsonObject c = new JsonObject();
    for (ItemStatus s : ItemStatus.values()) {
      c.put(s.name(), counts.getOrDefault(s, 0L));
    }
    JsonObject summary = new JsonObject()
        .put("id", job.id())
        .put("status", status.name())
        .put("createdAt", job.createdAt())
        .put("finishedAt", finishedAt)
        .put("total", job.total())
        .put("counts", c);
    if (job.spec() != null && job.spec().getString("fleet") != null) {
      // A step of a fleet's apply (jobs of fleets are ordinary jobs otherwise).
      summary.put("fleet", job.spec().getString("fleet")).put("step", job.spec().getInteger("step"));
    }
    if (accounts != null) {
      JsonObject a = new JsonObject();
      for (AccountStatus s : AccountStatus.values()) {
        a.put(s.name(), accounts.getOrDefault(s, 0L));
      }
      summary.put("accounts", a);
    }
    return summary;
  }

  /** The summary of {@code job} as stored now: item counts, and account counts when it has a template. */
  public static Future<JsonObject> load(JobRecords store, JobRecord job) {
    Future<Map<ItemStatus, Long>> counts = store.counts(job.id());
    Future<Map<AccountStatus, Long>> accounts = job.hasTemplate() ? store.accountCounts(job.id())
        : Future.succeededFuture(null);
    return Future.all(counts, accounts).map(v -> of(job, job.status(), job.finishedAt(), counts.result(),
        accounts.result()));
  }
}
