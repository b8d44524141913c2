package io.onboarder;

import io.onboarder.api.BearerAuth;
import io.onboarder.api.HttpApiVerticle;
import io.onboarder.api.JwksSource;
import io.onboarder.api.JwtCallers;
import io.onboarder.bridge.BridgeVerticle;
import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract;
import io.onboarder.config.Settings;
import io.onboarder.fleet.FleetIntake;
import io.onboarder.fleet.FleetService;
import io.onboarder.history.HistoryService;
import io.onboarder.cyclr.CyclrGatewayVerticle;
import io.onboarder.cluster.ClusterSetup;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.AccountSteps;
import io.onboarder.intake.IntakeLimits;
import io.onboarder.intake.JobIntake;
import io.onboarder.intake.SubmitService;
import io.onboarder.job.Dispatcher;
import io.onboarder.metrics.Metrics;
import io.onboarder.job.JobEvents;
import io.onboarder.job.JobService;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.Clock;
import io.onboarder.trace.Tracing;
import io.onboarder.job.Retention;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.webhook.WebhookSender;
import io.onboarder.webhook.WebhookService;
import io.onboarder.metrics.StoreCounts;
import io.onboarder.signin.ConnectService;
import io.onboarder.signin.CampaignService;
import io.onboarder.signin.SignInCampaigns;
import io.onboarder.signin.CredentialHealth;
import io.onboarder.signin.SignInWatch;
import io.onboarder.store.Stores;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service on one Vert.x instance (one node): store, gateway, dispatcher, job service and
 * HTTP API, started in that order by one compose chain, and stopped gracefully (drain, then close).
 * Single-process mode and cluster mode run the same code; only the store and the event bus differ.
 */
public final class Application {
  private static final Logger log = LoggerFactory.getLogger(Application.class);
  /** How old the pending-items gauge may be: each sample counts PENDING items of open jobs in the store. */
  static final long PENDING_SAMPLE_MS = 10_000;

  private final Vertx vertx;
  private final Settings settings;
  private final Stores store;
  private final int httpPort;
  /** Deployments stopped before the store closes (they use it on their own timers); bridge port or -1. */
  private final List<String> storeUsers;
  private final int bridgePort;
  private final NodeLifecycle node;

  private Application(Vertx vertx, Settings settings, Stores store, int httpPort, List<String> storeUsers,
                      int bridgePort, NodeLifecycle node) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.httpPort = httpPort;
    this.storeUsers = storeUsers;
    this.bridgePort = bridgePort;
    this.node = node;
  }

  /** Vert.x with Prometheus metrics, as the service runs it. */
  public static Vertx newVertx() {
    return newVertx(Tracing.OFF);
  }

  /** Vert.x with Prometheus metrics and {@code tracing}'s tracer (none when it is off). */
  public static Vertx newVertx(Tracing tracing) {
    return tracing.install(Vertx.builder().with(vertxOptions()).withMetrics(new MicrometerMetricsFactory())).build();
  }

  /**
   * The Vert.x of {@code settings}: clustered (Hazelcast, event bus over TCP) in cluster mode, traced when its
   * {@code OTEL_*} settings say so.
   */
  public static Future<Vertx> newVertx(Settings settings) {
    try {
      return newVertx(settings, Tracing.start(settings.tracing()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** As {@link #newVertx(Settings)}, with {@code tracing} (started by the caller). */
  public static Future<Vertx> newVertx(Settings settings, Tracing tracing) {
    if (!settings.clustered()) {
      return Future.succeededFuture(newVertx(tracing));
    }
    VertxOptions options = vertxOptions().setEventBusOptions(ClusterSetup.eventBus(settings));
    return tracing.install(Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory())
        .withClusterManager(ClusterSetup.clusterManager(settings)))
        .buildClustered();
  }

  private static VertxOptions vertxOptions() {
    // Vert.x's own per-request HTTP-client and event-bus meters cost more CPU than the work they
    // measure at thousands of calls per second; the gateway records Cyclr calls itself (Metrics).
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setJvmMetricsEnabled(true)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
        .setEnabled(true);
    return new VertxOptions().setMetricsOptions(metrics).setPreferNativeTransport(true);
  }

  /**
   * The gauges counted in the store (the whole cluster's): each an indexed count, at most one per
   * {@link #PENDING_SAMPLE_MS} and never on the scrape thread. Also the counters of known labels, at 0.
   */
  private static void storeGauges(Metrics metrics, Stores store, Context context) {
    metrics.known(names(ItemStatus.values()), names(JobStatus.values()), names(AccountStatus.values()));
    metrics.sampledGauge("onboarder.items.pending", "Items waiting to be dispatched over all jobs (sampled at most "
        + "every 10 s)", store.intake()::pendingItems, PENDING_SAMPLE_MS, context);
    StoreCounts counts = store.counts();
    metrics.sampledGauge("onboarder.signins.waiting", "Items waiting for their tenant to sign in, polled by the "
        + "sign-in watch (sampled at most every 10 s)", counts::signInsWaiting, PENDING_SAMPLE_MS, context);
    metrics.sampledGauge("onboarder.webhook.backlog", "Webhook deliveries neither delivered nor given up (sampled "
        + "at most every 10 s)", counts::webhooksPending, PENDING_SAMPLE_MS, context);
    metrics.sampledGauge("onboarder.webhook.oldest.seconds", "Age of the oldest undelivered webhook delivery "
        + "(sampled at most every 10 s)", counts::oldestWebhookSeconds, PENDING_SAMPLE_MS, context);
    metrics.sampledGauge("onboarder.fleets.drifted", "Fleets whose last reconcile found drift (sampled at most "
        + "every 10 s)", counts::fleetsDrifted, PENDING_SAMPLE_MS, context);
  }

  private static List<String> names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).toList();
  }

  /** The store of {@code settings}: PostgreSQL (shared) or the embedded SQLite file. */
  static Stores store(Vertx vertx, Settings settings) {
    SignInPolicy policy = SignInPolicy.of(settings);
    return settings.postgres()
        ? Stores.postgres(vertx, settings.storeUrl(), settings.secretKey(), settings.oldSecretKeys(),
            settings.storePoolSize(), policy)
        : Stores.sqlite(vertx, Path.of(settings.sqlitePath()), settings.secretKey(), settings.oldSecretKeys(), policy);
  }

  /**
   * Deploys the service configured by {@code config}, in the shape of the configuration file (the keys of
   * docs/configuration.md; the environment is not read): how a program embeds the service.
   */
  public static Future<Application> deploy(Vertx vertx, JsonObject config) {
    try {
      return deploy(vertx, Settings.from(config));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Deploys the whole service on {@code vertx}. HTTP port 0 picks a free port (see {@link #httpPort()}). */
  public static Future<Application> deploy(Vertx vertx, Settings settings) {
    return deploy(vertx, settings, Clock.of(vertx));
  }

  /**
   * As {@link #deploy(Vertx, Settings)}, with the fleet loop on {@code fleetClock}: the rollout's pauses, the
   * reconcile intervals and the applies' due times run on it (a test moves a virtual one).
   */
  public static Future<Application> deploy(Vertx vertx, Settings settings, Clock fleetClock) {
    // Once per Vert.x, before anything sends on the gateway's local addresses.
    GatewayContract.register(vertx.eventBus());
    Stores store = store(vertx, settings);
    // Events are written by the store with the change they describe, and published after the commit.
    store.onCommitted(new JobEvents(vertx.eventBus(), Metrics.current())::published);
    store.outboxTypes(settings.webhooksEnabled() ? settings.webhookEvents() : Set.of());
    NodeLifecycle node = new NodeLifecycle(Clock.of(vertx), settings.leaseMs(),
        err -> StoreException.is(err, StoreException.Kind.DISK_FULL));
    node.probeWritesWith(store::probeWrite);
    IntakeLimits limits = new IntakeLimits(settings.maxIntakeBytes(), settings.maxIntakeItems());
    JobIntake intake = new JobIntake(vertx, settings, store.intake(), store.jobs(), node, limits);
    FleetIntake fleets = new FleetIntake(vertx, settings, store.fleets(), node, limits);
    Metrics metrics = Metrics.current();
    metrics.gauge("onboarder.store.disk.full", "1 while the job store's disk is full (submissions get 507), else 0",
        () -> node.diskFull() ? 1 : 0);
    metrics.gauge("onboarder.store.reachable", "1 while the job store answers this node's health check, else 0",
        () -> node.storeReachable() ? 1 : 0);
    metrics.gauge("onboarder.store.transactions", "Store transactions and single statements this node ran since it "
        + "started (a measure of store work per install)", store::transactions);
    metrics.gauge("onboarder.intake.bytes", "Bytes of job bodies this node is taking in now", limits::bytesInFlight);
    metrics.gauge("onboarder.intake.items", "Items this node is taking in and has not committed yet",
        limits::itemsInFlight);
    // JWT callers: one key set per node, shared by the HTTP API and the bridge.
    JwksSource jwks = settings.jwt().enabled() ? new JwksSource(settings.jwt(), Clock.of(vertx)) : null;
    BearerAuth auth = new BearerAuth(settings.apiTokens(), jwks == null ? null : new JwtCallers(settings.jwt(), jwks));
    // One HTTP API instance per core (they share the port); the API is stateless.
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    List<String> storeUsers = new ArrayList<>();
    return store.start()
        // Counted in the store (an index range over open jobs), so sampled: at most one count per interval.
        .onSuccess(v -> storeGauges(metrics, store, vertx.getOrCreateContext()))
        // The gateway and the two dispatchers trade a request and a reply per item: on one event loop.
        .compose(v -> vertx.deployVerticle(new OneLoop(new CyclrGatewayVerticle(settings, node.leaseCheck()),
            new Dispatcher(settings, store.jobs(), store.items(), store.accounts(), node),
            new AccountSteps(settings, store.jobs(), store.accounts(), node))))
        .compose(v -> vertx.deployVerticle(new JobService(new JobService.Ports(store.jobs(), store.items(),
            store.accounts(), store.events(), store.signIns(), SignInPolicy.of(settings)), node)))
        .compose(v -> vertx.deployVerticle(new SubmitService(intake)))
        .compose(v -> vertx.deployVerticle(new HistoryService(store.history())))
        .compose(v -> vertx.deployVerticle(new FleetService(new FleetService.Ports(store.fleets(),
            store.plans(), store.applies(), fleets, intake, store.jobs(), store.items(), store.campaigns(),
            store.fleetLeases(), store.installs(), store.accounts()),
            fleetClock, node, settings.leaseMs())))
        .compose(v -> vertx.deployVerticle(new WebhookService(settings, store.outbox(), store.endpoints())))
        .compose(v -> vertx.deployVerticle(new Retention(store.events(), store.outbox(),
            store.history()::prune)).onSuccess(storeUsers::add))
        .compose(v -> settings.webhooksEnabled()
            ? vertx.deployVerticle(new WebhookSender(settings, store.outbox(), store.endpoints(), node))
                .onSuccess(storeUsers::add)
            : Future.succeededFuture())
        .compose(v -> vertx.deployVerticle(new SignInWatch(settings, store.signIns(), node))
            .onSuccess(storeUsers::add))
        // Credential health (SIGNIN_HEALTH_INTERVAL_HOURS, 0 = off).
        .compose(v -> !settings.credentialHealth().enabled() ? Future.succeededFuture()
            : vertx.deployVerticle(new CredentialHealth(settings, store.credentialChecks(), store.signIns(), node))
                .onSuccess(storeUsers::add))
        .compose(v -> vertx.deployVerticle(new SignInCampaigns(settings, store.campaigns(), store.signIns(), node))
            .onSuccess(storeUsers::add))
        .compose(v -> vertx.deployVerticle(new CampaignService(store.jobs(), store.campaigns())))
        .compose(v -> vertx.deployVerticle(new ConnectService(store.signIns(), store.mints(), store.campaigns(),
            store.history(), SignInPolicy.of(settings), settings.linkMaxMints(), settings.linkMintWindowMs())))
        .compose(v -> jwks == null ? Future.succeededFuture() : vertx.deployVerticle(jwks))
        // All API instances share one port; for port 0 one free port is picked first.
        .compose(v -> settings.httpPort() != 0 ? Future.succeededFuture(settings.httpPort())
            : vertx.executeBlocking(Application::freePort))
        .compose(port -> vertx.deployVerticle(HttpApiVerticle.instances(settings, port, intake, fleets, auth),
            new DeploymentOptions().setInstances(instances)).map(port))
        .compose(port -> !settings.bridgeEnabled() ? Future.succeededFuture(new Application(vertx, settings, store,
            port, storeUsers, -1, node))
            : deployBridge(vertx, settings, auth).map(bridgePort -> new Application(vertx, settings, store, port,
                storeUsers, bridgePort, node)))
        .onFailure(err -> store.close());
  }

  private static Future<Integer> deployBridge(Vertx vertx, Settings settings, BearerAuth auth) {
    BridgeVerticle bridge = new BridgeVerticle(settings, auth);
    return vertx.deployVerticle(bridge).map(id -> bridge.actualPort());
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public int httpPort() {
    return httpPort;
  }

  /** The TCP event-bus bridge's port, or -1 when {@code BRIDGE_PORT} is not set. */
  public int bridgePort() {
    return bridgePort;
  }

  /** What this node knows about itself (started, draining, store reachable, leases held). */
  public NodeLifecycle node() {
    return node;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This node's store (tests make it fail under the running service: closed, or its disk full). */
  public Stores store() {
    return store;
  }

  /**
   * Graceful stop: readiness goes DOWN and no new items are claimed; in-flight items get
   * {@code graceMs} to finish; outcomes are flushed; then everything is closed.
   */
  public Future<Void> drain(long graceMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(graceMs + 10_000);
    JsonObject body = new JsonObject().put("graceMs", graceMs);
    Future<Void> items = vertx.eventBus().<JsonObject>request(Addresses.JOBS_DRAIN, body, options)
        .onSuccess(r -> log.info("drained; {} item(s) were still in flight", r.body().getInteger("inFlight")))
        .mapEmpty();
    Future<Void> accounts = vertx.eventBus().<JsonObject>request(Addresses.ACCOUNTS_DRAIN, body, options)
        .onSuccess(r -> {
          if (r.body().getInteger("inFlight", 0) > 0) {
            log.info("{} account step(s) were still in flight", r.body().getInteger("inFlight"));
          }
        })
        .mapEmpty();
    return Future.join(items, accounts)
        .<Void>mapEmpty()
        .recover(err -> {
          log.warn("drain did not complete cleanly: {}", err.getMessage());
          return Future.succeededFuture();
        });
  }

  /**
   * Drains, then closes the store. The caller closes Vert.x afterwards, from its own thread: a
   * future chained on an event loop cannot report Vert.x's own close.
   */
  public Future<Void> stop(long graceMs) {
    return drain(graceMs)
        .compose(v -> Future.join(storeUsers.stream().map(vertx::undeploy).toList()).<Void>mapEmpty()
            .recover(err -> Future.succeededFuture()))
        .compose(v -> store.close());
  }
}
