package io.onboarder.cyclr;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.ItemStatus;
import io.onboarder.metrics.Metrics;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only code that talks to Cyclr. Takes items on {@value Addresses#GATEWAY_ONBOARD} and replies
 * with their outcome. Items of the same account run one after another, so two items (even of two
 * jobs) can never both decide "not installed yet" and install twice. A job's items that have sent
 * no install yet can be cancelled ({@value Addresses#GATEWAY_CANCEL}): they are handed back untried
 * at once and their calls are never sent.
 */
public final class CyclrGatewayVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CyclrGatewayVerticle.class);
  /** Items of a job cancelled this recently are handed back untried (they crossed the cancel). */
  private static final long CANCEL_MEMORY_MS = 10_000;
  private static final int MAX_RESTARTS = 10;

  private final Settings settings;
  private final java.util.function.BooleanSupplier mayInstall;
  private CyclrClient client;
  private OnboardFlow flow;
  private TemplateFlow templateFlow;
  private ClusterRate clusterRate;
  private final Map<String, Future<?>> accountTails = new HashMap<>();
  /** The item calling Cyclr for each account right now (one at a time per account). */
  private final Map<String, ItemRun> running = new HashMap<>();
  /** Items of each job held here, queued behind their account or running. */
  private final Map<String, Set<ItemRun>> byJob = new HashMap<>();
  /** Recently cancelled jobs → when (nanos). */
  private final Map<String, Long> cancelledJobs = new LinkedHashMap<>();
  private int active;

  /** One item in this gateway, from arrival to reply. */
  private static final class ItemRun {
    final String jobId;
    final Promise<JsonObject> reply = Promise.promise();
    boolean cancelled;
    /** An install of it was let through (it may exist at Cyclr), or it came in as recovered: never cancelled. */
    boolean mayExistAtCyclr;

    ItemRun(String jobId, boolean recovered) {
      this.jobId = jobId;
      this.mayExistAtCyclr = recovered;
    }
  }

  /** {@code mayInstall}: false while this node's item leases may have lapsed (see NodeLifecycle#holdsLeases). */
  public CyclrGatewayVerticle(Settings settings, java.util.function.BooleanSupplier mayInstall) {
    this.settings = settings;
    this.mayInstall = mayInstall;
  }

  @Override
  public Future<?> start() {
    TimeSource time = TimeSource.of(vertx);
    RequestGate gate = RequestGate.create(time, settings.maxConcurrency(), settings.ratePerSecond(),
        settings.breakerThreshold(), settings.breakerOpenMs(), settings.maxOutageMs());
    gate.watchOwners(this::abandoned, this::granted);
    clusterRate = new ClusterRate(vertx, gate, settings.ratePerSecond());
    client = new CyclrClient(vertx, settings.cyclrApiUrl(), settings.clientId(), settings.clientSecret(),
        settings.cyclrRequestTimeoutMs(), settings.maxAttempts(), settings.maxConcurrency(), gate,
        new RetryPolicy(200, 10_000), Metrics.current(), new CyclrLimits(settings.cyclrMaxResponseBytes(),
        settings.cyclrMaxPages(), settings.cyclrMaxRows()));
    // After an ambiguous install, wait a fraction of the request timeout (1-5 s) before checking.
    long settle = Math.max(1_000, Math.min(5_000, settings.cyclrRequestTimeoutMs() / 6));
    Catalogue catalogue = new Catalogue(time);
    CheckedInstall installs = new CheckedInstall(time, settings.maxAttempts(), settle, mayInstall);
    flow = new OnboardFlow(client, catalogue, installs, settings.signInMode(), settings.cyclrServiceUrl());
    templateFlow = new TemplateFlow(client, flow, catalogue, installs);
    MessageConsumer<JsonObject> onboard = vertx.eventBus().localConsumer(Addresses.GATEWAY_ONBOARD, this::onboard);
    MessageConsumer<JsonObject> account = vertx.eventBus().localConsumer(Addresses.GATEWAY_ACCOUNT,
        this::accountStep);
    MessageConsumer<JsonObject> status = vertx.eventBus().localConsumer(Addresses.GATEWAY_STATUS, this::status);
    MessageConsumer<JsonObject> signIn = vertx.eventBus().localConsumer(Addresses.GATEWAY_SIGNIN,
        msg -> SignInCalls.handle(flow, msg));
    MessageConsumer<JsonObject> drain = vertx.eventBus().localConsumer(Addresses.GATEWAY_DRAIN, msg -> {
      gate.close("draining");
      msg.reply(new JsonObject().put("inFlight", gate.inFlight()).put("active", active));
    });
    // Cluster-wide: a cancel published on any node reaches every node's gateway.
    MessageConsumer<Object> cancel = vertx.eventBus().consumer(Addresses.GATEWAY_CANCEL, this::cancel);
    return Future.all(List.of(onboard.completion(), account.completion(), status.completion(), drain.completion(),
            cancel.completion(), signIn.completion()))
        .compose(v -> clusterRate.start());
  }

  @Override
  public Future<?> stop() {
    return clusterRate.stop().eventually(() -> {
      client.gate().close("stopped");
      return client.close();
    });
  }

  /**
   * Item JSON as {@link OnboardFlow#onboard} reads it, plus optional "jobId" (for cancel) and
   * "recovered" (true: it may exist at Cyclr already, so it is never cancelled here).
   */
  private void onboard(Message<JsonObject> msg) {
    JsonObject item = msg.body();
    String account = item.getString("account");
    String jobId = item.getValue("jobId") instanceof String s ? s : null;
    boolean recovered = Boolean.TRUE.equals(item.getValue("recovered"));
    if (jobId != null && !recovered && cancelledLately(jobId)) {
      msg.reply(cancelledReply());
      return;
    }
    ItemRun run = new ItemRun(jobId, recovered);
    if (jobId != null) {
      byJob.computeIfAbsent(jobId, k -> new HashSet<>()).add(run);
    }
    active++;
    // Chain after whatever this account is already doing.
    Future<?> previous = accountTails.getOrDefault(account, Future.succeededFuture());
    Future<JsonObject> mine = previous.transform(ignored -> run.cancelled ? Future.succeededFuture(cancelledReply())
        : start(run, account, item, 0));
    accountTails.put(account, mine);
    mine.onComplete(ar -> {
      active--;
      if (accountTails.get(account) == mine) {
        accountTails.remove(account);
      }
      running.remove(account, run);
      Set<ItemRun> ofJob = jobId == null ? null : byJob.get(jobId);
      if (ofJob != null && ofJob.remove(run) && ofJob.isEmpty()) {
        byJob.remove(jobId);
      }
      run.reply.tryComplete(ar.result()); // a cancelled item was answered already
    });
    run.reply.future().onSuccess(msg::reply);
  }

  /**
   * One account step of a job with a template ({@link TemplateFlow#run} JSON, plus "jobId" and "recovered"):
   * queued behind whatever this account is doing here, like an item, so items and account steps of one account
   * never overlap; cancelled like an item until its template install is let through.
   */
  private void accountStep(Message<JsonObject> msg) {
    JsonObject req = msg.body();
    String account = req.getString("account");
    String jobId = req.getValue("jobId") instanceof String s ? s : null;
    boolean recovered = Boolean.TRUE.equals(req.getValue("recovered"));
    if (jobId != null && !recovered && cancelledLately(jobId)) {
      msg.reply(handBack(false));
      return;
    }
    ItemRun run = new ItemRun(jobId, recovered);
    if (jobId != null) {
      byJob.computeIfAbsent(jobId, k -> new HashSet<>()).add(run);
    }
    active++;
    Future<?> previous = accountTails.getOrDefault(account, Future.succeededFuture());
    Future<JsonObject> mine = previous.transform(ignored -> run.cancelled ? Future.succeededFuture(handBack(false))
        : runAccountStep(run, account, req, 0));
    accountTails.put(account, mine);
    mine.onComplete(ar -> {
      active--;
      if (accountTails.get(account) == mine) {
        accountTails.remove(account);
      }
      running.remove(account, run);
      Set<ItemRun> ofJob = jobId == null ? null : byJob.get(jobId);
      if (ofJob != null && ofJob.remove(run) && ofJob.isEmpty()) {
        byJob.remove(jobId);
      }
      JsonObject reply = ar.result();
      // The cancel answered items with the item shape: an account step is handed back instead.
      run.reply.tryComplete(reply);
    });
    run.reply.future().onSuccess(r -> msg.reply(Boolean.TRUE.equals(r.getValue("cancelled")) ? handBack(false) : r));
  }

  private Future<JsonObject> runAccountStep(ItemRun run, String account, JsonObject req, int restarts) {
    running.put(account, run);
    return templateFlow.run(req)
        .map(TemplateFlow.Result::toJson)
        .recover(err -> {
          if (err instanceof CallCancelled && !run.cancelled && restarts < MAX_RESTARTS) {
            return runAccountStep(run, account, req, restarts + 1);
          }
          return Future.succeededFuture(accountFailure(err, run, req));
        });
  }

  /** An account step that ends nothing: it goes back to the store as it was ({@code recovered}: an install may have been sent). */
  private static JsonObject handBack(boolean recovered) {
    return new JsonObject().put("handBack", true).put("recovered", recovered);
  }

  /** The reply for an account step that failed, its message redacted like an item's. */
  private JsonObject accountFailure(Throwable err, ItemRun run, JsonObject req) {
    if (err instanceof CallCancelled) {
      return handBack(false);
    }
    if (err instanceof CyclrException.ShuttingDown s) {
      return handBack(s.afterInstall() && run.mayExistAtCyclr);
    }
    String code;
    String message;
    Integer httpStatus = null;
    if (err instanceof CyclrException e) {
      code = e.code();
      message = Redaction.clean(e.getMessage(), null, settings.clientSecret());
      httpStatus = e.httpStatus();
    } else {
      code = "INTERNAL";
      message = "unexpected error: " + err.getClass().getSimpleName();
      log.warn("account step of {}: unexpected {}: {}", req.getString("account"), err.getClass().getName(),
          Redaction.clean(err.getMessage(), null, settings.clientSecret()));
      log.debug("unexpected failure", err);
    }
    log.warn("account step of {} failed: {} {}", req.getString("account"), code, message);
    return new JsonObject().put("status", "FAILED").put("error", new JsonObject().put("code", code)
        .put("message", message).put("httpStatus", httpStatus));
  }

  private Future<JsonObject> start(ItemRun run, String account, JsonObject item, int restarts) {
    running.put(account, run);
    return flow.onboard(item)
        .map(OnboardFlow.Result::toJson)
        .recover(err -> {
          if (err instanceof CallCancelled && !run.cancelled && restarts < MAX_RESTARTS) {
            // A lookup shared with a cancelled item was abandoned: start over (the flow checks before installing).
            return start(run, account, item, restarts + 1);
          }
          return Future.succeededFuture(failure(err, run, item));
        });
  }

  /** Whether a waiting call belongs to a cancelled item: calls carry the item's account. */
  private boolean abandoned(Object owner) {
    ItemRun run = owner instanceof CyclrCall c && c.account() != null ? running.get(c.account()) : null;
    return run != null && run.cancelled;
  }

  /** An install let through may reach Cyclr: from now on its item is finished, not cancelled. */
  private void granted(Object owner) {
    if (owner instanceof CyclrCall c && !c.idempotent() && c.account() != null) {
      ItemRun run = running.get(c.account());
      if (run != null) {
        run.mayExistAtCyclr = true;
      }
    }
  }

  /**
   * {"jobId"}: that job's items here that sent no install are answered PENDING (cancelled, not
   * recovered) at once, and their waiting calls fail before being sent; items whose install may
   * have reached Cyclr finish normally.
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
    for (ItemRun run : byJob.getOrDefault(jobId, Set.of())) {
      if (run.mayExistAtCyclr) {
        finishing++;
      } else {
        run.cancelled = true;
        run.reply.tryComplete(cancelledReply());
        cancelled++;
      }
    }
    client.gate().abandonWaiting();
    if (cancelled + finishing > 0) {
      log.info("job {} cancelled: {} item(s) handed back untried, {} finishing (an install may have reached Cyclr)",
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

  private static JsonObject cancelledReply() {
    return new JsonObject().put("status", ItemStatus.PENDING.name()).put("recovered", false).put("cancelled", true);
  }

  /**
   * The reply for an item that failed, logged in one line. Its message goes through
   * {@link Redaction} here, the one place every error text passes before it is stored, returned,
   * published or logged: Cyclr's text might quote what it was sent.
   */
  private JsonObject failure(Throwable err, ItemRun run, JsonObject item) {
    if (err instanceof CallCancelled) {
      return cancelledReply();
    }
    if (err instanceof CyclrException.ShuttingDown s) {
      // Recovered only if an install was really let through: an install still waiting in the gate never left.
      return new JsonObject().put("status", ItemStatus.PENDING.name())
          .put("recovered", s.afterInstall() && run.mayExistAtCyclr);
    }
    String authValue = item.getString("authValue");
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
      log.warn("item {} (account {}): unexpected {}: {}", item.getValue("itemId"), item.getString("account"),
          err.getClass().getName(), Redaction.clean(err.getMessage(), authValue, settings.clientSecret()));
      log.debug("unexpected failure", err);
    }
    log.warn("item {} (account {}) failed: {} {}", item.getValue("itemId"), item.getString("account"), code,
        message);
    return new JsonObject().put("status", ItemStatus.FAILED.name()).put("error", new JsonObject()
        .put("code", code).put("message", message).put("httpStatus", httpStatus));
  }

  private void status(Message<JsonObject> msg) {
    RequestGate gate = client.gate();
    long since = gate.breaker().outageSinceMillis();
    // Degraded: the breaker has stayed open (Cyclr down) longer than gateway.degradedAfterMs; readiness uses it.
    boolean degraded = settings.degradedAfterMs() > 0
        && gate.outageNanos() > settings.degradedAfterMs() * 1_000_000;
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
        .put("activeItems", active));
  }
}
