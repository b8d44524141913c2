package io.onboarder.job;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Durable state of jobs and items. One implementation per backend ({@code io.onboarder.store});
 * every method is non-blocking. Auth values are encrypted by the store and never leave it
 * except decrypted inside a {@link ClaimedItem}.
 */
public interface JobStore {

  /** Result of {@link #create}: the job, and whether it already existed under the idempotency key. */
  record Created(JobRecord job, boolean existing) {}

  /** Migrates the schema; must complete before anything else is called. */
  Future<Void> start();

  Future<Void> close();

  /**
   * Commits a job and all its items in one transaction. With an idempotency key already used for
   * the same request, returns that job ({@code existing}); for a different request, fails with a 409 problem.
   */
  Future<Created> create(JobRequest request, String idempotencyKey);

  Future<JobRecord> job(String jobId);

  Future<List<JobRecord>> recentJobs(int limit);

  Future<Map<ItemStatus, Long>> counts(String jobId);

  /** Jobs not in a terminal status, oldest first. */
  Future<List<JobRecord>> unfinishedJobs();

  /** Crash recovery: items left RUNNING by a dead process go back to PENDING (they are checked at Cyclr first). */
  Future<Integer> requeueRunning();

  /**
   * Moves up to {@code max} PENDING items of a job to RUNNING (attempts + 1) and returns them, in item
   * order; with {@code recoveredOnly}, only items that were in flight when a previous process died.
   */
  Future<List<ClaimedItem>> claim(String jobId, int max, boolean recoveredOnly);

  /** Records outcomes in one transaction. */
  Future<Void> record(List<ItemOutcome> outcomes);

  /** An item whose status a bulk operation changed: for item events. */
  record Changed(long itemId, String account) {}

  /**
   * PENDING items of a job become CANCELLED, except recovered ones (in flight when a process died:
   * they may be installed, so they are checked and finished); returns them. With {@code requested},
   * the job is also marked as cancelled by the user, durably, so a restart does not resume it.
   */
  Future<List<Changed>> cancelPending(String jobId, boolean requested);

  /** FAILED items of a job become PENDING again and the job is re-opened (RUNNING), atomically; returns them. */
  Future<List<Changed>> retryFailed(String jobId);

  /** Sets the job's status; {@code finishedAt} is null while it is not finished. */
  Future<Void> setJobStatus(String jobId, JobStatus status, String finishedAt);

  Future<ItemPage> items(String jobId, ItemStatus status, int limit, String cursor);
}
