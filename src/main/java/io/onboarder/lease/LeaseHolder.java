package io.onboarder.lease;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Something on this node that holds leases in the store, as the {@link NodeLifecycle} drives it: a
 * {@link LeasePump}, or a loop that is not on one. Called on the context that registered it.
 */
public interface LeaseHolder {

  /** Extends this node's leases (on the node's renewal timer). */
  Future<Void> renew();

  /** Frees the expired leases of nodes that stopped renewing; returns how many (on the node's sweep timer). */
  Future<Integer> takeOver();

  /** Work may be due: the store answers again, or the node has just started. */
  void wake();

  /** A holder made of three functions (for a loop that is not on a pump). */
  static LeaseHolder of(Supplier<Future<Void>> renew, Supplier<Future<Integer>> takeOver, Runnable wake) {
    return new LeaseHolder() {
      @Override
      public Future<Void> renew() {
        return renew.get();
      }

      @Override
      public Future<Integer> takeOver() {
        return takeOver.get();
      }

      @Override
      public void wake() {
        wake.run();
      }
    };
  }
}
