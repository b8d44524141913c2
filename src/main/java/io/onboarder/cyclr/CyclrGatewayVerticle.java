package io.onboarder.cyclr;

import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.bus.GatewayContract.AccountStepRequest;
import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.config.Settings;
import io.onboarder.metrics.Metrics;
import io.onboarder.trace.Traced;
import io.onboarder.trace.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The only code that talks to Cyclr. Takes items on {@value Addresses#GATEWAY_ONBOARD} and account steps on
 * {@value Addresses#GATEWAY_ACCOUNT} (the records of {@link io.onboarder.bus.GatewayContract}) and replies with
 * their outcome. Work of the same account runs one after another, so two items (even of two jobs) can never
 * both decide "not installed yet" and install twice. A job's work that has sent no install yet can be
 * cancelled ({@value Addresses#GATEWAY_CANCEL}): it is handed back untried at once and its calls are never sent.
 */
public final class CyclrGatewayVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CyclrGatewayVerticle.class);
  /** Items of a job cancelled this recently are handed back untried (they crossed the cancel). */
  private static final long CANCEL_MEMORY_MS = 10_000;
  private static final int MAX_RESTARTS = 10;
  private static final io.vertx.core.eventbus.DeliveryOptions LOCAL =
      new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true);

  private final Settings settings;
  private final BooleanSupplier mayInstall;
  /** The clock of the gateway's policies (rate, breaker, waits); null: Vert.x's timers and the JVM's clocks. */
  private final Clock clock;
  private CyclrClient client;
  private OnboardFlow flow;
  private TemplateFlow templateFlow;
  private ClusterRate clusterRate;
  private ReadShare readShare;
  private final Map<String, Future<?>> accountTails = new HashMap<>();
  /** The work calling Cyclr for each account right now (one at a time per account). */
  private final Map<String, Run<?>> running = new HashMap<>();
  /** Work of each job held here, queued behind its account or running. */
  private final Map<String, Set<Run<?>>> byJob = new HashMap<>();
  /** Recently cancelled jobs → when (nanos). */
  private final Map<String, Long> cancelledJobs = new LinkedHashMap<>();
  private int active;
  /** Tracing is on: each piece of work runs under the span of the request that brought it. */
  private boolean traced;

  /** One item or account step in this gateway, from arrival to reply ({@code R}: its reply). */
  private static final class Run<R> {
    final String jobId;
    final Promise<R> reply = Promise.promise();
    /** The reply when its job is cancelled before it sent an install. */
    final R cancelledReply;
    boolean cancelled;
    /** An install of it was let through (it may exist at Cyclr), or it came in as recovered: never cancelled. */
    boolean mayExistAtCyclr;

    Run(String jobId, boolean recovered, R cancelledReply) {
      this.jobId = jobId;
      this.mayExistAtCyclr = recovered;
      this.cancelledReply = cancelledReply;
    }

    void cancel() {
      cancelled = true;
      reply.tryComplete(cancelledReply);
    }
  }

  /** The breaker and the rate limit as gauges; read on the scrape thread (a slightly stale value is fine). */
  private static void gauges(Metrics metrics, RequestGate gate) {
    metrics.gauge("onboarder.cyclr.breaker.open", "1 while the Cyclr circuit breaker is away from closed, else 0",
        () -> gate.breakerState() == Breaker.State.CLOSED ? 0 : 1);
    metrics.gauge("onboarder.cyclr.outage.seconds", "How long the Cyclr circuit breaker has been away from closed",
        () -> gate.outageNanos() / 1e9);
    metrics.gauge("onboarder.cyclr.rate.limit.per.second", "Requests/s this node's gateway allows now (0 = no limit)",
        () -> Double.isInfinite(gate.currentRate()) ? 0 : gate.currentRate());
  }

  /** {@code mayInstall}: false while this node's item leases may have lapsed (see NodeLifecycle#holdsLeases). */
  public CyclrGatewayVerticle(Settings settings, BooleanSupplier mayInstall) {
    this(settings, mayInstall, null);
  }

  /** As above, its policies on {@code clock} (a test's virtual clock: how fast calls leave, counted without waits). */
  public CyclrGatewayVerticle(Settings settings, BooleanSupplier mayInstall, Clock clock) {
    this.settings = settings;
    this.mayInstall = mayInstall;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    Clock time = clock != null ? clock : Clock.of(vertx);
    traced = Tracing.tracer(vertx) != null;
    RequestGate gate = RequestGate.create(time, settings.maxConcurrency(), settings.ratePerSecond(),
        settings.breakerThreshold(), settings.breakerOpenMs(), settings.maxOutageMs());
    gate.watchOwners(this::abandoned, this::granted);
    clusterRate = new ClusterRate(vertx, gate, settings.ratePerSecond());
    gauges(Metrics.current(), gate);
    client = new CyclrClient(vertx, settings.cyclrApiUrl(), settings.clientId(), settings.clientSecret(),
        settings.cyclrRequestTimeoutMs(), settings.maxAttempts(), settings.maxConcurrency(), gate,
        new RetryPolicy(200, 10_000), Metrics.current(), new CyclrLimits(settings.cyclrMaxResponseBytes(),
        settings.cyclrMaxPages(), settings.cyclrMaxRows()));
    // After an ambiguous install, wait a fraction of the request timeout (1-5 s) before checking.
    long settle = Math.max(1_000, Math.min(5_000, settings.cyclrRequestTimeoutMs() / 6));
    Catalogue catalogue = new Catalogue(time, traced);
    CheckedInstall installs = new CheckedInstall(time, settings.maxAttempts(), settle, mayInstall);
    flow = new OnboardFlow(client, catalogue, installs, settings.signInMode(), settings.cyclrServiceUrl());
    templateFlow = new TemplateFlow(client, flow, catalogue, installs);
    // Account history (history.HistoryService on this node): an account created here is something support asks.
    flow.onAccountCreated((acct, jobId) -> vertx.eventBus().send(Addresses.HISTORY_RECORD, new JsonObject()
        .put("account", acct).put("kind", "account.created").put("jobId", jobId), LOCAL));
    readShare = new ReadShare(gate, settings.maxConcurrency(), settings.fleets().readRatePercent());
    LiveStateReads liveState = new LiveStateReads(client, readShare, templateFlow, settings.clientSecret());
    Removals removals = new Removals(client, settings.maxAttempts(), settings.clientSecret());
    MessageConsumer<ItemRequest> onboard = vertx.eventBus().localConsumer(Addresses.GATEWAY_ONBOARD, msg -> {
      ItemRequest item = msg.body();
      queue(msg, item.account(), item.jobId(), item.recovered(), ItemReply.cancelledJob(), run -> start(run, item, 0));
    });
    MessageConsumer<AccountStepRequest> account = vertx.eventBus().localConsumer(Addresses.GATEWAY_ACCOUNT, msg -> {
      AccountStepRequest step = msg.body();
      queue(msg, step.account(), step.jobId(), step.recovered(), AccountStepReply.handBack(false),
          run -> runAccountStep(run, step, 0));
    });
    MessageConsumer<JsonObject> status = vertx.eventBus().localConsumer(Addresses.GATEWAY_STATUS, this::status);
    MessageConsumer<SignInRequest> signIn = vertx.eventBus().localConsumer(Addresses.GATEWAY_SIGNIN,
        msg -> SignInCalls.handle(flow, msg));
    MessageConsumer<LiveStateRequest> reads = vertx.eventBus().localConsumer(Addresses.GATEWAY_LIVE_STATE,
        msg -> liveState.read(msg.body()).onSuccess(msg::reply));
    // Queued behind the account's other work, like an install: a removal never crosses one of the same account.
    MessageConsumer<RemovalRequest> remove = vertx.eventBus().localConsumer(Addresses.GATEWAY_REMOVE, msg -> {
      RemovalRequest r = msg.body();
      queue(msg, r == null ? "" : r.account(), null, false, RemovalReply.ALREADY_GONE, run -> removals.remove(r));
    });
    MessageConsumer<JsonObject> drain = vertx.eventBus().localConsumer(Addresses.GATEWAY_DRAIN, msg -> {
      gate.close("draining");
      readShare.close();
      msg.reply(new JsonObject().put("inFlight", gate.inFlight()).put("active", active));
    });
    // Cluster-wide: a cancel published on any node reaches every node's gateway.
    MessageConsumer<Object> cancel = vertx.eventBus().consumer(Addresses.GATEWAY_CANCEL, this::cancel);
    return Future.all(List.of(onboard.completion(), account.completion(), status.completion(), drain.completion(),
            cancel.completion(), signIn.completion(), reads.completion(), remove.completion()))
        .compose(v -> clusterRate.start());
  }

  @Override
  public Future<?> stop() {
    return clusterRate.stop().eventually(() -> {
      client.gate().close("stopped");
      readShare.close();
      return client.close();
    });
  }

  /**
   * Queues an item or account step behind whatever its account is already doing here, so that the work of one
   * account never overlaps; replies when it is done, or with {@code cancelledReply} at once when its job is
   * cancelled before it sent an install (or was cancelled lately and it is not recovered).
   */
  private <R> void queue(Message<?> msg, String account, String jobId, boolean recovered, R cancelledReply,
                         Function<Run<R>, Future<R>> work) {
    if (jobId != null && !recovered && cancelledLately(jobId)) {
      msg.reply(cancelledReply);
      return;
    }
    Run<R> run = new Run<>(jobId, recovered, cancelledReply);
    if (jobId != null) {
      byJob.computeIfAbsent(jobId, k -> new HashSet<>()).add(run);
    }
    active++;
    Future<?> previous = accountTails.getOrDefault(account, Future.succeededFuture());
    // The request's span (its event-bus hop) is current now; the work may start later, from another's callback.
    io.opentelemetry.context.Context span = traced ? io.opentelemetry.context.Context.current() : null;
    Future<R> mine = previous.transform(ignored -> run.cancelled ? Future.succeededFuture(cancelledReply)
        : span == null ? work.apply(run) : Traced.within(span, () -> work.apply(run)));
    accountTails.put(account, mine);
    mine.onComplete(ar -> {
      active--;
      if (accountTails.get(account) == mine) {
        accountTails.remove(account);
      }
      running.remove(account, run);
      Set<Run<?>> ofJob = jobId == null ? null : byJob.get(jobId);
      if (ofJob != null && ofJob.remove(run) && ofJob.isEmpty()) {
        byJob.remove(jobId);
      }
      run.reply.tryComplete(ar.result()); // a cancelled one was answered already
    });
    run.reply.future().onSuccess(msg::reply);
  }

  private Future<ItemReply> start(Run<ItemReply> run, ItemRequest item, int restarts) {
    running.put(item.account(), run);
    return flow.onboard(item)
        .map(OnboardFlow.Result::toReply)
        .recover(err -> {
          if (err instanceof CallCancelled && !run.cancelled && restarts < MAX_RESTARTS) {
            // A lookup shared with a cancelled item was abandoned: start over (the flow checks before installing).
            return start(run, item, restarts + 1);
          }
          return Future.succeededFuture(failure(err, run, item));
        });
  }

  private Future<AccountStepReply> runAccountStep(Run<AccountStepReply> run, AccountStepRequest step, int restarts) {
    running.put(step.account(), run);
    return templateFlow.run(step)
        .map(TemplateFlow.Result::toReply)
        .recover(err -> {
          if (err instanceof CallCancelled && !run.cancelled && restarts < MAX_RESTARTS) {
            return runAccountStep(run, step, restarts + 1);
          }
          return Future.succeededFuture(accountFailure(err, run, step));
        });
  }

  /** Whether a waiting call belongs to cancelled work: calls carry the account. */
  private boolean abandoned(Object owner) {
    Run<?> run = owner instanceof CyclrCall c && c.account() != null ? running.get(c.account()) : null;
    return run != null && run.cancelled;
  }

  /** An install let through may reach Cyclr: from now on its work is finished, not cancelled. */
  private void granted(Object owner) {
    if (owner instanceof CyclrCall c && !c.idempotent() && c.account() != null) {
      Run<?> run = running.get(c.account());
      if (run != null) {
        run.mayExistAtCyclr = true;
      }
    }
  }

  /**
   * {"jobId"}: that job's work here that sent no install is answered at once (items PENDING, cancelled, not
   * recovered; account steps handed back), and its waiting calls fail before being sent; work whose install may
   * have reached Cyclr finishes normally.
   */
  private void cancel(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body) || !(body.getValue("jobId") instanceof String jobId)) {
      if (msg.replyAddress() != null) {
        msg.fail(400, "expected {\"jobId\": \"...\"}");
      }
      return;
    }
    rememberCancelled(jobId);
    int cancelled = 0;
    int finishing = 0;
    for (Run<?> run : byJob.getOrDefault(jobId, Set.of())) {
      if (run.mayExistAtCyclr) {
        finishing++;
      } else {
        run.cancel();
        cancelled++;
      }
    }
    client.gate().abandonWaiting();
    if (cancelled + finishing > 0) {
      LogKeys.job(log.atInfo(), jobId)
          .log("job {} cancelled: {} item(s) handed back untried, {} finishing (an install may have reached Cyclr)",
          jobId, cancelled, finishing);
    }
    if (msg.replyAddress() != null) {
      msg.reply(new JsonObject().put("jobId", jobId).put("cancelled", cancelled).put("finishing", finishing));
    }
  }

  private void rememberCancelled(String jobId) {
    forgetOldCancels();
    cancelledJobs.remove(jobId);
    cancelledJobs.put(jobId, client.gate().time().nanoTime());
  }

  private boolean cancelledLately(String jobId) {
    forgetOldCancels();
    return cancelledJobs.containsKey(jobId);
  }

  private void forgetOldCancels() {
    long now = client.gate().time().nanoTime();
    for (Iterator<Long> it = cancelledJobs.values().iterator(); it.hasNext(); ) {
      if (now - it.next() > CANCEL_MEMORY_MS * 1_000_000 || cancelledJobs.size() > 10_000) {
        it.remove();
      } else {
        break; // insertion order: the rest are newer
      }
    }
  }

  /**
   * The reply for an item that failed, logged in one line. Its message goes through {@link Redaction} here,
   * the one place every error text passes before it is stored, returned, published or logged: Cyclr's text
   * might quote what it was sent.
   */
  private ItemReply failure(Throwable err, Run<ItemReply> run, ItemRequest item) {
    if (err instanceof CallCancelled) {
      return ItemReply.cancelledJob();
    }
    if (err instanceof CyclrException.ShuttingDown s) {
      // Recovered only if an install was really let through: an install still waiting in the gate never left.
      return ItemReply.handBack(s.afterInstall() && run.mayExistAtCyclr);
    }
    return ItemReply.failed(error(err, item.authValue(), "item " + item.itemId() + " (account " + item.account()
        + ")", line -> LogKeys.item(line, item.jobId(), item.itemId(), item.account())));
  }

  /** The reply for an account step that failed, its message redacted like an item's. */
  private AccountStepReply accountFailure(Throwable err, Run<AccountStepReply> run, AccountStepRequest step) {
    if (err instanceof CallCancelled) {
      return AccountStepReply.handBack(false);
    }
    if (err instanceof CyclrException.ShuttingDown s) {
      return AccountStepReply.handBack(s.afterInstall() && run.mayExistAtCyclr);
    }
    return AccountStepReply.failed(error(err, null, "account step of " + step.account(),
        line -> LogKeys.job(line, step.jobId()).addKeyValue(LogKeys.ACCOUNT, step.account())));
  }

  /** {"code", "message", "httpStatus"} of a failure, redacted, logged in one line (with {@code keys}). */
  private JsonObject error(Throwable err, String authValue, String what, UnaryOperator<LoggingEventBuilder> keys) {
    String code;
    String message;
    Integer httpStatus = null;
    if (err instanceof CyclrException e) {
      code = e.code();
      message = Redaction.clean(e.getMessage(), authValue, settings.clientSecret());
      httpStatus = e.httpStatus();
    } else {
      // A bug, not Cyclr: still one line (its text redacted too), the stack trace only at debug level.
      code = "INTERNAL";
      message = "unexpected error: " + err.getClass().getSimpleName();
      keys.apply(log.atWarn()).log("{}: unexpected {}: {}", what, err.getClass().getName(),
          Redaction.clean(err.getMessage(), authValue, settings.clientSecret()));
      log.debug("unexpected failure", err);
    }
    keys.apply(log.atWarn()).log("{} failed: {} {}", what, code, message);
    return new JsonObject().put("code", code).put("message", message).put("httpStatus", httpStatus);
  }

  private void status(Message<JsonObject> msg) {
    RequestGate gate = client.gate();
    long since = gate.breaker().outageSinceMillis();
    // Degraded: the breaker has stayed open (Cyclr down) longer than gateway.degradedAfterMs; readiness uses it.
    boolean degraded = settings.degradedAfterMs() > 0 && gate.outageNanos() > settings.degradedAfterMs() * 1_000_000;
    msg.reply(new JsonObject()
        .put("breaker", gate.breakerState().name())
        .put("breakerOpenSinceMs", since < 0 ? null : since)
        .put("degraded", degraded)
        .put("ratePerSecond", gate.ratePerSecond() == 0 ? null : gate.ratePerSecond())
        .put("clusterRatePerSecond", clusterRate.clusterRate() == 0 ? null : clusterRate.clusterRate())
        .put("gatewayNodes", clusterRate.gateways())
        .put("pausedForMs", gate.pausedForMillis())
        .put("inFlight", gate.inFlight())
        .put("waiting", gate.waiting())
        .put("rate", Double.isInfinite(gate.currentRate()) ? null : gate.currentRate())
        .put("maxObservedInFlight", gate.maxObservedInFlight())
        .put("activeItems", active)
        .put("fleetReads", new JsonObject().put("ratePerSecond", readShare.ratePerSecond() == 0 ? null
            : readShare.ratePerSecond()).put("inFlight", readShare.inFlight()).put("waiting", readShare.waiting())));
  }
}
