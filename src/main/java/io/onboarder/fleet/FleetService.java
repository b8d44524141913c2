package io.onboarder.fleet;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.intake.JobIntake;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobService;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.signin.Campaigns;
import io.onboarder.time.Clock;
import io.onboarder.job.StoreProblems;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public fleet address {@value Addresses#FLEETS} on every node, by the {@code action} header: what
 * the {@code /v1/fleets} routes do, answered from the shared store (stateless, so any node answers for
 * any fleet). Callers through the HTTP API carry their name in the {@code caller} header and see only
 * their own fleets unless they are admins; event-bus clients inside the cluster are trusted.
 */
public final class FleetService extends VerticleBase {
  /** Message header naming the operation. */
  public static final String ACTION = "action";
  private static final Logger log = LoggerFactory.getLogger(FleetService.class);

  private final Ports ports;
  private final FleetStore store;
  private final FleetPlans plans;
  private final FleetIntake intake;
  private final Clock clock;
  private final NodeLifecycle node;
  private final long leaseMs;
  private PlanRun planning;
  private FleetApplier applier;
  private Reconciler reconciler;
  private final Map<String, Function<Message<JsonObject>, Future<JsonObject>>> actions;

  /**
   * The stores and the job intake the fleet service works with; {@code campaigns} reads the sign-in funnel;
   * {@code installs} keeps what fleets installed (prune, rollback, delete with uninstall).
   */
  public record Ports(FleetStore fleets, FleetPlans plans, FleetApplies applies, FleetIntake intake,
                      JobIntake jobIntake, JobRecords jobs, ItemQueue items, Campaigns campaigns, FleetLeases leases,
                      FleetInstalls installs, AccountQueue accounts) {}

  /**
   * {@code clock} times the rollout's pauses; {@code node} names this node for the apply leases and says
   * whether it may take work; {@code leaseMs} is how long a node may hold a fleet's apply.
   */
  public FleetService(Ports ports, Clock clock, NodeLifecycle node, long leaseMs) {
    this.ports = ports;
    this.store = ports.fleets();
    this.plans = ports.plans();
    this.intake = ports.intake();
    this.clock = clock;
    this.node = node;
    this.leaseMs = leaseMs;
    this.actions = Map.ofEntries(
        Map.entry("plan", this::plan),
        Map.entry("plan-status", this::planStatus),
        Map.entry("actions", this::actions),
        Map.entry("apply", msg -> visible(msg).compose(f -> applier.apply(f, msg.body().getString("planId"),
            confirmPrune(msg.body()), true))),
        Map.entry("pause", msg -> visible(msg).compose(f -> control(f, FleetStatus.APPLYING, FleetStatus.PAUSED))),
        Map.entry("resume", msg -> visible(msg).compose(this::resume)),
        Map.entry("rollback", msg -> visible(msg).compose(this::rollback)),
        Map.entry("reconcile", msg -> visible(msg).compose(f -> reconciler.now(f.name()))),
        Map.entry("put", this::put),
        Map.entry("get", msg -> visible(msg).compose(f -> FleetViews.load(store, f))),
        Map.entry("list", this::list),
        Map.entry("tenants", this::tenants),
        Map.entry("sign-ins", msg -> visible(msg).compose(this::signIns)),
        Map.entry("delete", this::delete));
  }

  @Override
  public Future<?> start() {
    planning = new PlanRun(vertx, plans, intake.validator);
    // The leases of the fleets this node works on are renewed with its other leases, on this context.
    HeldFleets held = new HeldFleets(ports.leases(), node.nodeId(), leaseMs, this::tick);
    node.register(held);
    applier = new FleetApplier(vertx, clock, node, leaseMs, held, new FleetApplier.Ports(plans, ports.applies(),
        ports.jobIntake(), ports.jobs(), ports.items(), ports.installs(), ports.accounts(), store), intake.validator);
    reconciler = new Reconciler(vertx, clock, node, leaseMs, held, store, ports.applies(), planning, applier,
        intake.validator);
    // Applies move on when a step's job ends (its event), when woken, and at least every CHECK_MS.
    vertx.setPeriodic(FleetApplier.CHECK_MS, t -> tick());
    MessageConsumer<JsonObject> ended = vertx.eventBus().consumer(Addresses.EVENTS_JOB, msg -> {
      if (msg.body().getString("fleet") != null && !"RUNNING".equals(msg.body().getString("status"))
          && !"PENDING".equals(msg.body().getString("status"))) {
        tick();
      }
    });
    MessageConsumer<Object> wake = vertx.eventBus().consumer(Addresses.FLEETS_WAKE, msg -> tick());
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.FLEETS, this::handle);
    return Future.all(consumer.completion(), ended.completion(), wake.completion());
  }

  private boolean ticking;
  private boolean again;

  /** One pass at a time on this node (the store's leases keep nodes apart); a wake-up meanwhile runs another. */
  private void tick() {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    again = false;
    applier.tick().compose(v -> reconciler.tick()).onComplete(ar -> {
      ticking = false;
      if (ar.failed()) {
        log.warn("fleet applies could not be looked at now: {}", ar.cause().toString());
      }
      if (again) {
        tick();
      }
    });
  }

  @SuppressWarnings("unchecked")
  private void handle(Message<Object> msg) {
    String action = msg.headers().get(ACTION);
    var handler = action == null ? null : actions.get(action);
    if (handler == null) {
      fail(msg, Problem.badRequest("The 'action' header must be one of " + String.join(", ",
          actions.keySet().stream().sorted().toList()) + "."));
      return;
    }
    if (!(msg.body() instanceof JsonObject)) {
      fail(msg, Problem.badRequest("The message body must be a JSON object."));
      return;
    }
    Future<JsonObject> result;
    try {
      result = handler.apply((Message<JsonObject>) (Message<?>) msg);
    } catch (Problem p) {
      result = Future.failedFuture(p);
    } catch (ClassCastException | NullPointerException e) {
      result = Future.failedFuture(Problem.badRequest("The message has a field of the wrong type."));
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        fail(msg, ar.cause());
      }
    });
  }

  // ---- callers -------------------------------------------------------------------------------

  private static String caller(Message<?> msg) {
    String name = msg.headers().get(JobService.CALLER);
    return name == null ? JobService.BUS_OWNER : name;
  }

  /** Null: every fleet is visible (admin token, or a trusted event-bus client). */
  static String ownerFilter(Message<?> msg) {
    String name = msg.headers().get(JobService.CALLER);
    return name == null || "true".equals(msg.headers().get(JobService.ADMIN)) ? null : name;
  }

  static String name(Message<JsonObject> msg) {
    Object name = msg.body().getValue("name");
    if (!(name instanceof String s) || !FleetIntake.NAME.matcher(s).matches()) {
      throw Problem.notFound("No fleet with that name.");
    }
    return s;
  }

  /** The fleet the message names, if it exists and the caller may see it (else 404, as if it did not exist). */
  private Future<FleetRecord> visible(Message<JsonObject> msg) {
    String name = name(msg);
    String owner = ownerFilter(msg);
    return store.fleet(name).compose(f -> f == null || (owner != null && !owner.equals(f.owner()))
        ? Future.failedFuture(Problem.notFound("No fleet named '" + name + "'.")) : Future.succeededFuture(f));
  }

  // ---- actions -------------------------------------------------------------------------------

  private Future<JsonObject> put(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Object ifMatch = body.getValue("ifMatch");
    if (ifMatch != null && !(ifMatch instanceof Number)) {
      throw Problem.badRequest("\"ifMatch\" must be a generation (a number).");
    }
    FleetIntake.Caller who = new FleetIntake.Caller(caller(msg), ownerFilter(msg),
        ifMatch == null ? null : ((Number) ifMatch).longValue());
    return intake.put(body.getString("name"), body.getValue("fleet"), who)
        .map(stored -> stored.fleet().copy().put("created", stored.created()));
  }

  private Future<JsonObject> list(Message<JsonObject> msg) {
    int limit = Math.max(1, Math.min(200, msg.body().getInteger("limit", 100)));
    return store.fleets(ownerFilter(msg), limit).compose(fleets -> {
      List<Future<JsonObject>> views = fleets.stream().map(f -> FleetViews.load(store, f)).toList();
      return Future.all(views).map(all -> new JsonObject().put("fleets",
          new JsonArray(views.stream().map(Future::result).toList())));
    });
  }

  private Future<JsonObject> tenants(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    String stateText = q.getString("state");
    TenantState state = stateText == null ? null : TenantState.parse(stateText);
    if (stateText != null && state == null) {
      throw Problem.badRequest("state must be one of " + java.util.Arrays.toString(TenantState.values()));
    }
    int limit = Math.max(1, Math.min(200, q.getInteger("limit", 100)));
    return visible(msg).compose(f -> store.tenants(f.name(), state, q.getString("cursor"), limit))
        .map(page -> new JsonObject()
            .put("items", new JsonArray(page.tenants().stream().map(FleetTenant::toJson).toList()))
            .put("next", page.next()));
  }

  /**
   * The sign-in funnel summed over the fleet's step jobs: the most recent {@link Campaigns#MAX_FUNNEL_JOBS} of
   * them (one query, one median); all zeros and a null median before any apply.
   */
  private Future<JsonObject> signIns(FleetRecord f) {
    return ports.applies().fleetJobIds(f.name(), Campaigns.MAX_FUNNEL_JOBS)
        .compose(jobs -> ports.campaigns().funnel(jobs)).map(Campaigns.Funnel::toJson);
  }

  /** Pause (APPLYING → PAUSED): no next step starts; the running step's job runs on. */
  private Future<JsonObject> control(FleetRecord f, FleetStatus from, FleetStatus to) {
    return ports.applies().transition(f.name(), from, new FleetApplies.Progress(to, f.applyStep(), f.applyJob(),
            f.applyJob() == null ? clock.currentTimeMillis() : clock.currentTimeMillis() + FleetApplier.CHECK_MS,
            f.rollout(), null, f.applyPlan(), null))
        .compose(done -> done ? store.fleet(f.name()).compose(now -> FleetViews.load(store, now))
            : Future.failedFuture(Problem.conflict("Fleet '" + f.name() + "' is " + f.status() + ", not " + from
                + ".")));
  }

  /** Resume: a PAUSED apply goes on where it was; a HALTED one goes on with its next step, now. */
  private Future<JsonObject> resume(FleetRecord f) {
    if (f.status() == FleetStatus.HALTED) {
      JsonObject rollout = f.rollout() == null ? new JsonObject() : f.rollout().copy().put("haltedReason", null);
      return ports.applies().transition(f.name(), FleetStatus.HALTED, new FleetApplies.Progress(FleetStatus.APPLYING,
              f.applyStep() + 1, null, clock.currentTimeMillis(), rollout, null, f.applyPlan(), null))
          .compose(done -> done ? wakeThen(f) : Future.failedFuture(Problem.conflict("Fleet '" + f.name()
              + "' is no longer HALTED.")));
    }
    return control(f, FleetStatus.PAUSED, FleetStatus.APPLYING).onSuccess(v -> tick());
  }

  /** Rollback (HALTED): removes exactly what the halted apply's steps installed; the fleet is as before it. */
  private Future<JsonObject> rollback(FleetRecord f) {
    if (f.status() != FleetStatus.HALTED) {
      return Future.failedFuture(Problem.conflict("Only a HALTED apply can be rolled back; fleet '" + f.name()
          + "' is " + f.status() + "."));
    }
    return new Rollback(applier.uninstaller(), ports.installs()).run(f.name(), f.applyPlan())
        .compose(rolled -> {
          Uninstaller.Tally result = rolled.tally();
          if (rolled.left() > 0) {
            // Still HALTED: what could not be removed now is tried again by the next rollback.
            return Future.succeededFuture(result.toJson().put("name", f.name()).put("status", f.status().name())
                .put("lastError", result.lastError()));
          }
          FleetStatus back = f.appliedGeneration() == null ? FleetStatus.PENDING : FleetStatus.CONVERGED;
          JsonObject rollout = f.rollout() == null ? new JsonObject() : f.rollout().copy();
          rollout.put("step", null).put("haltedReason", null).put("rolledBack", true);
          return ports.applies().transition(f.name(), FleetStatus.HALTED, new FleetApplies.Progress(back, null, null,
                  null, rollout, null, f.applyPlan(), null))
              .map(done -> {
                LogKeys.fleet(log.atInfo(), f.name()).log("fleet {}: halted apply rolled back ({} removed, {} "
                    + "already gone)", f.name(),
                    result.removed(), result.alreadyGone());
                return result.toJson().put("name", f.name()).put("status", done ? back.name() : f.status().name());
              });
        });
  }

  private Future<JsonObject> wakeThen(FleetRecord f) {
    vertx.eventBus().publish(Addresses.FLEETS_WAKE, null);
    return store.fleet(f.name()).compose(now -> FleetViews.load(store, now));
  }

  /**
   * Plans the fleet now: {@code {"name","answerWithinMs"?}} → the plan, READY; with {@code answerWithinMs}, a plan
   * still reading Cyclr by then is answered as it stands (status OPEN) and goes on, to be read with
   * {@code plan-status} (an HTTP connection must not sit silent for the minutes a big fleet takes).
   */
  private Future<JsonObject> plan(Message<JsonObject> msg) {
    Long within = msg.body().getLong("answerWithinMs");
    return visible(msg).compose(f -> {
      Promise<String> opened = Promise.promise();
      Future<JsonObject> done = planning.run(f, new EnumMap<>(DriftKind.class), () -> true,
          opened::tryComplete).map(FleetPlans.PlanRecord::toJson);
      if (within == null) {
        return done;
      }
      Promise<JsonObject> answer = Promise.promise();
      long timer = vertx.setTimer(Math.max(1, within), t -> opened.future()
          .compose(id -> plans.plan(f.name(), id))
          .onSuccess(open -> answer.tryComplete(open.toJson()))
          .onFailure(answer::tryFail));
      done.onComplete(ar -> {
        vertx.cancelTimer(timer);
        if (ar.succeeded()) {
          answer.tryComplete(ar.result());
        } else if (!answer.tryFail(ar.cause())) {
          LogKeys.fleet(log.atWarn(), f.name()).log("fleet {}: a plan answered as OPEN did not finish: {}", f.name(),
              ar.cause().getMessage());
        }
      });
      return answer.future();
    });
  }

  /** One plan: {@code {"name","planId"}} → the plan (OPEN while it is read, READY, APPLIED); 404 if unknown. */
  private Future<JsonObject> planStatus(Message<JsonObject> msg) {
    String planId = msg.body().getString("planId");
    return visible(msg).compose(f -> planId == null ? Future.succeededFuture(null) : plans.plan(f.name(), planId))
        .compose(plan -> plan == null ? Future.failedFuture(Problem.notFound("No plan with that id."))
            : Future.succeededFuture(plan.toJson()));
  }

  /** A plan's lines: {@code {"name","planId","action"?,"cursor"?,"limit"?}} → {@code {"items","next"}}. */
  private Future<JsonObject> actions(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    String actionText = q.getString("action");
    PlanAction action = actionText == null ? null : PlanAction.parse(actionText);
    if (actionText != null && action == null) {
      throw Problem.badRequest("action must be one of " + java.util.Arrays.toString(PlanAction.values()));
    }
    int limit = Math.max(1, Math.min(200, q.getInteger("limit", 100)));
    String planId = q.getString("planId");
    return visible(msg).compose(f -> plans.plan(f.name(), planId)).compose(plan -> plan == null || planId == null
            ? Future.failedFuture(Problem.notFound("No plan with that id."))
            : plans.actions(plan.id(), action, q.getString("cursor"), limit))
        .map(page -> new JsonObject()
            .put("items", new JsonArray(page.items().stream().map(FleetPlans.ActionRow::toJson).toList()))
            .put("next", page.next()));
  }

  /** {@code confirmPrune} of an apply: null, or a count (400 otherwise). */
  private static Long confirmPrune(JsonObject body) {
    Object v = body.getValue("confirmPrune");
    if (v != null && !(v instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue())) {
      throw Problem.badRequest("confirmPrune must be the number of tenants the plan uninstalls (a whole number).");
    }
    return v == null ? null : ((Number) v).longValue();
  }

  /**
   * Deletes the fleet when {@code confirm} is its tenant count: with {@code uninstall} false it is forgotten at once
   * (its installs stay); with {@code uninstall} true it becomes {@code DELETING} while what it installed is removed
   * (by the applier, on any node), then it is forgotten.
   */
  private Future<JsonObject> delete(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    Object confirm = q.getValue("confirm");
    Object uninstallRaw = q.getValue("uninstall");
    if (uninstallRaw != null && !(uninstallRaw instanceof Boolean)) {
      throw Problem.badRequest("uninstall must be true or false.");
    }
    boolean uninstall = Boolean.TRUE.equals(uninstallRaw);
    return visible(msg).compose(f -> {
      if (!(confirm instanceof Number n) || n.longValue() != f.tenantCount()) {
        return Future.failedFuture(Problem.of(409, "confirm-mismatch", "Confirmation needed", "To delete fleet '"
            + f.name() + "'" + (uninstall ? " and uninstall what it installed" : "") + ", pass confirm="
            + f.tenantCount() + " (its tenant count)" + (confirm == null ? "" : "; " + confirm + " is not it") + "."));
      }
      if (f.status() == FleetStatus.APPLYING) {
        return Future.failedFuture(Problem.conflict("The fleet is being applied; pause it first."));
      }
      if (uninstall) {
        return offboard(f);
      }
      return store.delete(f.name()).map(deleted -> {
        LogKeys.fleet(log.atInfo(), f.name()).log("fleet {} deleted ({} tenants; installs kept)", f.name(),
            f.tenantCount());
        return new JsonObject().put("name", f.name()).put("deleted", deleted).put("uninstalled", 0);
      });
    });
  }

  /** Starts the uninstall of a whole fleet (again: a fleet already DELETING just answers where it is). */
  private Future<JsonObject> offboard(FleetRecord f) {
    Future<Boolean> begun = f.status() == FleetStatus.DELETING ? Future.succeededFuture(true)
        : stepJobRunning(f).compose(running -> running
            ? Future.failedFuture(Problem.conflict("A step of fleet '" + f.name() + "' is still running; wait for "
                + "its job to end before deleting with uninstall=true."))
            : ports.installs().beginDelete(f.name(), f.status(), "delete:" + java.util.UUID.randomUUID(),
                new JsonObject().put("uninstall", new JsonObject().put("removed", 0).put("alreadyGone", 0)
                    .put("failed", 0)), clock.currentTimeMillis()));
    return begun.compose(ok -> {
      if (!ok) {
        return Future.failedFuture(Problem.conflict("Fleet '" + f.name() + "' changed meanwhile; try again."));
      }
      log.info("fleet {}: delete with uninstall begun ({} tenants)", f.name(), f.tenantCount());
      vertx.eventBus().publish(Addresses.FLEETS_WAKE, null);
      return store.fleet(f.name()).map(now -> new JsonObject().put("name", f.name()).put("deleted", false)
          .put("status", FleetStatus.DELETING.name())
          .put("uninstall", now == null || now.rollout() == null ? null : now.rollout().getJsonObject("uninstall")));
    });
  }

  /** Whether the fleet's current step job (a paused or halted apply's) has not ended yet. */
  private Future<Boolean> stepJobRunning(FleetRecord f) {
    return f.applyJob() == null ? Future.succeededFuture(false)
        : ports.jobs().job(f.applyJob()).map(job -> job != null && !job.status().terminal());
  }

  private static void fail(Message<?> msg, Throwable err) {
    Problem p = StoreProblems.of(err);
    if (p == null) {
      log.error("request on {} failed: {}", msg.address(), err.toString());
      p = StoreProblems.internal();
    }
    msg.fail(p.status(), p.toJson().encode());
  }
}
