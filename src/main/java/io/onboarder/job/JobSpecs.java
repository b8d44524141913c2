package io.onboarder.job;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request specs of the jobs whose work this node sends, by job id: a cache of the store (a job's spec
 * never changes), most recently used kept, so a send needs no store read. Never a correctness rule: a job
 * missing here is read again. Confined to its owner's event loop.
 */
final class JobSpecs {
  private final JobRecords jobs;
  /** A lookup under way is shared: the first claim of a new job's items reads its spec once. */
  private final Map<String, Future<JsonObject>> specs;

  JobSpecs(JobRecords jobs, int capacity) {
    this.jobs = jobs;
    this.specs = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Future<JsonObject>> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The job's spec; fails when the job is gone (or the store fails). */
  Future<JsonObject> of(String jobId) {
    Future<JsonObject> cached = specs.get(jobId);
    if (cached != null) {
      return cached;
    }
    Future<JsonObject> spec = jobs.job(jobId).map(job -> {
      if (job == null) {
        throw new IllegalStateException("job " + jobId + " is gone");
      }
      return job.spec();
    });
    specs.put(jobId, spec);
    spec.onFailure(err -> specs.remove(jobId, spec));
    return spec;
  }

  /** The job finished: its spec is not needed again soon. */
  void forget(String jobId) {
    specs.remove(jobId);
  }
}
