package io.onboarder.job;

import io.onboarder.lease.LeaseQueue;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ItemQueue} as this node's {@link LeaseQueue}: binds the node id and the lease length, and
 * hands what each written batch settled (jobs finished or stopped, items handed back) to the dispatcher,
 * which publishes it. Every method is one store transaction.
 */
final class ItemLeases implements LeaseQueue<ClaimedItem, ItemOutcome> {
  private static final Logger log = LoggerFactory.getLogger(ItemLeases.class);

  private final ItemQueue items;
  private final String nodeId;
  private final long leaseMs;
  private final Consumer<ItemQueue.Recorded> settled;
  private final Consumer<String> work;

  /**
   * @param settled hears each written batch (what was applied and what settling its jobs did)
   * @param work    publishes a work notice for a job (items of it can be claimed by any node)
   */
  ItemLeases(ItemQueue items, String nodeId, long leaseMs, Consumer<ItemQueue.Recorded> settled,
             Consumer<String> work) {
    this.items = items;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
    this.settled = settled;
    this.work = work;
  }

  @Override
  public Future<List<ClaimedItem>> claim(int max) {
    return items.claim(nodeId, max, leaseMs);
  }

  @Override
  public Future<List<ItemOutcome>> record(List<ItemOutcome> outcomes) {
    return items.record(nodeId, outcomes).map(recorded -> {
      settled.accept(recorded);
      return recorded.applied();
    });
  }

  /** Claimed while the node drained, never sent: back to PENDING at once, for any node to take. */
  @Override
  public Future<Void> release(List<ClaimedItem> unsent) {
    return record(unsent.stream().map(ItemOutcome::handBack).toList()).mapEmpty();
  }

  @Override
  public Future<Void> renew() {
    return items.renew(nodeId, leaseMs).mapEmpty();
  }

  @Override
  public Future<Integer> takeOver() {
    return items.releaseExpired().map(changed -> {
      if (!changed.isEmpty()) {
        log.info("took over {} item(s) whose node stopped renewing its lease; they are checked at Cyclr before "
            + "anything is installed", changed.size());
        changed.stream().map(JobRecords.Changed::jobId).distinct().forEach(work);
      }
      return changed.size();
    });
  }
}
