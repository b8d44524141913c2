package io.onboarder.job;

import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Durable state of jobs and items, shared by every node. One implementation per backend
 * ({@code io.onboarder.store}); every method is non-blocking. The store, not a node's memory,
 * decides every correctness rule: who owns an item (leases on the database clock), one running
 * item per account (a unique index), one job per idempotency key, and who finishes a job
 * (a conditional update). Auth values are encrypted by the store and leave it only decrypted
 * inside a {@link ClaimedItem}. Every method that changes a status writes the matching
 * {@link JobEvent}s (and webhook outbox rows) in the same transaction, and hands them to the
 * {@link #onCommitted} listener after the commit.
 */
public interface JobStore {

  /** Result of {@link #create}: the job, and whether it already existed under the idempotency key. */
  record Created(JobRecord job, boolean existing) {}

  /** An item whose status a bulk operation changed: for item events. */
  record Changed(long itemId, String jobId, String account) {}

  /** An account of a job with a template that a bulk operation or a lease sweep changed. */
  record AccountChanged(String jobId, String account, AccountStatus status) {}

  /** Account outcomes recorded, and the sign-in items they added (with their links), for events. */
  record RecordedAccounts(List<AccountOutcome> applied, List<ItemOutcome> signIns) {}

  /** What a retry re-opened: FAILED items (PENDING again), and accounts re-run or re-checked. */
  record Retried(List<Changed> items, List<AccountChanged> accounts) {
    public boolean isEmpty() {
      return items.isEmpty() && accounts.isEmpty();
    }
  }
  /**
   * Receives, on the committing node right after each commit, the events that transaction wrote, in
   * order (the service publishes them on the event bus). Set before {@link #start}.
   */
  void onCommitted(Consumer<List<JobEvent>> listener);

  /** Webhook event types that also go into the outbox, with their event ({@code WEBHOOK_EVENTS}); empty = off. */
  void outboxTypes(Set<String> types);

  /** The webhook outbox in the same database. */
  WebhookOutbox outbox();

  /** Migrates the schema (refusing a newer one); must complete before anything else is called. */
  Future<Void> start();

  Future<Void> close();

  /** A cheap round trip: fails while the database is unreachable (readiness). */
  Future<Void> ping();

  /**
   * Commits a job and all its items in one transaction. An idempotency key is scoped to its
   * {@code owner}: the same key for the same request returns that job ({@code existing}); for a
   * different request, fails with a 409 problem.
   */
  Future<Created> create(JobRequest request, String owner, String idempotencyKey);

  /** A fresh incremental fingerprint, keyed like the ones {@link #create} stores. */
  RequestPrint newPrint();

  /**
   * The job {@code owner}'s idempotency key names: null if none; {@code existing} if its request had
   * {@code print}; a 409 problem if it had another ({@code print} null: any job the key names).
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
     * ({@code existing}), or a 409 problem if its request differed.
     */
    Future<Created> commit(JobRequest fields, int total, String idempotencyKey, String print);

    /** Deletes what was written (after any append in progress), in batches. */
    Future<Void> discard();
  }

  Future<JobRecord> job(String jobId);

  /** Newest first; {@code owner} null lists every caller's jobs. */
  Future<List<JobRecord>> recentJobs(String owner, int limit);

  Future<Map<ItemStatus, Long>> counts(String jobId);

  /** PENDING items over all jobs: the admission bound. */
  Future<Long> pendingItems();

  /** Jobs not in a terminal status, oldest first. */
  Future<List<JobRecord>> unfinishedJobs();

  /** PENDING → RUNNING; true for the one caller that made the change. */
  Future<Boolean> markRunning(String jobId);

  /**
   * Leases up to {@code max} PENDING items of a job to {@code node} for {@code leaseMs} (RUNNING,
   * attempts + 1), at most one per account and none of an account that has a RUNNING item anywhere.
   * In a cancelled or stopped job only recovered items (in flight when their owner died) are
   * claimed, marked {@link ClaimedItem#halted()}: they are checked at Cyclr, never installed.
   */
  Future<List<ClaimedItem>> claim(String jobId, String node, int max, long leaseMs);

  /** Extends every lease {@code node} holds; returns how many. */
  Future<Integer> renewLeases(String node, long leaseMs);

  /** Items whose lease expired (their node died) become PENDING again, recovered; returns them. */
  Future<List<Changed>> releaseExpired();

  /** Every RUNNING item becomes PENDING again, recovered: start-up of the single-process store only. */
  Future<Integer> releaseAll();

  /**
   * Records outcomes of items {@code node} still holds, in one transaction; returns those applied.
   * An outcome for an item whose lease was lost (taken over after expiry) is dropped: the new owner
   * checks it at Cyclr.
   */
  Future<List<ItemOutcome>> record(String node, List<ItemOutcome> outcomes);

  /**
   * Marks the job cancelled, durably, and cancels its PENDING items that never reached Cyclr;
   * returns them. A finished job fails with a 409 problem.
   */
  Future<List<Changed>> cancel(String jobId);

  /** The failure policy: marks the job stopped and cancels its PENDING items that never reached Cyclr. */
  Future<List<Changed>> stop(String jobId);

  /** In a cancelled or stopped job: PENDING items that never reached Cyclr (handed back) become CANCELLED. */
  Future<List<Changed>> cancelUnstarted(String jobId);

  /**
   * FAILED items become PENDING again and the job is re-opened (RUNNING), atomically; returns them.
   * A cancelled job fails with a 409 problem. Accounts are retried too (see {@link #retry}).
   */
  default Future<List<Changed>> retryFailed(String jobId) {
    return retry(jobId).map(Retried::items);
  }

  /**
   * Retry, atomically: FAILED items become PENDING; FAILED accounts run again, SETUP_REQUIRED ones (and
   * those whose sign-in watch ran out) are checked again; the job is re-opened (RUNNING) if anything was.
   * A cancelled job fails with a 409 problem.
   */
  Future<Retried> retry(String jobId);

  /**
   * Finishes the job if it is not finished, has no PENDING or RUNNING item and no account that blocks it
   * ({@link AccountPhase#blocksJob()}, or an account step running): exactly one caller
   * cluster-wide gets the finished record back (and publishes the final event); others get null.
   */
  Future<JobRecord> finishIfDone(String jobId);

  Future<ItemPage> items(String jobId, ItemStatus status, int limit, String cursor);

  // ---- accounts of jobs with a template (issue 8) ----------------------------------------------

  /**
   * Leases up to {@code max} due accounts over all jobs to {@code node} for {@code leaseMs}: at most one
   * per Cyclr account, none of an account with a running item or account step anywhere. The items'
   * {@link #renewLeases} renews these leases too.
   */
  Future<List<ClaimedAccount>> claimAccounts(String node, int max, long leaseMs);

  /**
   * Records account outcomes of accounts {@code node} still holds, in one transaction; returns those applied.
   * A connector the template brought that the tenant must sign in to becomes an OAUTH_PENDING item of the job
   * (once per account connector and job), whose watch and relay link start as for any OAUTH_PENDING item.
   */
  Future<RecordedAccounts> recordAccounts(String node, List<AccountOutcome> outcomes);

  /** Account steps whose lease expired (their node died) become due again, recovered; returns them. */
  Future<List<AccountChanged>> releaseExpiredAccounts();

  /**
   * Makes due the waiting accounts whose wait is over but which no outcome marked: signed-in items (the
   * sign-in watch changes them), and, with {@code itemsToo}, accounts whose items all ended. Returns how many.
   */
  Future<Integer> sweepAccounts(boolean itemsToo);

  /** The same for one account of one job (an item of it was just signed in). */
  Future<Void> nudgeAccount(String jobId, String account);

  Future<Map<AccountStatus, Long>> accountCounts(String jobId);

  Future<ItemPage> accounts(String jobId, AccountStatus status, int limit, String cursor);
  /** A job's events after number {@code afterSeq}, in order, at most {@code limit}. */
  Future<List<JobEvent>> events(String jobId, long afterSeq, int limit);

  /** Deletes the events of up to {@code maxJobs} jobs finished before {@code finishedBefore} (ISO-8601); returns rows. */
  Future<Integer> pruneEvents(String finishedBefore, int maxJobs);

  /** Relay links and the sign-in watch, in the same database. */
  io.onboarder.signin.SignInStore signIns();
}
