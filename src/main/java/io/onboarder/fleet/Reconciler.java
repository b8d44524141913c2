package io.onboarder.fleet;

import io.onboarder.bus.Problem;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an {@code autoApply} fleet's new generation by itself (plan, then apply, on the node that leased it), and
 * keeps applied fleets true: when a fleet's reconcile is due (its policy's interval after it converged
 * or was last reconciled), one node at a time (a lease on the fleet's row) plans it again; the drift
 * found is counted on the fleet by kind, its status becomes DRIFTED or CONVERGED ({@code fleet.drifted},
 * {@code fleet.converged} on a change, by the rule of {@link FleetEvent#ofReconcile}, written with the status),
 * and with {@code autoRepair} the plan is applied at once.
 */
final class Reconciler {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  /** An autoApply whose apply was refused (say, a plan made meanwhile moved the live state) is tried again after. */
  static final long AUTO_APPLY_RETRY_MS = 60_000L;

  private final Vertx vertx;
  private final Clock clock;
  private final NodeLifecycle node;
  private final long leaseMs;
  private final HeldFleets held;
  private final FleetStore fleets;
  private final FleetApplies applies;
  private final PlanRun planning;
  private final FleetApplier applier;
  private final JobRequestValidator validator;

  /**
   * {@code leaseMs}: the node's lease on a fleet it reconciles, renewed through {@code held} for as long as the
   * reconcile reads (a big fleet's plan takes many leases' time), so that it lapses soon only if the node dies.
   */
  Reconciler(Vertx vertx, Clock clock, NodeLifecycle node, long leaseMs, HeldFleets held, FleetStore fleets,
             FleetApplies applies, PlanRun planning, FleetApplier applier, JobRequestValidator validator) {
    this.vertx = vertx;
    this.clock = clock;
    this.node = node;
    this.leaseMs = leaseMs;
    this.held = held;
    this.fleets = fleets;
    this.applies = applies;
    this.planning = planning;
    this.applier = applier;
    this.validator = validator;
  }

  /** Reconciles the fleets that are due (called on the service's context). */
  Future<Void> tick() {
    if (!node.mayClaim()) {
      return Future.succeededFuture();
    }
    return applies.claimReconcile(node.nodeId(), leaseMs, clock.currentTimeMillis(), 4, null).compose(due -> {
      Future<Void> all = Future.succeededFuture();
      for (FleetRecord f : due) {
        all = all.compose(v -> work(f).<Void>mapEmpty().recover(err -> {
          LogKeys.fleet(log.atWarn(), f.name())
              .log("fleet {}: reconcile failed ({}); the lease lapses and it is tried again", f.name(), err.toString());
          return Future.succeededFuture();
        }));
      }
      return all;
    });
  }

  /**
   * Reconciles {@code name} now, due or not, or applies its new generation with {@code autoApply} (409 while it is
   * applying, paused, halted or never applied without autoApply).
   */
  Future<JsonObject> now(String name) {
    return applies.claimReconcile(node.nodeId(), leaseMs, clock.currentTimeMillis(), 1, name)
        .compose(claimed -> claimed.isEmpty()
            ? Future.failedFuture(Problem.conflict("Fleet '" + name + "' is not CONVERGED or DRIFTED, or another "
                + "node is working on it: nothing to reconcile now."))
            : work(claimed.get(0)));
  }

  /** A leased fleet: its new generation applied by itself ({@code autoApply}), or reconciled. */
  private Future<JsonObject> work(FleetRecord f) {
    FleetSpec spec = PlanRun.spec(f, validator);
    boolean unapplied = f.appliedGeneration() == null || f.appliedGeneration() < f.generation();
    return spec.policy().autoApply() && unapplied ? autoApply(f) : reconcile(f);
  }

  /**
   * Plans the fleet's new generation and applies the plan, as {@code POST …/plan} then {@code …/apply} would. The
   * lease is held while the plan reads and handed back before the apply begins (the apply takes its own), with the
   * next try due after {@link #AUTO_APPLY_RETRY_MS} in case the apply is refused; once it begins, the fleet is
   * APPLYING and no longer due.
   */
  private Future<JsonObject> autoApply(FleetRecord f) {
    return held.hold(f.name(), () -> planning.run(f, new EnumMap<>(DriftKind.class), () -> !held.lost(f.name()))
        .compose(plan -> applies.progress(f.name(), node.nodeId(), new FleetApplies.Progress(f.status(),
                f.applyStep(), f.applyJob(), clock.currentTimeMillis() + AUTO_APPLY_RETRY_MS, f.rollout(), null,
                f.applyPlan(), null))
            .compose(released -> released ? Future.succeededFuture(plan) : Future.failedFuture(Problem.conflict(
                "Fleet '" + f.name() + "': another node took it over; it applies the generation.")))))
        .compose(plan -> fleets.fleet(f.name()).compose(now -> applier.apply(now, plan.id())).map(applied -> {
          LogKeys.fleet(log.atInfo(), f.name()).log("fleet {}: generation {} applied by itself (autoApply): plan {}, "
              + "jobs {}", f.name(), f.generation(), plan.id(), applied.getJsonArray("jobIds").encode());
          return new JsonObject().put("name", f.name()).put("planId", plan.id()).put("status", "APPLYING")
              .put("drift", new JsonObject()).put("summary", plan.toJson().getJsonObject("summary"))
              .put("repair", applied);
        }));
  }

  private Future<JsonObject> reconcile(FleetRecord f) {
    FleetSpec spec = PlanRun.spec(f, validator);
    Map<DriftKind, Long> drift = new EnumMap<>(DriftKind.class);
    // The lease is held (and renewed) while the tenants are read and the result written; the repair is an apply,
    // which takes the fleet's lease again.
    return held.hold(f.name(), () -> planning.run(f, drift, () -> !held.lost(f.name())).compose(plan -> {
      long changing = plan.summary().entrySet().stream().filter(e -> e.getKey().byJob())
          .mapToLong(Map.Entry::getValue).sum();
      FleetStatus status = changing == 0 && drift.isEmpty() ? FleetStatus.CONVERGED : FleetStatus.DRIFTED;
      JsonObject driftJson = new JsonObject();
      drift.forEach((k, n) -> driftJson.put(k.name(), n));
      long at = clock.currentTimeMillis();
      long next = at + spec.policy().reconcileIntervalSeconds() * 1000L;
      return applies.reconciled(f.name(), node.nodeId(), status, driftJson, at, next).compose(written -> {
        if (!written.written()) {
          return Future.failedFuture(Problem.conflict("Fleet '" + f.name() + "': another node took the reconcile "
              + "over; its result counts."));
        }
        FleetApplier.publish(vertx, written.event());
        LogKeys.fleet(log.atInfo(), f.name())
            .log("fleet {} reconciled: {} ({} drift, {} to change)", f.name(), status, driftJson.encode(), changing);
        return Future.succeededFuture(new Result(plan, changing, new JsonObject().put("name", f.name())
            .put("planId", plan.id()).put("status", status.name()).put("drift", driftJson)
            .put("summary", plan.toJson().getJsonObject("summary"))));
      });
    })).compose(r -> {
      if (!spec.policy().autoRepair() || r.changing() == 0) {
        return Future.succeededFuture(r.answer().put("repair", (Object) null));
      }
      return fleets.fleet(f.name()).compose(now -> applier.apply(now, r.plan().id()))
          .map(repair -> r.answer().put("repair", repair))
          .recover(err -> {
            LogKeys.fleet(log.atInfo(), f.name()).log("fleet {}: drift not repaired now: {}", f.name(),
                err.getMessage());
            return Future.succeededFuture(r.answer().put("repair", (Object) null));
          });
    });
  }

  /** A reconcile's plan, how many tenants it would change, and the answer so far. */
  private record Result(FleetPlans.PlanRecord plan, long changing, JsonObject answer) {}
}
