package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.onboarder.trace.ItemSpans;
import io.opentelemetry.api.trace.Span;
import io.onboarder.metrics.Metrics;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: runs the items of every open job on a {@link LeasePump}. The pump leases items from the
 * shared store only while there is room in flight (pull = back-pressure; the store takes turns between
 * jobs), this class sends each to this node's gateway and publishes what the store settled with each
 * batch of outcomes (jobs finished or stopped, items handed back). It keeps no correctness rule in memory:
 * the store decides who runs an item, and finishes a job once, in the transaction of its last outcome.
 */
public final class Dispatcher extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final int MAX_CLAIM = 256;
  private static final int FLUSH_AT = 64;
  private static final long FLUSH_DELAY_MS = 10;
  /** While no item can be claimed, the store is asked again at least this often (a work notice asks at once). */
  private static final long IDLE_MS = 1_000;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.DAYS.toMillis(7));

  private final Settings settings;
  private final JobRecords store;
  private final ItemQueue items;
  /** Released with the items at start-up (the single-process store); renewed by the account steps' own pump. */
  private final AccountQueue accounts;
  private final NodeLifecycle node;
  /** Without relay links the install mints Cyclr's sign-in URL; with them, a Connect click does. */
  private final boolean mintSignIn;
  private final JobSpecs specs;
  private final Metrics metrics;
  /** Items in flight by job (for the active-jobs gauge). */
  private final Map<String, Integer> inFlightByJob = new HashMap<>();
  private LeasePump<ClaimedItem, ItemOutcome> pump;
  /** Publishes a work notice for a job: every node's pumps look for claimable items. */
  private Consumer<String> work;
  private Future<Integer> drained;
  /** One span per item sent, when tracing is on; else null and no span is made. */
  private ItemSpans spans;

  public Dispatcher(Settings settings, JobRecords store, ItemQueue items, AccountQueue accounts,
                    NodeLifecycle node) {
    this.settings = settings;
    this.store = store;
    this.items = items;
    this.accounts = accounts;
    this.node = node;
    this.mintSignIn = !SignInPolicy.of(settings).relayLinks();
    this.specs = new JobSpecs(store, 256);
    this.metrics = Metrics.current();
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    spans = ItemSpans.of(vertx);
    JobEvents events = new JobEvents(bus, metrics);
    pump(Clock.of(vertx), request -> bus.<ItemReply>request(Addresses.GATEWAY_ONBOARD, request, TO_GATEWAY)
        .map(Message::body), events::work);
    // Read on the scrape thread: a slightly stale value is fine for a gauge.
    metrics.gauge("onboarder.items.inflight", "Items being onboarded at Cyclr by this node now", pump::inFlight);
    metrics.gauge("onboarder.jobs.active", "Jobs whose items this node is onboarding now", inFlightByJob::size);
    List<MessageConsumer<?>> consumers = List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_WORK, msg -> pump.wake()),
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
        .onSuccess(n -> {
          if (n > 0) {
            log.info("recovered {} item(s) that were in flight when the service stopped; they will be checked "
                + "at Cyclr before anything is installed", n);
          }
          // The node's lifecycle checks the store, renews leases and sweeps for expired ones, on this loop.
          node.register(pump);
          node.start(store::ping);
          pump.start();
        });
  }

  /**
   * This node's item pump on {@code clock}, sending through {@code gateway} (an item request to this node's
   * gateway) and publishing work notices through {@code work}.
   */
  LeasePump<ClaimedItem, ItemOutcome> pump(Clock clock, Function<ItemRequest, Future<ItemReply>> gateway,
                                           Consumer<String> work) {
    this.work = work;
    // Three times the gateway's concurrency keeps every request slot busy while items wait for their
    // next call and outcomes are recorded; memory stays bounded by the window, not the job size.
    int maxInFlight = Math.max(8, settings.maxConcurrency() * 3);
    LeasePump.Options options = new LeasePump.Options(maxInFlight, Math.max(1, maxInFlight / 4), MAX_CLAIM,
        FLUSH_AT, FLUSH_DELAY_MS, IDLE_MS, IDLE_MS);
    ItemLeases queue = new ItemLeases(items, node.nodeId(), settings.leaseMs(), this::settled, work);
    pump = new LeasePump<>("item", clock, queue, new LeasePump.Sender<>() {
      @Override
      public Future<ItemOutcome> send(ClaimedItem item) {
        return Dispatcher.this.send(item, gateway);
      }

      @Override
      public ItemOutcome failed(ClaimedItem item, Throwable cause) {
        LogKeys.item(log.atWarn(), item.jobId(), item.id(), item.account())
            .log("gateway did not take item {}: {}", item.id(), cause.getMessage());
        return ItemOutcome.handBack(item);
      }
    }, options, node::mayClaim, new LeasePump.Listener<>() {
      @Override
      public void claimed(List<ClaimedItem> units) {
        node.claimed();
      }

      @Override
      public void storeFailed(Throwable cause) {
        node.storeFailed("dispatcher", cause);
      }
    });
    return pump;
  }

  private Future<ItemOutcome> send(ClaimedItem item, Function<ItemRequest, Future<ItemReply>> gateway) {
    if (item.authUnreadable()) {
      return Future.succeededFuture(ItemOutcome.failed(item, "AUTH_VALUE_UNREADABLE", "The stored auth value cannot "
          + "be decrypted: STORE_SECRET_KEY (or the key file beside the database) changed since the job was "
          + "accepted. Submit the item again."));
    }
    inFlightByJob.merge(item.jobId(), 1, Integer::sum);
    return specs.record(item.jobId())
        .compose(job -> spans == null ? gateway.apply(GatewayRequests.of(job.spec(), item, mintSignIn))
            : traced(job, item, gateway))
        .map(reply -> GatewayRequests.outcome(item, reply))
        .onComplete(ar -> inFlightByJob.merge(item.jobId(), -1, (a, b) -> a + b == 0 ? null : a + b));
  }

  /** The gateway request of {@code item} under its own span, a child of the span that submitted its job. */
  private Future<ItemReply> traced(JobRecord job, ClaimedItem item, Function<ItemRequest, Future<ItemReply>> gateway) {
    Span span = spans.start(job.id(), item.id(), item.account(), job.traceParent());
    return spans.within(span, () -> gateway.apply(GatewayRequests.of(job.spec(), item, mintSignIn)))
        .andThen(ar -> spans.end(span, ar.succeeded() ? ar.result().status() : null,
            ar.succeeded() && ar.result().error() != null ? ar.result().error().getString("code") : null,
            ar.cause()));
  }

  /** What a written batch settled: other nodes may take handed-back items; finished jobs are logged. */
  private void settled(ItemQueue.Recorded recorded) {
    for (ItemOutcome o : recorded.applied()) {
      Instant accepted = o.status().terminal() ? specs.acceptedAt(o.jobId()) : null;
      if (accepted != null) {
        metrics.itemTimeToTerminal(o.status().name(), Duration.between(accepted, Instant.now()).toMillis());
      }
    }
    recorded.applied().stream().filter(o -> o.status() == ItemStatus.PENDING).map(ItemOutcome::jobId).distinct()
        .forEach(work);
    for (String jobId : recorded.settled().stopped()) {
      LogKeys.job(log.atWarn(), jobId).log("job {}: more items failed than the tolerated share; the rest is cancelled",
          jobId);
    }
    for (JobRecord job : recorded.settled().finished()) {
      // The store wrote the job's final event (with its counts) and published it after the commit.
      LogKeys.job(log.atInfo(), job.id()).log("job {} finished: {}", job.id(), job.status());
      specs.forget(job.id());
    }
    if (recorded.settled().pending()) {
      pump.wake(); // an item of an account that just finished here may be claimable now
    }
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
      log.info("draining: {} item(s) in flight, up to {} ms", pump.inFlight(), graceMs);
      vertx.eventBus().request(Addresses.GATEWAY_DRAIN, new JsonObject());
      drained = pump.drain(graceMs).onSuccess(left -> {
        if (left > 0) {
          // Out of time: what is still RUNNING keeps its lease until it expires, then is checked at Cyclr.
          log.warn("drain grace period over with {} item(s) still in flight", left);
        }
      });
    }
    drained.onComplete(ar -> {
      // Nothing touches the store after the drain: it is closed next. Leases still held (items on the
      // wire past the grace period) expire and are taken over.
      node.stop();
      msg.reply(new JsonObject().put("inFlight", ar.succeeded() ? ar.result() : 0));
    });
  }
}
