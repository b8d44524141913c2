package io.onboarder.job;

import io.vertx.core.Future;
import java.util.List;

/**
 * The items of every job as a leased work queue: claimed by one node at a time (leases on the
 * database clock), renewed while that node lives, taken over when it dies, and their outcomes
 * recorded by the node that still holds them. The store, not a node's memory, decides who owns an
 * item and keeps one running item per account. Failures are {@link StoreException}s.
 */
public interface ItemQueue {

  /** The outcomes applied, and what settling their jobs did in the same transaction. */
  record Recorded(List<ItemOutcome> applied, JobRecords.Settled settled) {}

  /**
   * Leases up to {@code max} PENDING items of the open jobs to {@code node} for {@code leaseMs} (RUNNING,
   * attempts + 1), in one statement: at most one per account and none of an account that has a RUNNING
   * item or account step anywhere. Jobs take turns (a job with fewer items running goes first, then the
   * oldest), so a big job never starves a small one. In a cancelled or stopped job only recovered items
   * (in flight when their owner died) are claimed, marked {@link ClaimedItem#halted()}: they are checked
   * at Cyclr, never installed. A PENDING job whose first items are claimed becomes RUNNING with them.
   */
  Future<List<ClaimedItem>> claim(String node, int max, long leaseMs);

  /** Extends every item lease {@code node} holds; returns how many. */
  Future<Integer> renew(String node, long leaseMs);

  /** Items whose lease expired (their node died) become PENDING again, recovered; returns them. */
  Future<List<JobRecords.Changed>> releaseExpired();

  /** Every RUNNING item becomes PENDING again, recovered: start-up of the single-process store only. */
  Future<Integer> releaseAll();

  /**
   * Records outcomes of items {@code node} still holds, in one transaction, with their events (and, for
   * OAUTH_PENDING, the sign-in watch and relay link). An outcome for an item whose lease was lost (taken
   * over after expiry) is dropped: the new owner checks it at Cyclr. In the same transaction it settles
   * their jobs: the failure policy (once the failed share is above {@code toleratedFailurePercent} the job
   * is stopped and its unstarted items cancelled), the unstarted items of a cancelled or stopped job
   * cancelled, and a job that nothing keeps open finished (with its final event; exactly one caller
   * cluster-wide finishes a job).
   */
  Future<Recorded> record(String node, List<ItemOutcome> outcomes);

  /** A page of a job's items as {@code GET …/items} shows them, optionally of one status; INVALID for a bad cursor. */
  Future<ItemPage> page(String jobId, ItemStatus status, int limit, String cursor);
}
