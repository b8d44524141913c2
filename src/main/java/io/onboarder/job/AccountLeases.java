package io.onboarder.job;

import io.onboarder.lease.LeaseQueue;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link AccountQueue} as this node's {@link LeaseQueue} of account steps: binds the node id and the
 * lease length, and hands what each written batch settled to the account steps. Every method is one
 * store transaction.
 */
final class AccountLeases implements LeaseQueue<ClaimedAccount, AccountOutcome> {
  private static final Logger log = LoggerFactory.getLogger(AccountLeases.class);

  private final AccountQueue accounts;
  private final String nodeId;
  private final long leaseMs;
  private final Consumer<AccountQueue.Recorded> settled;
  private final Runnable freed;

  /**
   * @param settled hears each written batch (what was applied and what settling its jobs did)
   * @param freed   account steps were taken over from a node that died: they are due now
   */
  AccountLeases(AccountQueue accounts, String nodeId, long leaseMs, Consumer<AccountQueue.Recorded> settled,
                Runnable freed) {
    this.accounts = accounts;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
    this.settled = settled;
    this.freed = freed;
  }

  @Override
  public Future<List<ClaimedAccount>> claim(int max) {
    return accounts.claim(nodeId, max, leaseMs);
  }

  @Override
  public Future<List<AccountOutcome>> record(List<AccountOutcome> outcomes) {
    return accounts.record(nodeId, outcomes).map(recorded -> {
      settled.accept(recorded);
      return recorded.applied();
    });
  }

  /** Claimed while the node drained, never run: due again at once, for any node to take. */
  @Override
  public Future<Void> release(List<ClaimedAccount> unsent) {
    return record(unsent.stream().map(a -> AccountOutcome.handBack(a, a.recovered())).toList()).mapEmpty();
  }

  @Override
  public Future<Void> renew() {
    return accounts.renew(nodeId, leaseMs).mapEmpty();
  }

  @Override
  public Future<Integer> takeOver() {
    return accounts.releaseExpired().map(changed -> {
      if (!changed.isEmpty()) {
        log.info("took over {} account step(s) whose node stopped renewing its lease; each lists the account's "
            + "cycles at Cyclr before any template install", changed.size());
        freed.run();
      }
      return changed.size();
    });
  }
}
