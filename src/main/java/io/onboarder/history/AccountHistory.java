package io.onboarder.history;

import io.vertx.core.Future;
import java.util.List;

/**
 * The durable history of each Cyclr account: what the service did or saw, oldest first. Entries derived from job
 * events are written by the stores in the transaction of those events ({@link HistoryFromEvents}); fleets and
 * credential checks {@link #record} theirs. Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface AccountHistory {

  /** One page, oldest first; {@code next} is the cursor of the page after it, or null at the end. */
  record Page(List<HistoryEntry> items, String next) {}

  /** Adds an entry (nothing if its dedupe key was recorded before). */
  Future<Void> record(HistoryEntry entry);

  /**
   * The account's entries after {@code cursor} (null: from the start), at most {@code limit}; {@code owner} non-null
   * keeps only the entries of jobs and fleets that caller owns. A cursor that is not one of ours is INVALID.
   */
  Future<Page> page(String account, String owner, String cursor, int limit);

  /** Deletes up to {@code max} entries older than {@code before} (ISO-8601); returns how many. */
  Future<Integer> prune(String before, int max);
}
