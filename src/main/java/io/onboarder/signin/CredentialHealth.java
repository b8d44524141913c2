package io.onboarder.signin;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.time.Clock;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: credential health. A {@link LeasePump} claims AUTHENTICATED items whose check is due (each item
 * once per interval, cluster-wide, at its own hashed time: {@link CredentialChecks}), asks Cyclr through this
 * node's gateway ({@code HEALTH}, by account connector id) whether it is still {@code Authenticated}, and records
 * what it found: still signed in (next check in an interval), lost (REAUTH_REQUIRED, a fresh link, the watch
 * again), gone (404: no more checks), or no clear answer (again later; an outage pauses the checks:
 * {@link HealthBreaker}). Sends are paced to {@code rateShare} of the gateway's rate limit, so installs and the
 * sign-in watch keep the rest.
 */
public final class CredentialHealth extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CredentialHealth.class);
  /** A check that got no clear answer is tried again after this (or the interval, if shorter). */
  static final long RETRY_MS = 5 * 60_000;

  private final CredentialChecks store;
  private final SignIns signIns;
  private final NodeLifecycle node;
  private final boolean relayLinks;
  private final long intervalMs;
  private final double perSecond;
  private final int maxInFlight;
  private final long leaseMs;
  private final String nodeId = UUID.randomUUID().toString();
  private final HealthBreaker breaker = new HealthBreaker();
  private Clock clock;
  private Function<SignInRequest, Future<SignInReply>> gateway;
  private long nextSlotAt = Long.MIN_VALUE;
  private long wakeTimer = -1;
  private LeasePump<CredentialChecks.Due, HealthQueue.Found> pump;

  public CredentialHealth(Settings settings, CredentialChecks store, SignIns signIns, NodeLifecycle node) {
    this(store, signIns, node, settings.publicUrl() != null, settings.credentialHealth().intervalMs(),
        settings.credentialHealth().checksPerSecond(settings.ratePerSecond()),
        Math.max(1, Math.min(4, settings.maxConcurrency() / 8)),
        Math.max(settings.leaseMs(), settings.cyclrRequestTimeoutMs() * Math.min(3, settings.maxAttempts())));
  }

  CredentialHealth(CredentialChecks store, SignIns signIns, NodeLifecycle node, boolean relayLinks, long intervalMs,
                   double perSecond, int maxInFlight, long requestMs) {
    this.store = store;
    this.signIns = signIns;
    this.node = node;
    this.relayLinks = relayLinks;
    this.intervalMs = intervalMs;
    this.perSecond = perSecond;
    this.maxInFlight = maxInFlight;
    // A claim outlives the wait for its paced slot and a check's worst case, so two nodes do not check one item.
    this.leaseMs = requestMs + Math.round(maxInFlight * 1000 / perSecond);
  }

  @Override
  public Future<?> start() {
    DeliveryOptions toGateway = new DeliveryOptions().setLocalOnly(true).setSendTimeout(leaseMs);
    pump = pump(Clock.of(vertx), check -> vertx.eventBus().<SignInReply>request(Addresses.GATEWAY_SIGNIN, check,
        toGateway).map(Message::body));
    Metrics.current().gauge("onboarder.credential.checking", "Credential health checks this node has at Cyclr now",
        pump::inFlight);
    node.register(pump);
    pump.start();
    log.info("credential health: every item checked once per {} ms, at most {} checks/s from this node",
        intervalMs, perSecond);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    // As the sign-in watch: nothing new is claimed; checks in flight are let go (their claims lapse).
    pump.drain(0);
    return Future.succeededFuture();
  }

  /** The checks' pump on {@code clock}, asking Cyclr through {@code gateway} (a {@code HEALTH} sign-in call). */
  LeasePump<CredentialChecks.Due, HealthQueue.Found> pump(Clock clock,
                                                         Function<SignInRequest, Future<SignInReply>> gateway) {
    this.clock = clock;
    this.gateway = gateway;
    long idleMs = Math.max(10, Math.min(5_000, intervalMs / 4));
    HealthQueue queue = new HealthQueue(store, clock, nodeId, intervalMs, leaseMs, idleMs, this::lost);
    pump = new LeasePump<>("credential check", clock, queue, new LeasePump.Sender<>() {
      @Override
      public Future<HealthQueue.Found> send(CredentialChecks.Due due) {
        // A pause that began while this one waited for its slot: it waits for its next turn, unasked.
        return paced().compose(v -> breaker.paused(clock.nowMs()) ? Future.succeededFuture(
            new HealthQueue.Found(due, HealthQueue.Kind.FAILED, later(breaker.pauseLeft(clock.nowMs())))) : check(due));
      }

      @Override
      public HealthQueue.Found failed(CredentialChecks.Due due, Throwable cause) {
        return node.draining() ? null : noAnswer(due, cause);
      }
    }, new LeasePump.Options(maxInFlight, 1, maxInFlight, maxInFlight, 0, idleMs, idleMs),
        () -> node.mayClaim() && !breaker.paused(clock.nowMs()), new LeasePump.Listener<>() {
          @Override
          public void storeFailed(Throwable cause) {
            node.storeFailed("credential health", cause);
          }
        });
    return pump;
  }

  /** Completes at this send's slot: sends are at least 1/{@code perSecond} apart on this node. */
  private Future<Void> paced() {
    long now = clock.nowMs();
    long slot = Math.max(now, nextSlotAt);
    nextSlotAt = slot + Math.max(1, Math.round(1000 / perSecond));
    if (slot <= now) {
      return Future.succeededFuture();
    }
    return clock.timer(slot - now);
  }

  private Future<HealthQueue.Found> check(CredentialChecks.Due due) {
    SignInRequest ask = new SignInRequest(SignInOp.HEALTH, due.account(), due.accountConnectorId(), null);
    return gateway.apply(ask).map(state -> {
      if (node.draining()) {
        return null; // the claim lapses; whoever runs next checks it
      }
      breaker.answered();
      if (!state.found()) {
        Metrics.current().credentialCheck("gone");
        LogKeys.item(log.atWarn(), due.jobId(), due.itemId(), due.account())
            .log("item {} ({}): account connector {} no longer exists at Cyclr; its credentials are no longer "
                + "checked", due.itemId(), due.account(), due.accountConnectorId());
        return new HealthQueue.Found(due, HealthQueue.Kind.GONE, 0);
      }
      Metrics.current().credentialCheck(state.authenticated() ? "healthy" : "lost");
      return new HealthQueue.Found(due, state.authenticated() ? HealthQueue.Kind.HEALTHY : HealthQueue.Kind.LOST, 0);
    }).recover(err -> Future.succeededFuture(node.draining() ? null : noAnswer(due, err)));
  }

  /** No clear answer: the item again later; enough of these in a row pause the checks (a Cyclr outage). */
  private HealthQueue.Found noAnswer(CredentialChecks.Due due, Throwable cause) {
    Metrics.current().credentialCheck("failed");
    long now = clock.nowMs();
    long pause = breaker.failed(now);
    if (pause > 0) {
      log.warn("credential health: {} checks in a row got no answer from Cyclr ({}); pausing checks for {} s",
          HealthBreaker.THRESHOLD, cause.getMessage(), pause / 1000);
      if (wakeTimer >= 0) {
        clock.cancel(wakeTimer);
      }
      wakeTimer = clock.schedule(pause, () -> {
        wakeTimer = -1;
        pump.wake();
      });
    }
    return new HealthQueue.Found(due, HealthQueue.Kind.FAILED, later(breaker.pauseLeft(now)));
  }

  /** When an item without a clear answer is checked again: after a retry delay (or the pause), spread ±10 %. */
  private long later(long pauseLeftMs) {
    long retry = Math.max(Math.min(RETRY_MS, intervalMs), pauseLeftMs);
    return WatchSchedule.jittered(retry, ThreadLocalRandom.current()::nextDouble);
  }

  /**
   * Recorded (REAUTH_REQUIRED; the store wrote its events, and with them the account's history entry
   * {@code credential.lost}): without relay links, a raw Cyclr link is minted now.
   */
  private void lost(CredentialChecks.Lost lost) {
    LogKeys.item(log.atInfo(), lost.jobId(), lost.itemId(), lost.account())
        .log("job {}: item {} ({}) lost its sign-in at Cyclr; it is REAUTH_REQUIRED{}", lost.jobId(), lost.itemId(),
            lost.account(), lost.url() != null ? " and has a fresh link" : "");
    if (relayLinks || lost.cancelled()) {
      return;
    }
    SignIns.LinkTarget target = new SignIns.LinkTarget(lost.itemId(), lost.jobId(), lost.account(),
        lost.accountConnectorId(), lost.connectorId(), lost.connectorName());
    JsonObject oauth = lost.oauth();
    LinkOptions link = new LinkOptions(oauth.getString("targetOrigin"), oauth.getString("callbackMessage"),
        oauth.getString("username"), true);
    gateway.apply(new SignInRequest(SignInOp.MINT, lost.account(), lost.accountConnectorId(), link))
        .compose(minted -> signIns.rawLinkIssued(target, minted.url(), minted.expiresAt()))
        .onFailure(err -> LogKeys.item(log.atWarn(), lost.jobId(), lost.itemId(), lost.account())
            .log("item {}: no new Cyclr sign-in link was minted ({}); the sign-in watch still waits for the tenant, "
                + "and POST …/items/{}/link issues one", lost.itemId(), err.getMessage(), lost.itemId()));
  }
}
