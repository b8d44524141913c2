package io.onboarder.lease;

import io.onboarder.time.Clock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: what the node knows about itself (started, draining, whether its store answers, whether
 * the store's disk is full, whether its leases are surely still valid) and the timers that keep it so for
 * every {@link LeaseHolder} on the node: a store health check, lease renewal and takeover sweeps, all on
 * the injected {@link Clock}. Its timers run on the context that called {@link #start}; each holder is
 * called on the context it registered from. Read anywhere (volatile fields).
 */
public final class NodeLifecycle {
  private static final Logger log = LoggerFactory.getLogger(NodeLifecycle.class);
  static final long HEALTH_MS = 1_000;
  /** A full disk is assumed for this long after a write failed for it. */
  private static final long DISK_FULL_MS = 60_000;
  private static final long LOG_EVERY_MS = 10_000;

  private record Holder(LeaseHolder holder, Context context) {
    <T> Future<T> call(Supplier<Future<T>> action) {
      if (context == null || context == Vertx.currentContext()) {
        return action.get();
      }
      Promise<T> done = Promise.promise();
      context.runOnContext(v -> action.get().onComplete(done));
      return done.future();
    }
  }

  /** This node's name on its leases, new at every start. */
  private final String nodeId = UUID.randomUUID().toString();
  private final Clock clock;
  private final long leaseMs;
  private final Predicate<Throwable> diskFullError;
  private final List<Holder> holders = new CopyOnWriteArrayList<>();
  private volatile boolean started;
  private volatile boolean draining;
  private volatile boolean stopped;
  private volatile boolean storeReachable = true;
  private volatile long leasesConfirmedAt;
  private volatile long reachableSince;
  private volatile long diskFullUntil = Long.MIN_VALUE;
  private volatile long errorLoggedAt = Long.MIN_VALUE;
  /** A write that needs disk space; while the disk is full the health check tries it to notice space again. */
  private volatile Supplier<Future<?>> writeProbe;
  private final long[] timers = {-1, -1, -1};

  /** {@code diskFullError} tells a store error that means the database's disk is full. */
  public NodeLifecycle(Clock clock, long leaseMs, Predicate<Throwable> diskFullError) {
    this.clock = clock;
    this.leaseMs = leaseMs;
    this.diskFullError = diskFullError;
    this.leasesConfirmedAt = clock.nowMs();
    this.reachableSince = clock.nowMs();
  }

  // ---- what the node knows -------------------------------------------------------------------

  public String nodeId() {
    return nodeId;
  }

  /** Submissions are taken: started, not draining, the store answers and has disk space. */
  public boolean accepting() {
    return started && !draining && storeReachable && !diskFull();
  }

  /**
   * A pump may claim: started, not draining, the store answers and has disk space (no install is sent
   * whose outcome could not be written; outcomes already in hand are kept until there is space).
   */
  public boolean mayClaim() {
    return started && !draining && storeReachable && !diskFull();
  }

  public BooleanSupplier claimGate() {
    return this::mayClaim;
  }

  public boolean started() {
    return started;
  }

  public boolean draining() {
    return draining;
  }

  public boolean storeReachable() {
    return storeReachable;
  }

  /**
   * A write failed because the database's disk is full, and since then no probe write succeeded (with a
   * probe, see {@link #probeWritesWith}, space is noticed within a health check; without one, a minute on).
   */
  public boolean diskFull() {
    return clock.nowMs() < diskFullUntil;
  }

  /** A write failed for a full disk; true when this is news (not known within the last minute): log it then. */
  public boolean diskFullNow() {
    boolean news = !diskFull();
    diskFullUntil = clock.nowMs() + DISK_FULL_MS;
    return news;
  }

  /**
   * True while this node's leases have at least half their lifetime left. An install is sent only then:
   * a lease that lapses (store unreachable, node cut off) is taken over by another node at expiry, and the
   * POST must have landed at Cyclr well before that node checks the account.
   */
  public boolean holdsLeases() {
    return clock.nowMs() - leasesConfirmedAt < leaseMs / 2;
  }

  /** No renewal for a whole lease: every lease this node held has run out, and other nodes may take them over. */
  public boolean leasesLapsed() {
    return clock.nowMs() - leasesConfirmedAt >= leaseMs;
  }

  public BooleanSupplier leaseCheck() {
    return this::holdsLeases;
  }

  /** Leases were just granted or extended by a statement sent at {@code atMs} (on this node's clock). */
  public void leasesConfirmed(long atMs) {
    leasesConfirmedAt = Math.max(leasesConfirmedAt, atMs);
  }

  /** A claim just leased work to this node: its leases are fresh (less a margin for the claim's own trip). */
  public void claimed() {
    leasesConfirmed(clock.nowMs() - 50);
  }

  /** A store operation failed: a full disk is noted (and logged once a minute), anything else logged now and then. */
  public void storeFailed(String what, Throwable err) {
    if (stopped) {
      return; // the store is closing: nothing here complains about it
    }
    if (diskFullError.test(err)) {
      if (diskFullNow()) {
        log.error("the job store's disk is full: not ready, submissions are refused (507); outcomes are kept "
            + "and written when there is space again. Free disk space where the database lives.");
      }
      return;
    }
    long now = clock.nowMs();
    if (now - errorLoggedAt > LOG_EVERY_MS) {
      errorLoggedAt = now;
      log.warn("{}: store operation failed: {}", what, err.getMessage());
    }
  }

  /** The write the health check tries while the disk is full, to notice (within a second) that there is space again. */
  public void probeWritesWith(Supplier<Future<?>> probe) {
    this.writeProbe = probe;
  }

  // ---- the node's life -----------------------------------------------------------------------

  /** Adds a lease holder; it is called on the context registering it (its own event loop). */
  public void register(LeaseHolder holder) {
    holders.add(new Holder(holder, Vertx.currentContext()));
  }

  /**
   * The node is started: checks {@code ping} every second, renews leases five times per lease and sweeps
   * for expired ones three times per lease (spread between nodes), and wakes every holder.
   */
  public void start(Supplier<Future<?>> ping) {
    started = true;
    repeat(0, HEALTH_MS, () -> checkStore(ping));
    repeat(1, Math.max(200, leaseMs / 5), this::renew);
    repeat(2, Math.max(200, leaseMs / 3) + ThreadLocalRandom.current().nextLong(250), this::takeOver);
    wakeAll();
  }

  /** Draining: nothing new is claimed or submitted; sweeps stop (renewal goes on for the work in flight). */
  public void drain() {
    draining = true;
  }

  /** Drained: the store closes next, so nothing here touches it any more. */
  public void stop() {
    draining = true;
    stopped = true;
    for (int i = 0; i < timers.length; i++) {
      if (timers[i] >= 0) {
        clock.cancel(timers[i]);
        timers[i] = -1;
      }
    }
  }

  private void repeat(int slot, long everyMs, Runnable task) {
    timers[slot] = clock.schedule(everyMs, () -> {
      if (!stopped) {
        task.run();
        repeat(slot, everyMs, task);
      }
    });
  }

  private void checkStore(Supplier<Future<?>> ping) {
    ping.get().onComplete(ar -> {
      if (stopped) {
        return;
      }
      boolean was = storeReachable;
      storeReachable = ar.succeeded();
      if (was && ar.failed()) {
        log.error("the store is unreachable ({}): not ready; outcomes are kept until it is back",
            ar.cause().getMessage());
      } else if (!was && ar.succeeded()) {
        log.info("the store answers again: ready");
        reachableSince = clock.nowMs();
        renew();
        wakeAll();
      }
      if (ar.succeeded() && diskFull()) {
        probeDisk();
      }
    });
  }

  /** While the disk is full: a write that needs space; when it succeeds, the node is ready again and every pump wakes. */
  private void probeDisk() {
    Supplier<Future<?>> probe = writeProbe;
    if (probe == null) {
      return;
    }
    probe.get().onComplete(ar -> {
      if (stopped || !diskFull()) {
        return;
      }
      if (ar.succeeded()) {
        diskFullUntil = Long.MIN_VALUE;
        log.info("the job store can write again (disk space is back): ready; kept outcomes are written now");
        wakeAll();
      } else if (diskFullError.test(ar.cause())) {
        diskFullNow();
      }
    });
  }

  /** Renews every holder's leases; they count as confirmed from when the renewal was sent, once all succeeded. */
  void renew() {
    long sentAt = clock.nowMs();
    Future.all(holders.stream().map(h -> h.call(h.holder()::renew)).toList())
        .onSuccess(x -> leasesConfirmed(sentAt))
        .onFailure(err -> storeFailed("lease renewal", err));
  }

  /**
   * Sweeps for expired leases. After an outage of the store every lease looks expired: first every node
   * must have had time to renew its own (each does within a second of the store coming back), and a node
   * whose own leases may have lapsed never sweeps with its stale view.
   */
  void takeOver() {
    if (draining || !storeReachable || !holdsLeases() || clock.nowMs() - reachableSince < 3 * HEALTH_MS) {
      return;
    }
    holders.forEach(h -> h.call(h.holder()::takeOver).onFailure(err -> storeFailed("lease takeover", err)));
  }

  private void wakeAll() {
    holders.forEach(h -> h.call(() -> {
      h.holder().wake();
      return Future.succeededFuture();
    }));
  }
}
