package io.onboarder.signin;

import io.onboarder.lease.LeaseQueue;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Consumer;

/**
 * The credential health checks as a {@link LeaseQueue}: due checks leased to this node, and what each found
 * written back, one at a time, only while this node still holds it. Before a claim (at most every
 * {@code sweepEveryMs}, sooner while a sweep finds a full batch) newly signed-in items get their due times.
 */
final class HealthQueue implements LeaseQueue<CredentialChecks.Due, HealthQueue.Found> {
  /** Items given a due time per sweep. */
  static final int SWEEP_BATCH = 1_000;
  private static final long MIN_SLEEP_MS = 20;

  /** What one check found. */
  enum Kind {
    /** Still signed in: next check in an interval. */
    HEALTHY,
    /** Cyclr says the sign-in is lost: REAUTH_REQUIRED and a fresh link. */
    LOST,
    /** The account connector is gone at Cyclr (404): no more checks. */
    GONE,
    /** No clear answer (Cyclr unavailable, an unreadable answer): checked again after {@code delayMs}. */
    FAILED
  }

  record Found(CredentialChecks.Due due, Kind kind, long delayMs) {}

  private final CredentialChecks store;
  private final Clock clock;
  private final String nodeId;
  private final long intervalMs;
  private final long leaseMs;
  private final long sweepEveryMs;
  private final Consumer<CredentialChecks.Lost> onLost;
  /** When the last sweep ran; null: sweep at the next claim. */
  private Long sweptAt;

  HealthQueue(CredentialChecks store, Clock clock, String nodeId, long intervalMs, long leaseMs, long sweepEveryMs,
              Consumer<CredentialChecks.Lost> onLost) {
    this.store = store;
    this.clock = clock;
    this.nodeId = nodeId;
    this.intervalMs = intervalMs;
    this.leaseMs = leaseMs;
    this.sweepEveryMs = sweepEveryMs;
    this.onLost = onLost;
  }

  @Override
  public Future<List<CredentialChecks.Due>> claim(int max) {
    Future<Integer> swept = Future.succeededFuture(0);
    if (sweptAt == null || clock.nowMs() - sweptAt >= sweepEveryMs) {
      swept = store.schedule(intervalMs, SWEEP_BATCH).map(n -> {
        // A full batch: more may wait, so sweep again at the next claim.
        sweptAt = n >= SWEEP_BATCH ? null : clock.nowMs();
        return n;
      });
    }
    return swept.compose(n -> store.claim(nodeId, max, leaseMs));
  }

  @Override
  public Future<List<Found>> record(List<Found> outcomes) {
    return LeaseQueue.recordInTurn(outcomes, this::write);
  }

  private Future<Boolean> write(Found f) {
    long itemId = f.due().itemId();
    return switch (f.kind()) {
      case HEALTHY -> store.again(nodeId, itemId, intervalMs, true);
      case FAILED -> store.again(nodeId, itemId, f.delayMs(), false);
      case GONE -> store.gone(nodeId, itemId);
      case LOST -> store.lost(nodeId, itemId).map(lost -> {
        if (lost != null) {
          onLost.accept(lost);
        }
        return lost != null;
      });
    };
  }

  /** A claim that lands while the node stops lapses: whoever runs next checks the item. */
  @Override
  public Future<Void> release(List<CredentialChecks.Due> unsent) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Long> nextDueInMs() {
    return store.nextDueInMs().map(ms -> ms == null ? null : Math.max(MIN_SLEEP_MS, ms));
  }
}
