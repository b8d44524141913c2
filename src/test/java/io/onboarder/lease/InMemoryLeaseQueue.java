package io.onboarder.lease;

import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link LeaseQueue} of numbered units in memory, for driving a pump step by step: units are due in
 * their number's order, leased to a named node until a virtual deadline, and outcomes are applied only
 * while "this" node holds the lease. It can be down (every call fails), or hold claims until the test
 * answers them; it records every call made to it.
 */
final class InMemoryLeaseQueue implements LeaseQueue<Integer, InMemoryLeaseQueue.Done> {
  static final String ME = "me";

  /** The outcome of unit {@code id}. */
  record Done(int id, String result) {}

  private record Lease(String node, long until) {}

  private final VirtualClock clock;
  private final long leaseMs;
  /** Units not finished yet, in due order; a unit without lease is due. */
  final Map<Integer, Lease> open = new LinkedHashMap<>();
  final List<Done> recorded = new ArrayList<>();
  final List<Integer> claimSizes = new ArrayList<>();
  final List<Integer> released = new ArrayList<>();
  final List<Promise<List<Integer>>> heldClaims = new ArrayList<>();
  int recordCalls;
  int renewCalls;
  boolean down;
  /** Only writes of outcomes fail (a store that is full, or slow to the point of timing out). */
  boolean writesFail;
  boolean holdClaims;
  Long nextDue;

  InMemoryLeaseQueue(VirtualClock clock, long leaseMs, int units) {
    this.clock = clock;
    this.leaseMs = leaseMs;
    for (int i = 1; i <= units; i++) {
      open.put(i, null);
    }
  }

  void add(int id) {
    open.put(id, null);
  }

  /** Another node holds {@code id} now (it took the lease over). */
  void leaseTo(String node, int id) {
    open.put(id, new Lease(node, clock.nowMs() + leaseMs));
  }

  String holder(int id) {
    Lease lease = open.get(id);
    return lease == null ? null : lease.node();
  }

  @Override
  public Future<List<Integer>> claim(int max) {
    claimSizes.add(max);
    if (down) {
      return Future.failedFuture(new IllegalStateException("store down"));
    }
    List<Integer> claimed = new ArrayList<>();
    for (Map.Entry<Integer, Lease> e : open.entrySet()) {
      if (claimed.size() < max && (e.getValue() == null)) {
        claimed.add(e.getKey());
      }
    }
    claimed.forEach(id -> leaseTo(ME, id));
    if (holdClaims) {
      Promise<List<Integer>> held = Promise.promise();
      heldClaims.add(held);
      return held.future().map(x -> claimed);
    }
    return Future.succeededFuture(claimed);
  }

  @Override
  public Future<List<Done>> record(List<Done> outcomes) {
    recordCalls++;
    if (down || writesFail) {
      return Future.failedFuture(new IllegalStateException("store down"));
    }
    List<Done> applied = new ArrayList<>();
    for (Done d : outcomes) {
      if (ME.equals(holder(d.id()))) {
        open.remove(d.id());
        recorded.add(d);
        applied.add(d);
      }
    }
    return Future.succeededFuture(applied);
  }

  @Override
  public Future<Void> release(List<Integer> unsent) {
    if (down) {
      return Future.failedFuture(new IllegalStateException("store down"));
    }
    unsent.stream().filter(id -> ME.equals(holder(id))).forEach(id -> open.put(id, null));
    released.addAll(unsent);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> renew() {
    renewCalls++;
    open.replaceAll((id, lease) -> lease != null && lease.node().equals(ME)
        ? new Lease(ME, clock.nowMs() + leaseMs) : lease);
    return Future.succeededFuture();
  }

  @Override
  public Future<Integer> takeOver() {
    if (down) {
      return Future.failedFuture(new IllegalStateException("store down"));
    }
    int[] freed = {0};
    open.replaceAll((id, lease) -> {
      if (lease != null && lease.until() <= clock.nowMs()) {
        freed[0]++;
        return null;
      }
      return lease;
    });
    return Future.succeededFuture(freed[0]);
  }

  @Override
  public Future<Long> nextDueInMs() {
    return Future.succeededFuture(nextDue);
  }
}
