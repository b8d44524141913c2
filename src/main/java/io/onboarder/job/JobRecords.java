package io.onboarder.job;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Jobs as records, shared by every node: read, run, control (cancel, stop, retry) and finish. Every
 * method that changes a status writes its {@link JobEvent}s in the same transaction. Implementations:
 * {@code io.onboarder.store} (SQLite, PostgreSQL) and an in-memory one for tests. Failures are
 * {@link StoreException}s.
 */
public interface JobRecords {

  /** An item whose status a bulk operation changed: for item events. */
  record Changed(long itemId, String jobId, String account) {}

  /** An account of a job with a template that a bulk operation or a lease sweep changed. */
  record AccountChanged(String jobId, String account, AccountStatus status) {}

  /** What a retry re-opened: FAILED items (PENDING again), and accounts re-run or re-checked. */
  record Retried(List<Changed> items, List<AccountChanged> accounts) {
    public boolean isEmpty() {
      return items.isEmpty() && accounts.isEmpty();
    }
  }

  /**
   * What settling the jobs of a batch of outcomes did, in the batch's transaction: jobs finished (their
   * final event written), jobs the failure policy stopped, and whether any of them still has PENDING items.
   */
  record Settled(List<JobRecord> finished, List<String> stopped, boolean pending) {
    public static final Settled NOTHING = new Settled(List.of(), List.of(), false);
  }

  /** A cheap round trip: fails while the database is unreachable (readiness). */
  Future<Void> ping();

  /** The job, or null (a streamed job still being written is not shown). */
  Future<JobRecord> job(String jobId);

  /** Newest first; {@code owner} null lists every caller's jobs. */
  Future<List<JobRecord>> recentJobs(String owner, int limit);

  /** Jobs not in a terminal status, oldest first. */
  Future<List<JobRecord>> unfinishedJobs();

  Future<Map<ItemStatus, Long>> counts(String jobId);

  Future<Map<AccountStatus, Long>> accountCounts(String jobId);

  /**
   * Marks the job cancelled, durably, revokes its sign-in links and cancels its PENDING items that never
   * reached Cyclr; returns them. A finished job fails with {@link StoreException.Kind#CONFLICT}, an unknown
   * one with NOT_FOUND.
   */
  Future<List<Changed>> cancel(String jobId);

  /**
   * Retry, atomically: FAILED items become PENDING; FAILED accounts run again, SETUP_REQUIRED ones (and
   * those whose sign-in watch ran out) are checked again; the job is re-opened (RUNNING) if anything was.
   * A cancelled job fails with CONFLICT.
   */
  Future<Retried> retry(String jobId);

  /**
   * Finishes the job if it is not finished, has no PENDING or RUNNING item and no account that blocks it
   * ({@link AccountPhase#blocksJob()}, or an account step running): exactly one caller cluster-wide gets
   * the finished record back (and publishes the final event); others get null.
   */
  Future<JobRecord> finishIfDone(String jobId);
}
