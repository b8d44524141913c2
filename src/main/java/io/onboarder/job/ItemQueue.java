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

  /**
   * Leases up to {@code max} PENDING items of a job to {@code node} for {@code leaseMs} (RUNNING,
   * attempts + 1), at most one per account and none of an account that has a RUNNING item or account
   * step anywhere. In a cancelled or stopped job only recovered items (in flight when their owner died)
   * are claimed, marked {@link ClaimedItem#halted()}: they are checked at Cyclr, never installed.
   */
  Future<List<ClaimedItem>> claim(String jobId, String node, int max, long leaseMs);

  /** Extends every item lease {@code node} holds; returns how many. */
  Future<Integer> renew(String node, long leaseMs);

  /** Items whose lease expired (their node died) become PENDING again, recovered; returns them. */
  Future<List<JobRecords.Changed>> releaseExpired();

  /** Every RUNNING item becomes PENDING again, recovered: start-up of the single-process store only. */
  Future<Integer> releaseAll();

  /**
   * Records outcomes of items {@code node} still holds, in one transaction, with their events (and, for
   * OAUTH_PENDING, the sign-in watch and relay link); returns those applied. An outcome for an item whose
   * lease was lost (taken over after expiry) is dropped: the new owner checks it at Cyclr.
   */
  Future<List<ItemOutcome>> record(String node, List<ItemOutcome> outcomes);

  /** A page of a job's items as {@code GET …/items} shows them, optionally of one status; INVALID for a bad cursor. */
  Future<ItemPage> page(String jobId, ItemStatus status, int limit, String cursor);
}
