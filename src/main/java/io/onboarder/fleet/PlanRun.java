package io.onboarder.fleet;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.ValidationErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One plan of one fleet: its tenants are read from the store a page at a time, each tenant's live state
 * is read from Cyclr through this node's gateway ({@value Addresses#GATEWAY_LIVE_STATE}, at most
 * {@link #READS_IN_FLIGHT} at once; the gateway keeps reads within their share of the rate limit), the
 * {@link Planner} decides, and the page's lines and observations are written before the next page is
 * read. Memory holds one page whatever the fleet's size. Nothing is changed at Cyclr.
 */
public final class PlanRun {
  /** Tenants per page read from the store and written back. */
  static final int PAGE = 500;
  /** Live-state reads in flight per plan: never a whole fleet at once. */
  public static final int READS_IN_FLIGHT = 16;
  /** A read that gets no answer at all (no gateway, a lost reply) counts as failed after this long. */
  private static final long READ_TIMEOUT_MS = 120_000;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(READ_TIMEOUT_MS);

  private final Vertx vertx;
  private final FleetPlans plans;
  private final JobRequestValidator validator;

  public PlanRun(Vertx vertx, FleetPlans plans, JobRequestValidator validator) {
    this.vertx = vertx;
    this.plans = plans;
    this.validator = validator;
  }

  /** The fleet's spec as stored, read back by the same rules that accepted it. */
  public static FleetSpec spec(FleetRecord fleet, JobRequestValidator validator) {
    ValidationErrors errors = new ValidationErrors();
    FleetSpec spec = FleetSpec.of(fleet.spec(), validator, errors);
    if (!errors.isEmpty()) {
      throw new IllegalStateException("fleet " + fleet.name() + " has a stored spec that no longer reads: "
          + errors.summary());
    }
    return spec;
  }

  /** Plans {@code fleet} as it is now; the plan, READY. */
  public Future<FleetPlans.PlanRecord> run(FleetRecord fleet) {
    return run(fleet, new EnumMap<>(DriftKind.class));
  }

  /** As {@link #run(FleetRecord)}, counting the drift found by kind into {@code drift}. */
  public Future<FleetPlans.PlanRecord> run(FleetRecord fleet, Map<DriftKind, Long> drift) {
    return run(fleet, drift, () -> true);
  }

  /**
   * As {@link #run(FleetRecord, Map)}, reading the next page only while {@code goOn} says so (a reconcile whose
   * lease another node took stops; its plan stays unfinished and is never applied).
   */
  public Future<FleetPlans.PlanRecord> run(FleetRecord fleet, Map<DriftKind, Long> drift, BooleanSupplier goOn) {
    return run(fleet, drift, goOn, planId -> { });
  }

  /** As above, telling {@code opened} the plan's id once it is stored (before any tenant is read). */
  public Future<FleetPlans.PlanRecord> run(FleetRecord fleet, Map<DriftKind, Long> drift, BooleanSupplier goOn,
                                           java.util.function.Consumer<String> opened) {
    FleetSpec spec = spec(fleet, validator);
    Map<PlanAction, Long> summary = new EnumMap<>(PlanAction.class);
    return plans.openPlan(fleet.name(), fleet.generation())
        .onSuccess(opened::accept)
        .compose(planId -> page(new Pass(fleet.name(), planId, spec, summary, drift, goOn), "")
            .compose(v -> plans.closePlan(planId, fleet.name(), summary)));
  }

  /** One plan being read. */
  private record Pass(String fleet, String planId, FleetSpec spec, Map<PlanAction, Long> summary,
                      Map<DriftKind, Long> drift, BooleanSupplier goOn) {}

  private Future<Void> page(Pass pass, String after) {
    if (!pass.goOn().getAsBoolean()) {
      return Future.failedFuture(new IllegalStateException("fleet " + pass.fleet() + ": plan stopped, the fleet's "
          + "lease is another node's"));
    }
    String fleet = pass.fleet();
    String planId = pass.planId();
    FleetSpec spec = pass.spec();
    Map<PlanAction, Long> summary = pass.summary();
    Map<DriftKind, Long> drift = pass.drift();
    return plans.desired(fleet, after, PAGE, false).compose(tenants -> {
      if (tenants.isEmpty()) {
        return Future.succeededFuture();
      }
      return bounded(tenants, READS_IN_FLIGHT, t -> read(spec, t).map(live -> Planner.decide(spec, t, live)))
          .compose(decisions -> {
            boolean changed = false;
            for (int i = 0; i < decisions.size(); i++) {
              Planner.Decision d = decisions.get(i);
              summary.merge(d.action(), 1L, Long::sum);
              if (d.drift() != null) {
                drift.merge(d.drift(), 1L, Long::sum);
              }
              changed |= moved(tenants.get(i), d.observed());
            }
            return plans.record(planId, fleet, decisions, changed);
          })
          .compose(v -> tenants.size() < PAGE ? Future.succeededFuture()
              : page(pass, tenants.get(tenants.size() - 1).account()));
    });
  }

  /** Whether what was seen differs from what the fleet recorded before (a first look counts as a change). */
  static boolean moved(DesiredTenant before, Planner.Observed now) {
    return now != null && (!Objects.equals(before.accountConnectorId(), now.accountConnectorId())
        || !Objects.equals(before.authenticated(), now.authenticated())
        || !Objects.equals(before.cycleId(), now.cycleId())
        || !Objects.equals(before.cycleStatus(), now.cycleStatus()));
  }

  /** The tenant's live state; a tenant out of the spec is not read (its line needs none). */
  Future<LiveStateReply> read(FleetSpec spec, DesiredTenant t) {
    if (!t.inSpec()) {
      return Future.succeededFuture(LiveStateReply.of(true, List.of(), List.of()));
    }
    JsonObject template = spec.fields().template() == null ? null : spec.fields().template().toJson();
    LiveStateRequest request = new LiveStateRequest(t.account(), Planner.connector(spec, t.item()).toJson(), template);
    return vertx.eventBus().<LiveStateReply>request(Addresses.GATEWAY_LIVE_STATE, request, TO_GATEWAY)
        .map(m -> m.body())
        .recover(err -> Future.succeededFuture(LiveStateReply.failed(new CyclrFailure("GATEWAY_UNAVAILABLE",
            "the gateway did not answer: " + err.getMessage(), null, true))));
  }

  /** {@code f} over {@code in} with at most {@code n} in flight; results in input order. */
  static <T, R> Future<List<R>> bounded(List<T> in, int n, Function<T, Future<R>> f) {
    List<R> out = new ArrayList<>(in.size());
    in.forEach(x -> out.add(null));
    Promise<List<R>> done = Promise.promise();
    int[] next = {0};
    int[] running = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (running[0] < n && next[0] < in.size()) {
        int i = next[0]++;
        running[0]++;
        f.apply(in.get(i)).onComplete(ar -> {
          running[0]--;
          if (ar.failed()) {
            done.tryFail(ar.cause());
            return;
          }
          out.set(i, ar.result());
          if (next[0] == in.size() && running[0] == 0) {
            done.tryComplete(out);
          } else {
            pump[0].run();
          }
        });
      }
    };
    if (in.isEmpty()) {
      return Future.succeededFuture(out);
    }
    pump[0].run();
    return done.future();
  }
}
