package io.onboarder.fleet;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.fleet.FleetInstalls.Installed;
import io.onboarder.fleet.FleetInstalls.Removal;
import io.onboarder.fleet.FleetInstalls.Scope;
import io.onboarder.intake.JobIntake;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves applies on, step by step, on any node: an apply's state is the fleet's row (plan, step, the
 * step's job, when the next step may start), and a node works on it only while it holds the row's lease,
 * so a crash or a rollout mid-step just leaves it for the next node (the step's job runs on as any job
 * does; a step submitted twice is one job, by its idempotency key). A step is an ordinary job, submitted
 * through the {@link JobIntake}; when it ends its failure share decides: halt, next step after the
 * policy's pause, or converged. A plan's UNINSTALL lines (prune) run as the apply's last stage, after every job
 * step went well (so a halted apply has removed nothing), batch by batch under the same lease; a fleet deleted with
 * {@code uninstall=true} ({@code DELETING}) is offboarded the same way, then forgotten.
 */
final class FleetApplier {
  private static final Logger log = LoggerFactory.getLogger(FleetApplier.class);
  /** How often a running step's job is looked at when no job event says it ended (and a lost wake-up is caught). */
  static final long CHECK_MS = 5_000;
  /** Outcomes read back per page of a finished step's items. */
  private static final int OUTCOME_PAGE = 1000;

  /** A delete whose removals failed in part tries again after this long. */
  static final long DELETE_RETRY_MS = 60_000;

  /** The ports an applier uses. */
  record Ports(FleetPlans plans, FleetApplies applies, JobIntake intake, JobRecords jobs, ItemQueue items,
               FleetInstalls installs, AccountQueue accounts, FleetStore fleets) {}

  private final Vertx vertx;
  private final Clock clock;
  private final NodeLifecycle node;
  private final long leaseMs;
  private final HeldFleets held;
  private final Ports ports;
  private final JobRequestValidator validator;
  private final Uninstaller uninstaller;

  FleetApplier(Vertx vertx, Clock clock, NodeLifecycle node, long leaseMs, HeldFleets held, Ports ports,
               JobRequestValidator validator) {
    this.vertx = vertx;
    this.clock = clock;
    this.node = node;
    this.leaseMs = leaseMs;
    this.held = held;
    this.ports = ports;
    this.validator = validator;
    this.uninstaller = new Uninstaller(vertx, clock, ports.installs(), node, leaseMs);
  }

  Uninstaller uninstaller() {
    return uninstaller;
  }

  /**
   * An apply nobody asked for (autoApply, autoRepair): as {@link #apply(FleetRecord, String, Long, boolean)}, except
   * that a prune over the policy's limit is left out (its tenants are planned again) instead of refused.
   */
  Future<JsonObject> apply(FleetRecord f, String planId) {
    return apply(f, planId, null, false);
  }

  /**
   * Starts applying {@code planId} (null: the fleet's newest plan) and submits its first step now: 409 if
   * the plan is stale (the generation or the observed live state moved) or the fleet is already applying,
   * or ({@code byCaller}) if its prune is over {@code maxPrunePercent} and {@code confirmPrune} is not its count.
   */
  Future<JsonObject> apply(FleetRecord f, String planId, Long confirmPrune, boolean byCaller) {
    return ports.plans().plan(f.name(), planId).compose(plan -> {
      if (plan == null) {
        return Future.failedFuture(Problem.notFound(planId == null ? "Fleet '" + f.name() + "' has no plan: POST "
            + "/v1/fleets/" + f.name() + "/plan first." : "No plan with that id."));
      }
      if (f.status() == FleetStatus.APPLYING || f.status() == FleetStatus.PAUSED || f.status() == FleetStatus.HALTED) {
        return Future.failedFuture(Problem.conflict("Fleet '" + f.name() + "' is " + f.status() + ": resume it, or "
            + "roll back a halted apply, before applying again."));
      }
      if (!"READY".equals(plan.status()) || plan.generation() != f.generation()
          || plan.stateVersion() == null || plan.stateVersion() != f.stateVersion()) {
        return Future.failedFuture(stale(f, plan));
      }
      FleetSpec spec = PlanRun.spec(f, validator);
      long prune = plan.summary().getOrDefault(PlanAction.UNINSTALL, 0L);
      Problem refused = pruneRefused(f, spec.policy(), prune, confirmPrune);
      if (refused != null && byCaller) {
        return Future.failedFuture(refused);
      }
      if (refused != null) {
        LogKeys.fleet(log.atInfo(), f.name()).log("fleet {}: applied without its prune ({}); apply it with "
            + "confirmPrune", f.name(), refused.getMessage());
      }
      JsonObject rollout = Rollout.view(1, spec.policy().steps(), null, null);
      Future<Void> allowed = prune > 0 && refused == null ? ports.installs().allowPrune(plan.id())
          : Future.succeededFuture();
      return allowed.compose(x -> ports.applies().begin(f.name(), plan.id(), plan.generation(), plan.stateVersion(), rollout,
              clock.currentTimeMillis())
          .compose(begun -> !begun ? Future.failedFuture(stale(f, plan))
              : ports.applies().claimDue(node.nodeId(), leaseMs, clock.currentTimeMillis(), 1, f.name())
                  .compose(claimed -> claimed.isEmpty() ? Future.succeededFuture() : advance(claimed.get(0)))))
          .compose(v -> ports.applies().jobIds(plan.id()))
          .map(jobs -> new JsonObject().put("planId", plan.id()).put("jobIds", new JsonArray(jobs)));
    });
  }

  /**
   * Why {@code prune} removals may not run in one apply (null: they may): over {@code maxPrunePercent} of the fleet
   * (its tenants in the spec plus those to remove) without {@code confirm}, or a {@code confirm} that is not their
   * number.
   */
  static Problem pruneRefused(FleetRecord f, FleetPolicy policy, long prune, Long confirm) {
    if (confirm != null && confirm != prune) {
      return Problem.of(409, "prune-confirmation-mismatch", "Prune count does not match", "confirmPrune="
          + confirm + " does not match this plan, which uninstalls " + prune + " tenant(s) of fleet '" + f.name()
          + "'. Look at its UNINSTALL lines, then apply with ?confirmPrune=" + prune + ".");
    }
    long size = f.tenantCount() + prune;
    long allowed = (long) Math.floor(size * policy.maxPrunePercent() / 100.0);
    if (confirm != null || prune <= allowed) {
      return null;
    }
    return Problem.of(409, "prune-confirmation-required", "Prune needs confirmation", "This apply would uninstall "
        + prune + " of the " + size + " tenants of fleet '" + f.name() + "' (" + Math.round(prune * 1000.0 / size)
        / 10.0 + " %), more than its maxPrunePercent (" + policy.maxPrunePercent() + " %, at most " + allowed
        + "). To go ahead, apply again with ?confirmPrune=" + prune + ".");
  }

  private static Problem stale(FleetRecord f, FleetPlans.PlanRecord plan) {
    return Problem.conflict(plan.generation() != f.generation()
        ? "The plan was made at generation " + plan.generation() + "; the fleet is at " + f.generation()
            + ". Plan again."
        : "The tenants' live state at Cyclr moved since the plan was made (or the plan was applied). Plan again.");
  }

  /** Looks for applies due on any fleet and moves each on (called on the service's context). */
  Future<Void> tick() {
    if (!node.mayClaim()) {
      return Future.succeededFuture();
    }
    return ports.applies().claimDue(node.nodeId(), leaseMs, clock.currentTimeMillis(), 8, null).compose(fleets -> {
      Future<Void> all = Future.succeededFuture();
      for (FleetRecord f : fleets) {
        all = all.compose(v -> advance(f).recover(err -> {
          LogKeys.fleet(log.atWarn(), f.name())
              .log("fleet {}: the apply could not move on now ({}); it is tried again", f.name(), err.toString());
          return ports.applies().progress(f.name(), node.nodeId(), new FleetApplies.Progress(f.status(),
              f.applyStep(), f.applyJob(), clock.currentTimeMillis() + CHECK_MS, f.rollout(), null, f.applyPlan(),
              null))
              .<Void>mapEmpty().recover(e -> Future.succeededFuture());
        }));
      }
      return all;
    });
  }

  /**
   * One move of a leased apply: submit its step, or look at the step's job and decide what comes next. The
   * lease is renewed while it runs (a big step's job takes a while to write).
   */
  private Future<Void> advance(FleetRecord f) {
    return held.hold(f.name(), () -> move(f));
  }

  private Future<Void> move(FleetRecord f) {
    if (f.status() == FleetStatus.DELETING) {
      return offboard(f);
    }
    FleetSpec spec = PlanRun.spec(f, validator);
    return ports.plans().plan(f.name(), f.applyPlan()).compose(plan -> {
      long changing = plan.summary().entrySet().stream().filter(e -> e.getKey().byJob())
          .mapToLong(java.util.Map.Entry::getValue).sum();
      long[] cuts = Rollout.cuts(spec.policy().steps(), changing);
      int step = f.applyStep();
      if (f.applyJob() == null && step >= cuts.length) {
        return prune(f, spec, plan, cuts.length);
      }
      if (f.applyJob() == null) {
        return submitStep(f, spec, plan, cuts, step);
      }
      return ports.jobs().job(f.applyJob()).compose(job -> {
        if (job == null || !job.status().terminal()) {
          // Due at once: the job's end (its event) or the next periodic look moves it on.
          return progress(f, FleetStatus.APPLYING, step, f.applyJob(), clock.currentTimeMillis(), f.rollout(), null);
        }
        return ports.jobs().counts(job.id()).compose(counts -> recordOutcomes(f, job.id(),
                spec.fields().template() != null)
            .compose(v -> {
              long failed = counts.getOrDefault(ItemStatus.FAILED, 0L);
              if (Rollout.halts(failed, job.total(), spec.policy().haltOnFailurePercent())) {
                String reason = "step " + (step + 1) + ": " + failed + " of " + job.total() + " tenants failed ("
                    + Math.round(failed * 1000.0 / job.total()) / 10.0 + " % > "
                    + spec.policy().haltOnFailurePercent() + " %)";
                return progress(f, FleetStatus.HALTED, step, f.applyJob(), null,
                    Rollout.view(step + 1, spec.policy().steps(), reason, null), null,
                    new FleetEvent(f.name(), f.generation(), FleetEvent.HALTED, new JsonObject().put("step", step + 1)
                        .put("failed", failed).put("total", job.total()).put("reason", reason)));
              }
              return next(f, spec, plan, cuts, step + 1);
            }));
      });
    });
  }

  /** After step {@code step - 1} ended well: the next step after the pause, or the apply is done. */
  private Future<Void> next(FleetRecord f, FleetSpec spec, FleetPlans.PlanRecord plan, long[] cuts, int step) {
    if (step >= cuts.length) {
      return plan.summary().getOrDefault(PlanAction.UNINSTALL, 0L) > 0 ? prune(f, spec, plan, cuts.length)
          : converge(f, spec, plan, null);
    }
    if (spec.policy().pauseSeconds() == 0) {
      return submitStep(f, spec, plan, cuts, step); // no pause: on at once, under the same lease
    }
    long pauseMs = spec.policy().pauseSeconds() * 1000L;
    long due = clock.currentTimeMillis() + pauseMs;
    // Any node's periodic look starts the step once due; this node also wakes everyone then.
    clock.schedule(pauseMs, () -> vertx.runOnContext(v -> vertx.eventBus().publish(Addresses.FLEETS_WAKE, null)));
    return progress(f, FleetStatus.APPLYING, step, null, due, Rollout.view(step, spec.policy().steps(), null, due),
        null);
  }

  private Future<Void> submitStep(FleetRecord f, FleetSpec spec, FleetPlans.PlanRecord plan, long[] cuts, int step) {
    long from = step == 0 ? 0 : cuts[step - 1];
    long to = cuts[step];
    if (to <= from) {
      return next(f, spec, plan, cuts, step + 1); // an empty step (few tenants): nothing to run
    }
    return ports.applies().stepTenants(f.name(), plan.id(), from, (int) (to - from)).compose(tenants -> {
      JobRequest request = spec.fields().withItems(tenants.stream().map(DesiredTenant::item).toList())
          .asFleetStep(f.name(), step + 1);
      String key = "fleet:" + f.name() + ":" + plan.id() + ":" + (step + 1);
      return ports.intake().submit(request, f.owner(), key).compose(accepted -> {
        String jobId = accepted.summary().getString("id");
        LogKeys.job(LogKeys.fleet(log.atInfo(), f.name()), jobId, f.owner()).log(
            "fleet {}: step {} of {} runs as job {} ({} tenants)", f.name(), step + 1, cuts.length, jobId,
            tenants.size());
        return ports.applies().markStep(plan.id(), tenants.stream().map(DesiredTenant::account).toList(), step + 1,
                jobId)
            .compose(v -> progress(f, FleetStatus.APPLYING, step, jobId, clock.currentTimeMillis(),
                Rollout.view(step + 1, spec.policy().steps(), null, null), null));
      });
    });
  }

  private Future<Void> converge(FleetRecord f, FleetSpec spec, FleetPlans.PlanRecord plan, JsonObject uninstall) {
    JsonObject view = Rollout.view(null, spec.policy().steps(), null, null);
    if (uninstall != null) {
      view.put("uninstall", uninstall);
    }
    return progress(f, FleetStatus.CONVERGED, null, null, null, view, plan.generation(),
        new FleetEvent(f.name(), plan.generation(), FleetEvent.CONVERGED, plan.toJson().getJsonObject("summary")));
  }

  /**
   * The prune stage (after the last job step, {@code step} = the number of steps): the plan's UNINSTALL lines lose
   * what the fleet installed, for about a third of the lease at a time; then the apply has converged. A removal that
   * failed leaves its tenant out of the spec with its installs: the next plan lists it again.
   */
  private Future<Void> prune(FleetRecord f, FleetSpec spec, FleetPlans.PlanRecord plan, int step) {
    Removal r = new Removal(Scope.PRUNE, f.name(), plan.id(), plan.id());
    return uninstaller.run(r, leaseMs / 3).compose(t -> {
      JsonObject counts = t.addTo(Uninstaller.counts(f));
      if (!t.more()) {
        LogKeys.fleet(log.atInfo(), f.name()).log("fleet {}: prune done ({})", f.name(), counts.encode());
        return converge(f, spec, plan, counts);
      }
      JsonObject view = Rollout.view(step, spec.policy().steps(), null, null).put("stage", "prune")
          .put("uninstall", counts);
      return progress(f, FleetStatus.APPLYING, step, null, clock.currentTimeMillis(), view, null)
          .onSuccess(x -> vertx.eventBus().publish(Addresses.FLEETS_WAKE, null));
    });
  }

  /**
   * A fleet being deleted with {@code uninstall=true}: everything it installed is removed, batch by batch; once
   * nothing is left it is forgotten. Removals that failed are tried again in a new pass after
   * {@link #DELETE_RETRY_MS}; the fleet stays {@code DELETING}, its {@code rollout.uninstall} says how far it got.
   */
  private Future<Void> offboard(FleetRecord f) {
    Removal r = new Removal(Scope.ALL, f.name(), null, f.applyPlan());
    return uninstaller.run(r, leaseMs / 3).compose(t -> {
      JsonObject rollout = (f.rollout() == null ? new JsonObject() : f.rollout().copy())
          .put("uninstall", t.addTo(Uninstaller.counts(f)));
      long now = clock.currentTimeMillis();
      if (t.more()) {
        return deleting(f, f.applyPlan(), now, rollout)
            .onSuccess(x -> vertx.eventBus().publish(Addresses.FLEETS_WAKE, null));
      }
      return ports.installs().remaining(r).compose(left -> {
        if (left == 0) {
          LogKeys.fleet(log.atInfo(), f.name()).log("fleet {} offboarded and deleted ({})", f.name(),
              rollout.getJsonObject("uninstall").encode());
          return ports.fleets().delete(f.name()).mapEmpty();
        }
        rollout.getJsonObject("uninstall").put("remaining", left).put("lastError", t.lastError());
        LogKeys.fleet(log.atWarn(), f.name()).log("fleet {}: {} tenants still have installs to remove ({}); tried "
            + "again in {} s", f.name(), left, t.lastError(), DELETE_RETRY_MS / 1000);
        return deleting(f, "delete:" + UUID.randomUUID(), now + DELETE_RETRY_MS, rollout);
      });
    });
  }

  private Future<Void> deleting(FleetRecord f, String pass, long dueMs, JsonObject rollout) {
    return ports.applies().progress(f.name(), node.nodeId(), new FleetApplies.Progress(FleetStatus.DELETING, null,
        null, dueMs, rollout, null, pass, null, null)).mapEmpty();
  }

  /**
   * Writes what the step's job did on each tenant, page by page: from its items ({@link #outcome}), then with a
   * template from its accounts ({@link #accountOutcome}: the cycle); and what of it the fleet installed
   * ({@link #installedConnector}, {@link #installedCycle}).
   */
  private Future<Void> recordOutcomes(FleetRecord f, String jobId, boolean template) {
    Future<Void> items = recordPages(f, jobId, cursor -> ports.items().page(jobId, null, OUTCOME_PAGE, cursor),
        FleetApplier::outcome, FleetApplier::installedConnector, null);
    return !template ? items : items.compose(v -> recordPages(f, jobId,
        cursor -> ports.accounts().page(jobId, null, OUTCOME_PAGE, cursor), FleetApplier::accountOutcome,
        FleetApplier::installedCycle, null));
  }

  private Future<Void> recordPages(FleetRecord f, String jobId, Function<String, Future<ItemPage>> pages,
                                   Function<JsonObject, FleetApplies.TenantOutcome> outcome,
                                   Function<JsonObject, Installed> installed, String cursor) {
    return pages.apply(cursor).compose(page -> {
      List<FleetApplies.TenantOutcome> outcomes = new ArrayList<>();
      List<Installed> fleets = new ArrayList<>();
      for (Object o : page.items()) {
        FleetApplies.TenantOutcome one = outcome.apply((JsonObject) o);
        if (one != null) {
          outcomes.add(one);
        }
        Installed mine = installed.apply((JsonObject) o);
        if (mine != null) {
          fleets.add(mine);
        }
      }
      // What the fleet installed first: a cycle is the fleet's when the plan saw none, which the outcome overwrites.
      return ports.installs().recordInstalls(f.name(), f.applyPlan(), fleets)
          .compose(v -> ports.applies().recordOutcomes(f.name(), jobId, outcomes))
          .compose(v -> page.next() == null ? Future.succeededFuture()
              : recordPages(f, jobId, pages, outcome, installed, page.next()));
    });
  }

  /** The connector an item installed now (not one it found), or null. */
  static Installed installedConnector(JsonObject item) {
    Long acId = item.getLong("accountConnectorId");
    return "INSTALLED".equals(item.getString("status")) && acId != null
        ? new Installed(item.getString("account"), acId, null) : null;
  }

  /** The cycle an account of a step's job ended with (the store decides whether the fleet installed it), or null. */
  static Installed installedCycle(JsonObject account) {
    String cycleId = account.getString("cycleId");
    return cycleId == null ? null : new Installed(account.getString("account"), null, cycleId);
  }

  /**
   * A tenant's state from its account in a step's job: {@code ACTIVE} (cycle activated), {@code SETUP_REQUIRED}
   * (the cycle waits for the tenant to set up its prerequisites), {@code CONNECTED} (cycle installed, no activation
   * asked), {@code FAILED}; null while the account waits (on its sign-in: the item's state stands).
   */
  static FleetApplies.TenantOutcome accountOutcome(JsonObject account) {
    String name = account.getString("account");
    String cycleId = account.getString("cycleId");
    return switch (String.valueOf(account.getString("status"))) {
      case "ACTIVE" -> new FleetApplies.TenantOutcome(name, TenantState.ACTIVE, null, true, false, null, cycleId,
          "Active");
      case "SETUP_REQUIRED" -> new FleetApplies.TenantOutcome(name, TenantState.SETUP_REQUIRED, null, true, false,
          null, cycleId, null);
      case "INSTALLED" -> new FleetApplies.TenantOutcome(name, TenantState.CONNECTED, null, true, false, null,
          cycleId, null);
      case "FAILED" -> new FleetApplies.TenantOutcome(name, TenantState.FAILED, null, null, false, null, cycleId,
          null);
      default -> null;
    };
  }

  /**
   * A tenant's state from its item in a step's job. Cyclr has had the tenant's credentials (the spec's, if it gives
   * any) when the item installed or found the install, or when Cyclr refused them ({@code CREDENTIALS_REFUSED}): a
   * later refusal of the same credentials is then not repaired by giving them again.
   */
  static FleetApplies.TenantOutcome outcome(JsonObject item) {
    ItemStatus status = ItemStatus.valueOf(item.getString("status"));
    Long acId = item.getLong("accountConnectorId");
    JsonObject oauth = item.getJsonObject("oauth");
    String url = oauth == null ? null : oauth.getString("url");
    String account = item.getString("account");
    JsonObject error = item.getJsonObject("error");
    boolean refused = error != null && Planner.REFUSED_CODE.equals(error.getString("code"));
    return switch (status) {
      case INSTALLED -> new FleetApplies.TenantOutcome(account, TenantState.CONNECTED, acId, true, true, url, true);
      case ALREADY_INSTALLED, AUTHENTICATED -> new FleetApplies.TenantOutcome(account, TenantState.CONNECTED, acId,
          true, false, url, true);
      case OAUTH_PENDING -> new FleetApplies.TenantOutcome(account, TenantState.WAITING_SIGN_IN, acId, false,
          acId != null, url, true);
      case FAILED -> new FleetApplies.TenantOutcome(account, TenantState.FAILED, acId, null, false, url, refused);
      default -> null;
    };
  }

  private Future<Void> progress(FleetRecord f, FleetStatus status, Integer step, String jobId, Long dueMs,
                                JsonObject rollout, Long appliedGeneration) {
    return progress(f, status, step, jobId, dueMs, rollout, appliedGeneration, null);
  }

  /** Writes where the apply goes, with {@code event} (may be null), published once the write counted. */
  private Future<Void> progress(FleetRecord f, FleetStatus status, Integer step, String jobId, Long dueMs,
                                JsonObject rollout, Long appliedGeneration, FleetEvent event) {
    // A converged fleet is reconciled next after its policy's interval.
    Long reconcileDue = status != FleetStatus.CONVERGED ? null
        : clock.currentTimeMillis() + PlanRun.spec(f, validator).policy().reconcileIntervalSeconds() * 1000L;
    return ports.applies().progress(f.name(), node.nodeId(), new FleetApplies.Progress(status, step, jobId, dueMs,
            rollout, appliedGeneration, f.applyPlan(), reconcileDue, event))
        .onSuccess(written -> publish(vertx, written ? event : null)).mapEmpty();
  }

  /** Publishes {@code event} on {@value Addresses#EVENTS_FLEET} (nothing for null). */
  static void publish(Vertx vertx, FleetEvent event) {
    if (event != null) {
      vertx.eventBus().publish(Addresses.EVENTS_FLEET, event.toJson());
    }
  }
}
