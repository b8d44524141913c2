package io.onboarder.lease;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The store side of a {@link LeasePump}: units of work ({@code W}) leased to this node, and their
 * outcomes ({@code O}) written back. An adapter binds the node id and the lease length, so the pump
 * knows neither. Every method is one store operation (one transaction), and fails with the store's error.
 */
public interface LeaseQueue<W, O> {

  /** Leases up to {@code max} due units to this node; fewer (or none) when fewer are due. */
  Future<List<W>> claim(int max);

  /**
   * Writes a batch of outcomes, in order, each only while this node still holds its unit's lease;
   * returns the outcomes applied (an outcome whose lease was taken over is refused, not an error).
   */
  Future<List<O>> record(List<O> outcomes);

  /** Hands back units claimed but never sent (claims that landed while the pump drained). */
  Future<Void> release(List<W> unsent);

  /** Extends every lease this node holds in this queue; a no-op where leases outlive their work. */
  default Future<Void> renew() {
    return Future.succeededFuture();
  }

  /** Frees the leases of nodes that stopped renewing them; returns how many it freed. */
  default Future<Integer> takeOver() {
    return Future.succeededFuture(0);
  }

  /** Milliseconds until the next unit comes due, or null when unknown (the pump then polls at its idle pace). */
  default Future<Long> nextDueInMs() {
    return Future.succeededFuture(null);
  }

  /**
   * Records outcomes one store operation at a time, in order, for queues whose outcomes are written one by
   * one: {@code write} answers whether this node still held the unit; returns the outcomes it applied.
   */
  static <O> Future<List<O>> recordInTurn(List<O> outcomes, Function<O, Future<Boolean>> write) {
    List<O> applied = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (O o : outcomes) {
      chain = chain.compose(v -> write.apply(o)).map(held -> {
        if (held) {
          applied.add(o);
        }
        return null;
      });
    }
    return chain.map(v -> applied);
  }
}
