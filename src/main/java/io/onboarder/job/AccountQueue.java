package io.onboarder.job;

import io.vertx.core.Future;
import java.util.List;

/**
 * The accounts of jobs with a template as a leased work queue of account steps: due accounts are
 * claimed by one node at a time (at most one step per Cyclr account, never beside its items),
 * renewed, taken over when their node dies, and their outcomes recorded by the node that holds
 * them. Failures are {@link StoreException}s.
 */
public interface AccountQueue {

  /**
   * Account outcomes recorded, the sign-in items they added (with their links), and what settling their
   * jobs did in the same transaction (a job whose accounts all settled finishes).
   */
  record Recorded(List<AccountOutcome> applied, List<ItemOutcome> signIns, JobRecords.Settled settled) {}

  /** Leases up to {@code max} due accounts over all jobs to {@code node} for {@code leaseMs}. */
  Future<List<ClaimedAccount>> claim(String node, int max, long leaseMs);

  /** Extends every account-step lease {@code node} holds; returns how many. */
  Future<Integer> renew(String node, long leaseMs);

  /**
   * Records outcomes of accounts {@code node} still holds, in one transaction, and settles their jobs in
   * it (finishes those that nothing keeps open); returns those applied.
   * A connector the template brought that the tenant must sign in to becomes an OAUTH_PENDING item of
   * the job (once per account connector and job), watched and linked as any OAUTH_PENDING item.
   */
  Future<Recorded> record(String node, List<AccountOutcome> outcomes);

  /** Account steps whose lease expired (their node died) become due again, recovered; returns them. */
  Future<List<JobRecords.AccountChanged>> releaseExpired();

  /** Every running account step becomes due again, recovered: start-up of the single-process store only. */
  Future<Integer> releaseAll();

  /**
   * Makes due the waiting accounts whose wait is over but which no outcome marked: signed-in items (the
   * sign-in watch changes them), and, with {@code itemsToo}, accounts whose items all ended. Returns how many.
   */
  Future<Integer> sweep(boolean itemsToo);

  /** The same for one account of one job (an item of it was just signed in). */
  Future<Void> nudge(String jobId, String account);

  /** A page of a job's accounts as {@code GET …/accounts} shows them; INVALID for a bad cursor. */
  Future<ItemPage> page(String jobId, AccountStatus status, int limit, String cursor);
}
