package io.onboarder.fleet;

import io.onboarder.lease.LeaseHolder;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleets this node is working on right now (an apply moving on, a reconcile reading), whose row leases it
 * renews with its other leases: a reconcile of a big fleet may read for many leases' time and stays this node's
 * as long as the node lives, while a node that dies loses its fleets within one lease. Only what is worked on
 * is renewed, so a lease left behind by a failed pass lapses as it should. Confined to the fleet service's
 * context (it registers itself there); the database decides who owns what.
 */
final class HeldFleets implements LeaseHolder {
  private static final Logger log = LoggerFactory.getLogger(HeldFleets.class);

  private final FleetLeases leases;
  private final String node;
  private final long leaseMs;
  private final Runnable wake;
  /** Fleet → how many passes on this node work on it (a reconcile's repair starts an apply inside it). */
  private final Map<String, Integer> working = new HashMap<>();
  /** Fleets whose lease another node has taken since this node began working on them. */
  private final Set<String> lost = new HashSet<>();

  HeldFleets(FleetLeases leases, String node, long leaseMs, Runnable wake) {
    this.leases = leases;
    this.node = node;
    this.leaseMs = leaseMs;
    this.wake = wake;
  }

  /** Runs {@code work} on {@code fleet}, whose lease this node has just taken, renewing it until the work ends. */
  <T> Future<T> hold(String fleet, Supplier<Future<T>> work) {
    working.merge(fleet, 1, Integer::sum);
    Future<T> done;
    try {
      done = work.get();
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    return done.andThen(ar -> {
      if (working.merge(fleet, -1, Integer::sum) == 0) {
        working.remove(fleet);
        lost.remove(fleet);
      }
    });
  }

  /** Whether another node took {@code fleet}'s lease while this one worked on it: stop, write nothing more. */
  boolean lost(String fleet) {
    return lost.contains(fleet);
  }

  @Override
  public Future<Void> renew() {
    List<Future<Boolean>> renewals = new ArrayList<>();
    for (String fleet : List.copyOf(working.keySet())) {
      renewals.add(leases.renew(fleet, node, leaseMs).onSuccess(held -> {
        if (!held && working.containsKey(fleet) && lost.add(fleet)) {
          LogKeys.fleet(log.atWarn(), fleet)
              .log("fleet {}: this node's lease was taken over; it stops working on the fleet", fleet);
        }
      }));
    }
    return Future.all(renewals).mapEmpty();
  }

  @Override
  public Future<Integer> takeOver() {
    return Future.succeededFuture(0); // a lapsed fleet lease is taken by the next claim, on any node
  }

  @Override
  public void wake() {
    wake.run();
  }
}
