package io.onboarder.fleet;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.onboarder.fleet.FleetInstalls.Outcome;
import io.onboarder.fleet.FleetInstalls.Removal;
import io.onboarder.fleet.FleetInstalls.Target;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * Removes what a fleet installed, for prune, rollback and {@code DELETE ?uninstall=true} alike: tenants are claimed
 * in the store a batch at a time ({@link FleetInstalls#claim}), each one's cycle and then its account connector are
 * removed through this node's gateway ({@value Addresses#GATEWAY_REMOVE}: rate-limited, retried and classified like
 * every Cyclr call; a 404 counts as removed), and the batch's results are recorded before the next is claimed. What
 * the fleet did not install is never asked for, so never removed.
 */
final class Uninstaller {
  /** Tenants claimed at once. */
  static final int BATCH = 32;
  /** Removals in flight per run. */
  static final int IN_FLIGHT = 8;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true).setSendTimeout(120_000);

  /**
   * How a run went, counted by install (an account connector or a cycle); {@code lastError} says why the last failed
   * one failed; {@code more}: the run's time ran out with tenants left to claim.
   */
  record Tally(long removed, long alreadyGone, long failed, String lastError, boolean more) {
    JsonObject toJson() {
      return new JsonObject().put("removed", removed).put("alreadyGone", alreadyGone).put("failed", failed);
    }

    /** {@code before}'s counts (null: none) plus these. */
    JsonObject addTo(JsonObject before) {
      JsonObject b = before == null ? new JsonObject() : before;
      return new JsonObject().put("removed", b.getLong("removed", 0L) + removed)
          .put("alreadyGone", b.getLong("alreadyGone", 0L) + alreadyGone)
          .put("failed", b.getLong("failed", 0L) + failed);
    }
  }

  /** One tenant's outcome and, if a part failed, why. */
  private record Done(Outcome outcome, String error) {}

  private final Vertx vertx;
  private final Clock clock;
  private final FleetInstalls installs;
  private final NodeLifecycle node;
  private final long leaseMs;

  /** {@code leaseMs}: how long a claim on a tenant holds (a node that dies leaves it to another after that). */
  Uninstaller(Vertx vertx, Clock clock, FleetInstalls installs, NodeLifecycle node, long leaseMs) {
    this.vertx = vertx;
    this.clock = clock;
    this.installs = installs;
    this.node = node;
    this.leaseMs = leaseMs;
  }

  /** Removes batch after batch of {@code r} until none is left to claim, or for about {@code budgetMs}. */
  Future<Tally> run(Removal r, long budgetMs) {
    return batch(r, clock.currentTimeMillis() + budgetMs, new Tally(0, 0, 0, null, false));
  }

  private Future<Tally> batch(Removal r, long until, Tally sofar) {
    return installs.claim(r, node.nodeId(), leaseMs, BATCH).compose(targets -> {
      if (targets.isEmpty()) {
        return Future.succeededFuture(sofar);
      }
      return PlanRun.bounded(targets, IN_FLIGHT, this::remove).compose(done -> {
        long[] n = {sofar.removed(), sofar.alreadyGone(), sofar.failed()};
        String error = sofar.lastError();
        for (Done d : done) {
          for (RemovalOutcome o : new RemovalOutcome[] {d.outcome().cycle(), d.outcome().connector()}) {
            if (o != null) {
              n[o.ordinal()]++;
            }
          }
          error = d.error() != null ? d.error() : error;
        }
        Tally now = new Tally(n[0], n[1], n[2], error, false);
        return installs.done(r, node.nodeId(), done.stream().map(Done::outcome).toList())
            .compose(v -> clock.currentTimeMillis() >= until
                ? Future.succeededFuture(new Tally(n[0], n[1], n[2], now.lastError(), true))
                : batch(r, until, now));
      });
    });
  }

  /** The cycle first (it runs on the connector), then the connector; when the cycle's removal fails, both stay. */
  private Future<Done> remove(Target t) {
    Future<RemovalReply> cycle = t.cycleId() == null ? Future.succeededFuture()
        : send(new RemovalRequest(t.account(), RemovalKind.CYCLE, t.cycleId()));
    return cycle.compose(c -> {
      if (c != null && !c.succeeded()) {
        return Future.succeededFuture(new Done(new Outcome(t, null, RemovalOutcome.FAILED), why(t, c)));
      }
      RemovalOutcome cycleDone = c == null ? null : c.outcome();
      if (t.connectorId() == null) {
        return Future.succeededFuture(new Done(new Outcome(t, null, cycleDone), null));
      }
      return send(new RemovalRequest(t.account(), RemovalKind.CONNECTOR, String.valueOf(t.connectorId())))
          .map(k -> new Done(new Outcome(t, k.outcome(), cycleDone), k.succeeded() ? null : why(t, k)));
    });
  }

  private static String why(Target t, RemovalReply reply) {
    return t.account() + ": " + reply.failure().code() + " " + reply.failure().message();
  }

  private Future<RemovalReply> send(RemovalRequest request) {
    return vertx.eventBus().<RemovalReply>request(Addresses.GATEWAY_REMOVE, request, TO_GATEWAY).map(m -> m.body())
        .recover(err -> Future.succeededFuture(RemovalReply.failed(new CyclrFailure("GATEWAY_UNAVAILABLE",
            "the gateway did not answer: " + err.getMessage(), null, true))));
  }

  /** The counts an apply's or a delete's rollout view carries so far ({@code "uninstall"}), or null. */
  static JsonObject counts(FleetRecord f) {
    return f.rollout() == null ? null : f.rollout().getJsonObject("uninstall");
  }
}
