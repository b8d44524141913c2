package io.onboarder.signin;

import io.onboarder.lease.LeaseQueue;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import java.util.List;

/**
 * The sign-in watches as a {@link LeaseQueue}: due watches leased to this node (each polled by one node
 * at a time; a dead node's claims come due again when their lease lapses), and what a poll found written
 * back, one watch at a time, only while this node still holds it. Expired watches are ended at most every
 * few seconds, before a claim (claims skip them anyway).
 */
final class WatchQueue implements LeaseQueue<SignIns.Watched, WatchQueue.Found> {
  private static final long EXPIRE_EVERY_MS = 5_000;
  /** Never look at the store again sooner than this while nothing is due. */
  private static final long MIN_SLEEP_MS = 20;

  /** What one poll found about a watched item. */
  enum Kind {
    /** The tenant signed in. */
    AUTHENTICATED,
    /** Not yet: poll again in {@code delayMs}, at {@code intervalMs} from then on. */
    AGAIN,
    /** Nothing left to watch (the account connector is gone). */
    STOP
  }

  record Found(long itemId, Kind kind, long intervalMs, long delayMs) {}

  private final SignIns store;
  private final Clock clock;
  private final String nodeId;
  private final long leaseMs;
  /** When expired watches were last ended; null: at the next claim (Long.MIN_VALUE would overflow "now - then"). */
  private Long expiredAt;

  WatchQueue(SignIns store, Clock clock, String nodeId, long leaseMs) {
    this.store = store;
    this.clock = clock;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
  }

  @Override
  public Future<List<SignIns.Watched>> claim(int max) {
    Future<Integer> expired = Future.succeededFuture(0);
    if (expiredAt == null || clock.nowMs() - expiredAt >= EXPIRE_EVERY_MS) {
      expiredAt = clock.nowMs();
      expired = store.expireWatches();
    }
    return expired.compose(n -> store.claimWatches(nodeId, max, leaseMs));
  }

  @Override
  public Future<List<Found>> record(List<Found> outcomes) {
    return LeaseQueue.recordInTurn(outcomes, this::write);
  }

  private Future<Boolean> write(Found f) {
    return switch (f.kind()) {
      case AUTHENTICATED -> store.markAuthenticated(f.itemId()).map(a -> {
        SignedIn.noted(a, "the sign-in watch");
        return true;
      });
      case AGAIN -> store.watchAgain(nodeId, f.itemId(), f.intervalMs(), f.delayMs());
      case STOP -> store.stopWatch(f.itemId()).map(true);
    };
  }

  /** A claim that lands while the node stops lapses: whoever runs next polls the item again. */
  @Override
  public Future<Void> release(List<SignIns.Watched> unsent) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Long> nextDueInMs() {
    return store.nextWatchDueInMs().map(ms -> ms == null ? null : Math.max(MIN_SLEEP_MS, ms));
  }
}
