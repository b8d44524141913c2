package io.onboarder.intake;

import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.RequestPrint;
import io.vertx.core.Future;
import java.util.List;

/**
 * Where submissions become jobs, durably: in one transaction, or streamed in batches into a hidden
 * job made visible at the end. An idempotency key is scoped to its owner and names one job
 * cluster-wide. Failures are {@link io.onboarder.job.StoreException}s (CONFLICT for a key used with
 * another request, DISK_FULL, UNAVAILABLE, ABANDONED for a streamed job deleted as stale).
 */
public interface IntakeStore {

  /** Result of a create or commit: the job, and whether it already existed under the idempotency key. */
  record Created(JobRecord job, boolean existing) {}

  /** PENDING items over all jobs: the admission bound. */
  Future<Long> pendingItems();

  /**
   * Commits a job and all its items in one transaction (durably). The same key for the same request
   * returns that job ({@code existing}); for a different request, fails with CONFLICT.
   */
  Future<Created> create(JobRequest request, String owner, String idempotencyKey);

  /** A fresh incremental fingerprint, keyed like the ones {@link #create} stores. */
  RequestPrint newPrint();

  /**
   * The job {@code owner}'s idempotency key names: null if none; {@code existing} if its request had
   * {@code print}; CONFLICT if it had another ({@code print} null: any job the key names).
   */
  Future<Created> existing(String owner, String idempotencyKey, String print);

  /**
   * Starts a streamed job: a hidden job row (status INTAKE) that no query shows and no dispatcher
   * claims, to which items are appended in batches of their own transactions (so other writers get
   * their turn), until {@link Intake#commit} makes it visible in one statement or
   * {@link Intake#discard} deletes it.
   */
  Future<Intake> openIntake(String owner);

  /** Deletes streamed jobs whose intake stopped renewing its heartbeat {@code idleMs} ago (its node died); returns how many. */
  Future<Integer> purgeStaleIntakes(long idleMs);

  /** A streamed job being written. Calls are made in order, from one event loop. */
  interface Intake {
    String jobId();

    /** Appends items after those of earlier calls (their encryption starts at once, off the event loop). */
    Future<Void> append(List<JobRequest.Item> items);

    /** Renews the heartbeat while the client is slow to send the next batch. */
    Future<Void> touch();

    /**
     * After every append: makes the job PENDING with its spec and total, durably. If the idempotency key
     * was taken meanwhile (a concurrent request), the intake is discarded and that job is answered
     * ({@code existing}), or CONFLICT if its request differed.
     */
    Future<Created> commit(JobRequest fields, int total, String idempotencyKey, String print);

    /** Deletes what was written (after any append in progress), in batches. */
    Future<Void> discard();
  }
}
