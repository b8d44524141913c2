package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.ItemReply;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: leases PENDING items from the shared store only while there is room in flight
 * (pull = back-pressure), sends each to this node's gateway, records outcomes in batches, renews
 * its leases, takes over items whose node stopped renewing, and finishes jobs. It keeps no
 * correctness rule in memory: its job list is a cache of the store, woken by "work" notices.
 */
public final class Dispatcher extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final int MAX_CLAIM = 256;
  private static final int FLUSH_AT = 64;
  private static final long REFRESH_MS = 5_000;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.DAYS.toMillis(7));

  private final Settings settings;
  private final JobRecords store;
  private final ItemQueue items;
  /** Its leases are renewed with the items' (one renewal keeps both) and released with them at start-up. */
  private final AccountQueue accounts;
  private final NodeLifecycle node;
  private final String nodeId;
  private final int maxInFlight;
  private final long leaseMs;
  /** Without relay links the install mints Cyclr's sign-in URL; with them, a Connect click does. */
  private final boolean mintSignIn;
  /** Unfinished jobs in dispatch order (round-robin); a cache of the store. */
  private final Map<String, JobRecord> jobs = new LinkedHashMap<>();
  /** Jobs whose last claim found nothing: skipped until a work notice or the periodic refresh. */
  private final Set<String> exhausted = new HashSet<>();
  private final Map<String, Integer> inFlightByJob = new HashMap<>();
  private OutcomeBuffer<ItemOutcome> outcomes;
  private JobEvents events;
  private int inFlight;
  private boolean claiming;
  private Promise<Void> drained;
  private final List<Long> timers = new ArrayList<>();

  public Dispatcher(Settings settings, JobRecords store, ItemQueue items, AccountQueue accounts,
                    NodeLifecycle node) {
    this.settings = settings;
    this.store = store;
    this.items = items;
    this.accounts = accounts;
    this.node = node;
    // Shared with the account steps: one renewal keeps both kinds of lease.
    this.nodeId = node.nodeId();
    this.leaseMs = settings.leaseMs();
    this.mintSignIn = !SignInPolicy.of(settings).relayLinks();
    // Three times the gateway's concurrency keeps every request slot busy while items wait for their
    // next call and outcomes are recorded; memory stays bounded by the window, not the job size.
    this.maxInFlight = Math.max(8, settings.maxConcurrency() * 3);
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    Metrics metrics = Metrics.current();
    events = new JobEvents(bus, metrics);
    outcomes = new OutcomeBuffer<>(vertx, "item outcome(s)", FLUSH_AT, batch -> items.record(nodeId, batch),
        this::written, this::storeError, node::draining, this::closed);
    // Read on the scrape thread: plain fields, a slightly stale value is fine for a gauge.
    metrics.gauge("onboarder.items.inflight", "Items being onboarded at Cyclr by this node now", () -> inFlight);
    metrics.gauge("onboarder.jobs.active", "Unfinished jobs this node dispatches", jobs::size);
    List<MessageConsumer<?>> consumers = List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_WORK, msg -> wake(msg.body().getString("jobId"))),
        bus.<JsonObject>localConsumer(Addresses.JOBS_READY,
            msg -> msg.reply(new JsonObject().put("ready", node.accepting())
                .put("storeReachable", node.storeReachable()).put("diskFull", node.diskFull())
                .put("draining", node.draining()))),
        bus.<JsonObject>localConsumer(Addresses.JOBS_DRAIN, this::drain));
    // The embedded store belongs to this process alone (it holds a file lock): whatever is RUNNING
    // was in flight when the previous process died. A shared store waits for leases to expire.
    Future<Integer> recovered = settings.postgres() ? Future.succeededFuture(0)
        : items.releaseAll().compose(n -> accounts.releaseAll().map(a -> n + a));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> recovered)
        .compose(n -> {
          if (n > 0) {
            log.info("recovered {} item(s) that were in flight when the service stopped; they will be checked "
                + "at Cyclr before anything is installed", n);
          }
          return refresh();
        })
        .onSuccess(v -> {
          // The node's lifecycle checks the store, renews leases and sweeps for expired ones, on this loop.
          node.register(LeaseHolder.of(this::renew, this::takeOver, this::pump));
          node.start(store::ping);
          timers.add(vertx.setPeriodic(REFRESH_MS, t -> refresh()));
          if (!jobs.isEmpty()) {
            log.info("{} unfinished job(s) to work on", jobs.size());
          }
          pump();
        });
  }

  // ---- the job list (a cache) ----------------------------------------------------------------

  private Future<Void> refresh() {
    return store.unfinishedJobs().map(list -> {
      Map<String, JobRecord> fresh = new LinkedHashMap<>();
      list.forEach(j -> fresh.put(j.id(), j));
      // Keep the rotation order of jobs already known; new ones go to the back.
      jobs.keySet().retainAll(fresh.keySet());
      fresh.forEach(jobs::put);
      exhausted.clear();
      pump();
      return (Void) null;
    }).onFailure(this::storeError);
  }

  private void wake(String jobId) {
    if (jobId == null || node.draining()) {
      return;
    }
    exhausted.remove(jobId);
    store.job(jobId).onSuccess(job -> {
      if (job == null || job.status().terminal()) {
        jobs.remove(jobId);
      } else {
        jobs.put(jobId, job);
        pump();
      }
    }).onFailure(this::storeError);
  }

  // ---- leases --------------------------------------------------------------------------------

  /** Drained: the store is about to close, and nothing here may touch it or complain about it. */
  private boolean closed() {
    return drained != null && drained.future().isComplete();
  }

  private Future<Void> renew() {
    // Items' and account steps' leases of this node are renewed together (the node's lease check covers both).
    return Future.all(items.renew(nodeId, leaseMs), accounts.renew(nodeId, leaseMs)).mapEmpty();
  }

  private Future<Integer> takeOver() {
    if (node.draining()) {
      return Future.succeededFuture(0);
    }
    return items.releaseExpired().map(changed -> {
      if (!changed.isEmpty()) {
        log.info("took over {} item(s) whose node stopped renewing its lease; they are checked at Cyclr before "
            + "anything is installed", changed.size());
        changed.stream().map(JobRecords.Changed::jobId).distinct().forEach(events::work);
      }
      return changed.size();
    });
  }

  private void storeError(Throwable err) {
    if (!closed()) {
      node.storeFailed("dispatcher", err);
    }
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /** Claims more items while there is room in flight; one claim at a time, round-robin over jobs. */
  private void pump() {
    if (claiming || node.draining() || !node.started() || !node.storeReachable()) {
      return;
    }
    int room = maxInFlight - inFlight;
    // Claim in batches: wait until a quarter of the window is free (unless nothing is in flight).
    if (room <= 0 || (inFlight > 0 && room < Math.max(1, maxInFlight / 4))) {
      return;
    }
    JobRecord job = nextJob();
    if (job == null) {
      return;
    }
    claiming = true;
    items.claim(job.id(), nodeId, Math.min(room, MAX_CLAIM), leaseMs).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        storeError(ar.cause());
        vertx.setTimer(1000, t -> pump());
        return;
      }
      List<ClaimedItem> items = ar.result();
      if (items.isEmpty()) {
        exhausted.add(job.id());
        settle(job.id());
      } else {
        node.claimed();
        if (job.status() == JobStatus.PENDING) {
          markRunning(job);
        }
        items.forEach(this::dispatch);
      }
      pump();
    });
  }

  private JobRecord nextJob() {
    for (Map.Entry<String, JobRecord> e : jobs.entrySet()) {
      if (!exhausted.contains(e.getKey())) {
        // Rotate: the job served now goes to the back, so big jobs do not starve small ones.
        JobRecord job = jobs.remove(e.getKey());
        jobs.put(job.id(), job);
        return job;
      }
    }
    return null;
  }

  private void markRunning(JobRecord job) {
    JobRecord running = new JobRecord(job.id(), JobStatus.RUNNING, job.createdAt(), null, job.total(), job.spec(),
        job.cancelRequested(), job.stopped(), job.owner());
    jobs.computeIfPresent(job.id(), (k, v) -> running);
    store.markRunning(job.id()).onFailure(this::storeError);
  }

  private void dispatch(ClaimedItem item) {
    if (item.authUnreadable()) {
      outcomes.add(ItemOutcome.failed(item, "AUTH_VALUE_UNREADABLE", "The stored auth value cannot be decrypted: "
          + "STORE_SECRET_KEY (or the key file beside the database) changed since the job was accepted. "
          + "Submit the item again."));
      return;
    }
    JobRecord job = jobs.get(item.jobId());
    if (job == null) {
      // Claimed, so the job exists and is unfinished: fetch it (the cache was refreshed meanwhile).
      store.job(item.jobId()).onComplete(ar -> {
        if (ar.succeeded() && ar.result() != null) {
          send(ar.result(), item);
        } else {
          outcomes.add(ItemOutcome.handBack(item));
            }
      });
      return;
    }
    send(job, item);
  }

  private void send(JobRecord job, ClaimedItem item) {
    inFlight++;
    inFlightByJob.merge(item.jobId(), 1, Integer::sum);
    vertx.eventBus().<ItemReply>request(Addresses.GATEWAY_ONBOARD, GatewayRequests.of(job.spec(), item, mintSignIn),
            TO_GATEWAY)
        .onComplete(ar -> {
          inFlight--;
          inFlightByJob.merge(item.jobId(), -1, (a, b) -> a + b == 0 ? null : a + b);
          ItemOutcome outcome;
          if (ar.succeeded()) {
            outcome = GatewayRequests.outcome(item, ar.result().body());
          } else {
            log.warn("gateway did not take item {}: {}", item.id(), ar.cause().getMessage());
            outcome = ItemOutcome.handBack(item);
          }
          outcomes.add(outcome);
              checkDrained();
          pump();
        });
  }

  // ---- recording -----------------------------------------------------------------------------

  /** After a batch of outcomes was written: wake other nodes for hand-backs, apply the policy, settle jobs. */
  private void written(List<ItemOutcome> batch, List<ItemOutcome> applied) {
    Set<String> touched = new HashSet<>();
    Set<String> handedBack = new HashSet<>();
    for (ItemOutcome o : applied) {
      touched.add(o.jobId());
      if (o.status() == ItemStatus.PENDING) {
        handedBack.add(o.jobId());
      }
    }
    handedBack.forEach(events::work);
    for (String jobId : touched) {
      applyFailurePolicy(jobId, applied);
      if (inFlightByJob.getOrDefault(jobId, 0) == 0 && exhausted.contains(jobId)) {
        settle(jobId);
      }
    }
    checkDrained();
    pump();
  }

  /** Once the share of failed items exceeds the tolerance, nothing new starts and what is left is cancelled. */
  private void applyFailurePolicy(String jobId, List<ItemOutcome> applied) {
    JobRecord job = jobs.get(jobId);
    if (job == null || job.recoveredOnly() || job.toleratedFailurePercent() >= 100
        || applied.stream().noneMatch(o -> o.jobId().equals(jobId) && o.status() == ItemStatus.FAILED)) {
      return;
    }
    store.counts(jobId).compose(counts -> {
      if (counts.get(ItemStatus.FAILED) * 100.0 / job.total() <= job.toleratedFailurePercent()) {
        return Future.succeededFuture();
      }
      log.warn("job {}: {} of {} items failed, above the tolerated {} %; cancelling the rest", jobId,
          counts.get(ItemStatus.FAILED), job.total(), job.toleratedFailurePercent());
      jobs.computeIfPresent(jobId, (k, v) -> new JobRecord(v.id(), v.status(), v.createdAt(), null, v.total(),
          v.spec(), v.cancelRequested(), true, v.owner()));
      return store.stop(jobId).map(changed -> {
        events.work(jobId);
        return null;
      });
    }).onFailure(this::storeError);
  }

  /**
   * A job with nothing left to claim: in a cancelled or stopped job, items handed back untried are
   * cancelled; then the job is finished if nothing runs anywhere. The store lets exactly one node
   * finish it, and that node publishes the final event.
   */
  private void settle(String jobId) {
    if (node.draining()) {
      return;
    }
    store.job(jobId)
        .compose(job -> job == null || !job.recoveredOnly() || job.status().terminal() ? Future.succeededFuture()
            : store.cancelUnstarted(jobId).mapEmpty())
        .compose(v -> store.finishIfDone(jobId))
        .compose(finished -> {
          if (finished == null) {
            return Future.succeededFuture();
          }
          jobs.remove(jobId);
          exhausted.remove(jobId);
          log.info("job {} finished: {}", jobId, finished.status());
          return Future.succeededFuture();
        })
        .onFailure(this::storeError);
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /**
   * Stops claiming; items not yet sent to Cyclr come back at once (PENDING, for any node to take);
   * items on the wire get the grace period; outcomes are flushed; then it replies.
   */
  private void drain(Message<JsonObject> msg) {
    long graceMs = msg.body() == null ? settings.shutdownGraceMs() : msg.body().getLong("graceMs",
        settings.shutdownGraceMs());
    node.drain();
    if (drained == null) {
      drained = Promise.promise();
      log.info("draining: {} item(s) in flight, up to {} ms", inFlight, graceMs);
      vertx.eventBus().request(Addresses.GATEWAY_DRAIN, new JsonObject());
      long timer = vertx.setTimer(Math.max(1, graceMs), t -> {
        // Out of time: what is still RUNNING keeps its lease until it expires, then is checked at Cyclr.
        log.warn("drain grace period over with {} item(s) still in flight", inFlight);
        flushAndComplete();
      });
      drained.future().onComplete(x -> vertx.cancelTimer(timer));
      checkDrained();
    }
    drained.future().onComplete(x -> {
      // Nothing touches the store after the drain: it is closed next. Leases still held (items on the
      // wire past the grace period) expire and are taken over.
      timers.forEach(vertx::cancelTimer);
      node.stop();
      msg.reply(new JsonObject().put("inFlight", inFlight));
    });
  }

  private void checkDrained() {
    if (node.draining() && drained != null && inFlight == 0 && !drained.future().isComplete()) {
      flushAndComplete();
    }
  }

  private void flushAndComplete() {
    outcomes.drain(System.currentTimeMillis() + 5_000).onComplete(x -> drained.tryComplete());
  }
}
