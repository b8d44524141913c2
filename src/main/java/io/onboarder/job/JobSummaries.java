package io.onboarder.job;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/** JSON of a job summary, as the HTTP API, the event bus and job events show it. */
public final class JobSummaries {
  private JobSummaries() {}

  public static JsonObject of(JobRecord job, JobStatus status, String finishedAt, Map<ItemStatus, Long> counts) {
    JsonObject c = new JsonObject();
    for (ItemStatus s : ItemStatus.values()) {
      c.put(s.name(), counts.getOrDefault(s, 0L));
    }
    return new JsonObject()
        .put("id", job.id())
        .put("status", status.name())
        .put("createdAt", job.createdAt())
        .put("finishedAt", finishedAt)
        .put("total", job.total())
        .put("counts", c);
  }
}
