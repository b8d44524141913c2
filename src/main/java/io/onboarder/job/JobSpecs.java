package io.onboarder.job;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request specs (and acceptance times) of the jobs whose work this node sends, by job id: a cache of the
 * store (neither ever changes), most recently used kept, so a send needs no store read. Never a correctness rule: a job
 * missing here is read again. Confined to its owner's event loop.
 */
final class JobSpecs {
  private final JobRecords jobs;
  /** A lookup under way is shared: the first claim of a new job's items reads its spec once. */
  private final Map<String, Future<JobRecord>> specs;

  JobSpecs(JobRecords jobs, int capacity) {
    this.jobs = jobs;
    this.specs = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Future<JobRecord>> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The job's spec; fails when the job is gone (or the store fails). */
  Future<JsonObject> of(String jobId) {
    return record(jobId).map(JobRecord::spec);
  }

  /** When the job was accepted, if its record is here already (it is once one of its items was sent); else null. */
  Instant acceptedAt(String jobId) {
    Future<JobRecord> job = specs.get(jobId);
    if (job == null || !job.succeeded() || job.result().createdAt() == null) {
      return null;
    }
    try {
      return Instant.parse(job.result().createdAt());
    } catch (DateTimeParseException e) {
      return null; // only a metric depends on it
    }
  }

  /** The job's record (its spec, and the span that submitted it); fails when the job is gone. */
  Future<JobRecord> record(String jobId) {
    Future<JobRecord> cached = specs.get(jobId);
    if (cached != null) {
      return cached;
    }
    Future<JobRecord> job = jobs.job(jobId).map(found -> {
      if (found == null) {
        throw new IllegalStateException("job " + jobId + " is gone");
      }
      return found;
    });
    specs.put(jobId, job);
    job.onFailure(err -> specs.remove(jobId, job));
    return job;
  }

  /** The job finished: its spec is not needed again soon. */
  void forget(String jobId) {
    specs.remove(jobId);
  }
}
