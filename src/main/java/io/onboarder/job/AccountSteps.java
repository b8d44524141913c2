package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeaseHolder;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.metrics.Metrics;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: onboards the accounts of jobs with a template. It leases due accounts from the shared
 * store (over all jobs, finished ones too: a tenant may sign in after its job finished) only while there
 * is room in flight, decides from the account's items whether it may go on ({@link AccountReadiness}),
 * sends the account step to this node's gateway (which shares its rate limit and concurrency cap with
 * the items), records outcomes in batches (the store writes and publishes their account events), and
 * finishes jobs whose accounts have settled. Like the {@link Dispatcher}, it keeps no correctness rule in memory: the store decides
 * who runs an account step (leases, renewed by the dispatcher under the same node id) and when it is due.
 */
public final class AccountSteps extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AccountSteps.class);
  private static final int MAX_CLAIM = 64;
  private static final int FLUSH_AT = 32;
  /** Due accounts are looked for at least this often (a watch coming due, a lease taken over). */
  private static final long POLL_MS = 1_000;
  /** Waits that ended unnoticed (a sign-in seen by the sign-in watch) are swept this often... */
  private static final long SWEEP_MS = 5_000;
  /** ... and accounts whose items all ended without marking them due (a safety net), this many sweeps apart. */
  private static final int FULL_SWEEP_EVERY = 6;
  private static final long WAKE_DELAY_MS = 20;
  private static final int SPEC_CACHE = 256;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.DAYS.toMillis(7));

  private final Settings settings;
  private final JobRecords jobs;
  private final AccountQueue store;
  private final NodeLifecycle node;
  private final int maxInFlight;
  private final long leaseMs;
  private final SignInPolicy signInPolicy;
  private OutcomeBuffer<AccountOutcome> outcomes;
  /** Job specs (immutable) by id, most recently used last. */
  private final Map<String, JsonObject> specs = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
      return size() > SPEC_CACHE;
    }
  };
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
  private final Set<String> finishing = new HashSet<>();
  private final Set<String> finishAgain = new HashSet<>();
  private final List<Long> timers = new ArrayList<>();
  private JobEvents events;
  private int inFlight;
  private boolean claiming;
  private boolean draining;
  private long wakeTimer = -1;
  private int sweeps;
  private Promise<Void> drained;

  public AccountSteps(Settings settings, JobRecords jobs, AccountQueue store, NodeLifecycle node) {
    this.settings = settings;
    this.jobs = jobs;
    this.store = store;
    this.node = node;
    this.leaseMs = settings.leaseMs();
    this.signInPolicy = SignInPolicy.of(settings);
    // An account step is a few calls in a row (cycles, install, prerequisites, activation), with store and
    // event-bus work in between: like the items' window, three steps per request slot keep every slot busy
    // when only account steps are left. Memory stays bounded by the window.
    this.maxInFlight = Math.max(8, settings.maxConcurrency() * 3);
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    events = new JobEvents(bus, Metrics.current());
    outcomes = new OutcomeBuffer<>(vertx, "account outcome(s)", FLUSH_AT,
        batch -> store.record(node.nodeId(), batch).map(AccountQueue.Recorded::applied), this::written,
        this::storeError, this::stopped, () -> drained != null && drained.future().isComplete());
    Metrics.current().gauge("onboarder.accounts.inflight", "Account steps being run at Cyclr by this node now",
        () -> inFlight);
    List<MessageConsumer<?>> consumers = List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_WORK, msg -> wake()),
        // Local: the node that recorded an item wakes its own account steps; the others find due accounts by
        // polling. (A cluster-wide consumer would pull every item event to every node.)
        bus.<JsonObject>localConsumer(Addresses.EVENTS_ITEM, msg -> itemChanged(msg.body())),
        bus.<JsonObject>localConsumer(Addresses.ACCOUNTS_DRAIN, this::drain));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).onSuccess(v -> {
      // Account leases are renewed with the items' (one statement); expired ones are swept on the node's timer.
      node.register(LeaseHolder.of(Future::succeededFuture, this::takeOver, this::pump));
      timers.add(vertx.setPeriodic(POLL_MS, t -> pump()));
      timers.add(vertx.setPeriodic(SWEEP_MS, t -> sweep()));
      sweep();
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
        pump();
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
        pump();
      }
    }).onFailure(this::storeError);
  }

  private Future<Integer> takeOver() {
    if (stopped()) {
      return Future.succeededFuture(0);
    }
    return store.releaseExpired().map(changed -> {
      if (!changed.isEmpty()) {
        log.info("took over {} account step(s) whose node stopped renewing its lease; each lists the account's "
            + "cycles at Cyclr before any template install", changed.size());
        pump();
      }
      return changed.size();
    });
  }

  // ---- dispatch --------------------------------------------------------------------------------

  private boolean stopped() {
    return draining || node.draining();
  }

  private void pump() {
    if (claiming || stopped() || !node.started() || !node.storeReachable()) {
      return;
    }
    int room = maxInFlight - inFlight;
    if (room <= 0 || (inFlight > 0 && room < Math.max(1, maxInFlight / 4))) {
      return;
    }
    int max = Math.min(room, MAX_CLAIM);
    claiming = true;
    store.claim(node.nodeId(), max, leaseMs).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        storeError(ar.cause());
        return;
      }
      List<ClaimedAccount> claimed = ar.result();
      if (!claimed.isEmpty()) {
        node.claimed();
        claimed.forEach(this::run);
        if (claimed.size() == max) {
          pump();
        }
      }
    });
  }

  private void run(ClaimedAccount a) {
    inFlight++;
    spec(a.jobId())
        .compose(spec -> step(a, spec))
        .onComplete(ar -> {
          inFlight--;
          if (ar.failed()) {
            log.warn("account step of {} (job {}) did not run: {}", a.account(), a.jobId(), ar.cause().getMessage());
          }
          outcomes.add(ar.succeeded() ? ar.result() : AccountOutcome.handBack(a, a.recovered()));
          checkDrained();
          pump();
        });
  }

  private Future<AccountOutcome> step(ClaimedAccount a, JsonObject spec) {
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
      case RUN -> send(a, spec, false);
      case CHECK_ONLY -> send(a, spec, true);
    };
  }

  private Future<AccountOutcome> send(ClaimedAccount a, JsonObject spec, boolean checkOnly) {
    if (!(spec.getValue("template") instanceof JsonObject)) {
      return Future.succeededFuture(AccountOutcome.decided(a, AccountStatus.FAILED, AccountPhase.DONE,
          AccountOutcome.error("INTERNAL", "the job has no template")));
    }
    return vertx.eventBus().<AccountStepReply>request(Addresses.GATEWAY_ACCOUNT,
            AccountRequests.of(spec, a, checkOnly, !signInPolicy.relayLinks()), TO_GATEWAY)
        .map(reply -> AccountRequests.outcome(a, reply.body(), checkOnly, signInPolicy));
  }

  private Future<JsonObject> spec(String jobId) {
    JsonObject cached = specs.get(jobId);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return jobs.job(jobId).map(job -> {
      if (job == null) {
        throw new IllegalStateException("job " + jobId + " is gone");
      }
      specs.put(jobId, job.spec());
      return job.spec();
    });
  }

  // ---- recording -------------------------------------------------------------------------------

  /** After a batch was written (the store also wrote and, after its commit, published its events). */
  private void written(List<AccountOutcome> batch, List<AccountOutcome> applied) {
    Set<String> touched = new HashSet<>();
    for (AccountOutcome o : applied) {
      touched.add(o.jobId());
      if (o.handBack()) {
        wake();
      }
    }
    touched.forEach(this::finish);
    checkDrained();
    pump();
  }

  /** The job may be finished now; one check per job at a time here (the store lets one node finish it). */
  private void finish(String jobId) {
    if (!finishing.add(jobId)) {
      finishAgain.add(jobId);
      return;
    }
    jobs.finishIfDone(jobId)
        .compose(finished -> {
          if (finished == null) {
            return Future.succeededFuture();
          }
          // The store wrote the job's final event (with its account counts) and published it after the commit.
          log.info("job {} finished: {}", jobId, finished.status());
          events.work(jobId); // dispatchers drop it from their job lists
          return Future.succeededFuture();
        })
        .onFailure(this::storeError)
        .onComplete(ar -> {
          finishing.remove(jobId);
          if (finishAgain.remove(jobId)) {
            finish(jobId);
          }
        });
  }

  private void storeError(Throwable err) {
    if (drained == null || !drained.future().isComplete()) {
      node.storeFailed("account steps", err);
    }
  }

  // ---- shutdown --------------------------------------------------------------------------------

  /** Stops claiming; steps in flight get the grace period (the gateway hands back what it has not sent); flushes. */
  private void drain(Message<JsonObject> msg) {
    long graceMs = msg.body() == null ? settings.shutdownGraceMs()
        : msg.body().getLong("graceMs", settings.shutdownGraceMs());
    draining = true;
    if (drained == null) {
      drained = Promise.promise();
      long timer = vertx.setTimer(Math.max(1, graceMs), t -> {
        log.warn("drain grace period over with {} account step(s) still in flight", inFlight);
        flushAndComplete();
      });
      drained.future().onComplete(x -> vertx.cancelTimer(timer));
      checkDrained();
    }
    drained.future().onComplete(x -> {
      timers.forEach(vertx::cancelTimer);
      msg.reply(new JsonObject().put("inFlight", inFlight));
    });
  }

  private void checkDrained() {
    if (draining && drained != null && inFlight == 0 && !drained.future().isComplete()) {
      flushAndComplete();
    }
  }

  private void flushAndComplete() {
    outcomes.drain(System.currentTimeMillis() + 5_000).onComplete(x -> drained.tryComplete());
  }
}
