package io.onboarder.fleet;

import io.vertx.core.Future;

/**
 * The leases a node holds on fleets' rows while it moves an apply on or reconciles a fleet, renewed with the
 * node's other leases ({@link io.onboarder.lease.NodeLifecycle}): a reconcile of a big fleet may read for far
 * longer than one lease, and no other node may take it over while its node lives; once the node dies, its
 * leases lapse within one lease. Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface FleetLeases {

  /**
   * Extends {@code node}'s lease on {@code fleet} to {@code leaseMs} from now (database clock), if it still owns
   * it (a lapsed lease no other node took is still its own); false when another node has it, or none does.
   */
  Future<Boolean> renew(String fleet, String node, long leaseMs);
}
