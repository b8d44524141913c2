package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.bus.GatewayContract.AccountStepRequest;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.onboarder.metrics.Metrics;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: onboards the accounts of jobs with a template on a {@link LeasePump} of its own. The pump
 * leases due accounts from the shared store (over all jobs, finished ones too: a tenant may sign in after
 * its job finished) only while there is room in flight; this class decides from the account's items
 * whether it may go on ({@link AccountReadiness}) and sends the account step to this node's gateway (which
 * shares its rate limit and concurrency cap with the items). The store records outcomes in batches with
 * their account events, and finishes a job whose accounts have settled in the same transaction. Like the
 * {@link Dispatcher}, it keeps no correctness rule in memory: the store decides who runs an account step
 * (leases) and when it is due.
 */
public final class AccountSteps extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AccountSteps.class);
  private static final int MAX_CLAIM = 64;
  private static final int FLUSH_AT = 32;
  private static final long FLUSH_DELAY_MS = 10;
  /** Due accounts are looked for at least this often (a watch coming due, a lease taken over). */
  private static final long POLL_MS = 1_000;
  /** Waits that ended unnoticed (a sign-in seen by the sign-in watch) are swept this often... */
  private static final long SWEEP_MS = 5_000;
  /** ... and accounts whose items all ended without marking them due (a safety net), this many sweeps apart. */
  private static final int FULL_SWEEP_EVERY = 6;
  private static final long WAKE_DELAY_MS = 20;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.DAYS.toMillis(7));

  private final Settings settings;
  private final JobRecords jobs;
  private final AccountQueue store;
  private final NodeLifecycle node;
  private final SignInPolicy signInPolicy;
  private final JobSpecs specs;
  /**
   * Whether a job has a template, learned once per job (a cache: a job missing here is looked up). Item
   * outcomes of jobs without one never make an account due, so they need not wake the account steps.
   */
  private final Map<String, Boolean> templated = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > 4096;
    }
  };
  private final List<Long> timers = new ArrayList<>();
  private LeasePump<ClaimedAccount, AccountOutcome> pump;
  private boolean draining;
  private long wakeTimer = -1;
  private int sweeps;
  private Future<Integer> drained;

  public AccountSteps(Settings settings, JobRecords jobs, AccountQueue store, NodeLifecycle node) {
    this.settings = settings;
    this.jobs = jobs;
    this.store = store;
    this.node = node;
    this.signInPolicy = SignInPolicy.of(settings);
    this.specs = new JobSpecs(jobs, 256);
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    pump = pump(Clock.of(vertx), request -> bus.<AccountStepReply>request(Addresses.GATEWAY_ACCOUNT, request,
        TO_GATEWAY).map(Message::body));
    Metrics.current().gauge("onboarder.accounts.inflight", "Account steps being run at Cyclr by this node now",
        pump::inFlight);
    List<MessageConsumer<?>> consumers = List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_WORK, msg -> wake()),
        // Local: the node that recorded an item wakes its own account steps; the others find due accounts by
        // polling. (A cluster-wide consumer would pull every item event to every node.)
        bus.<JsonObject>localConsumer(Addresses.EVENTS_ITEM, msg -> itemChanged(msg.body())),
        bus.<JsonObject>localConsumer(Addresses.ACCOUNTS_DRAIN, this::drain));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).onSuccess(v -> {
      // The node renews the pump's leases and sweeps for expired ones, on this loop; it wakes it once started.
      node.register(pump);
      pump.start();
      timers.add(vertx.setPeriodic(SWEEP_MS, t -> sweep()));
      sweep();
    });
  }

  /** The account steps' pump on {@code clock}, sending through {@code gateway} (an account step request). */
  LeasePump<ClaimedAccount, AccountOutcome> pump(Clock clock,
                                                 Function<AccountStepRequest, Future<AccountStepReply>> gateway) {
    // An account step is a few calls in a row (cycles, install, prerequisites, activation), with store and
    // event-bus work in between: like the items' window, three steps per request slot keep every slot busy
    // when only account steps are left. Memory stays bounded by the window.
    int maxInFlight = Math.max(8, settings.maxConcurrency() * 3);
    LeasePump.Options options = new LeasePump.Options(maxInFlight, Math.max(1, maxInFlight / 4), MAX_CLAIM,
        FLUSH_AT, FLUSH_DELAY_MS, POLL_MS, POLL_MS);
    AccountLeases queue = new AccountLeases(store, node.nodeId(), settings.leaseMs(), this::settled, this::wake);
    return new LeasePump<>("account step", clock, queue, new LeasePump.Sender<>() {
      @Override
      public Future<AccountOutcome> send(ClaimedAccount a) {
        return specs.of(a.jobId()).compose(spec -> step(a, spec, gateway));
      }

      @Override
      public AccountOutcome failed(ClaimedAccount a, Throwable cause) {
        LogKeys.job(log.atWarn(), a.jobId()).addKeyValue(LogKeys.ACCOUNT, a.account())
            .log("account step of {} (job {}) did not run: {}", a.account(), a.jobId(), cause.getMessage());
        return AccountOutcome.handBack(a, a.recovered());
      }
    }, options, node::mayClaim, new LeasePump.Listener<>() {
      @Override
      public void claimed(List<ClaimedAccount> units) {
        node.claimed();
      }

      @Override
      public void storeFailed(Throwable cause) {
        node.storeFailed("account steps", cause);
      }
    });
  }

  // ---- what makes accounts due -----------------------------------------------------------------

  /**
   * Item outcomes mark their account due in the store; a signed-in item (the sign-in watch's AUTHENTICATED)
   * is nudged here. Either way, look for due accounts soon (coalesced).
   */
  private void itemChanged(JsonObject event) {
    String status = event == null ? null : event.getString("status");
    if (status == null || AccountReadiness.UNFINISHED.contains(status)) {
      return;
    }
    if (status.equals("AUTHENTICATED") && event.getString("jobId") != null && event.getString("account") != null) {
      // The sign-in watch changed the item outside an item outcome: nothing marked its account due yet.
      store.nudge(event.getString("jobId"), event.getString("account")).onComplete(ar -> wake());
      return;
    }
    String jobId = event.getString("jobId");
    Boolean known = jobId == null ? Boolean.TRUE : templated.get(jobId);
    if (known == null) {
      templated.put(jobId, Boolean.TRUE); // until the lookup answers, wake as before
      jobs.job(jobId).onComplete(ar -> {
        if (ar.succeeded()) {
          templated.put(jobId, ar.result() == null || ar.result().hasTemplate());
        } else {
          templated.remove(jobId);
        }
      });
      wake();
    } else if (known) {
      wake();
    }
  }

  private void wake() {
    if (wakeTimer < 0 && !stopped()) {
      wakeTimer = vertx.setTimer(WAKE_DELAY_MS, t -> {
        wakeTimer = -1;
        pump.wake();
      });
    }
  }

  private void sweep() {
    if (stopped() || !node.storeReachable()) {
      return;
    }
    boolean itemsToo = sweeps++ % FULL_SWEEP_EVERY == 0;
    store.sweep(itemsToo).onSuccess(n -> {
      if (n > 0) {
        pump.wake();
      }
    }).onFailure(err -> node.storeFailed("account steps", err));
  }

  private boolean stopped() {
    return draining || node.draining();
  }

  // ---- the step --------------------------------------------------------------------------------

  private Future<AccountOutcome> step(ClaimedAccount a, JsonObject spec,
                                     Function<AccountStepRequest, Future<AccountStepReply>> gateway) {
    boolean dryRun = spec.getJsonObject("options", new JsonObject()).getBoolean("dryRun", false);
    return switch (AccountReadiness.decide(a, dryRun)) {
      case HALT -> Future.succeededFuture(AccountOutcome.decided(a, a.status(), AccountPhase.HALTED,
          AccountOutcome.error("CANCELLED", "The job was cancelled or stopped before this account got its "
              + "template.")));
      case WAIT_ITEMS -> Future.succeededFuture(AccountOutcome.decided(a, a.status(), AccountPhase.ITEMS, null));
      case WAIT_SIGN_IN -> Future.succeededFuture(AccountOutcome.decided(a, AccountStatus.WAITING,
          AccountPhase.SIGN_IN, null));
      case FAIL -> Future.succeededFuture(AccountOutcome.decided(a, AccountStatus.FAILED, AccountPhase.DONE,
          AccountOutcome.error("ITEM_FAILED", "An item of this account failed, so the template was not installed; "
              + "retry the job once the item's cause is fixed.")));
      case RUN -> send(a, spec, false, gateway);
      case CHECK_ONLY -> send(a, spec, true, gateway);
    };
  }

  private Future<AccountOutcome> send(ClaimedAccount a, JsonObject spec, boolean checkOnly,
                                      Function<AccountStepRequest, Future<AccountStepReply>> gateway) {
    if (!(spec.getValue("template") instanceof JsonObject)) {
      return Future.succeededFuture(AccountOutcome.decided(a, AccountStatus.FAILED, AccountPhase.DONE,
          AccountOutcome.error("INTERNAL", "the job has no template")));
    }
    return gateway.apply(AccountRequests.of(spec, a, checkOnly, !signInPolicy.relayLinks()))
        .map(reply -> AccountRequests.outcome(a, reply, checkOnly, signInPolicy));
  }

  // ---- recording -------------------------------------------------------------------------------

  /** After a batch was written (the store also wrote and, after its commit, published its events). */
  private void settled(AccountQueue.Recorded recorded) {
    if (recorded.applied().stream().anyMatch(AccountOutcome::handBack)) {
      wake();
    }
    for (JobRecord job : recorded.settled().finished()) {
      // The store wrote the job's final event (with its account counts) and published it after the commit.
      LogKeys.job(log.atInfo(), job.id()).log("job {} finished: {}", job.id(), job.status());
      specs.forget(job.id());
    }
  }

  // ---- shutdown --------------------------------------------------------------------------------

  /** Stops claiming; steps in flight get the grace period (the gateway hands back what it has not sent); flushes. */
  private void drain(Message<JsonObject> msg) {
    long graceMs = msg.body() == null ? settings.shutdownGraceMs()
        : msg.body().getLong("graceMs", settings.shutdownGraceMs());
    draining = true;
    if (drained == null) {
      timers.forEach(vertx::cancelTimer);
      drained = pump.drain(graceMs).onSuccess(left -> {
        if (left > 0) {
          log.warn("drain grace period over with {} account step(s) still in flight", left);
        }
      });
    }
    drained.onComplete(ar -> msg.reply(new JsonObject().put("inFlight", ar.succeeded() ? ar.result() : 0)));
  }
}
