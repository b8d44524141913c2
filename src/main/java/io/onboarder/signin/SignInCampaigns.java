package io.onboarder.signin;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One per node: runs the sign-in campaigns. A {@link LeasePump} claims links whose next step is due
 * ({@link CampaignQueue}): a reminder is written with its event and webhook at once; an expiry first asks
 * Cyclr (through this node's gateway) whether the tenant signed in after all, since the watch looks only
 * every so often, and records the sign-in or SIGN_IN_EXPIRED. Every link issued anywhere in the cluster
 * (an {@code onboarder.events.oauth} event) wakes it, so a first step due soon is not missed by its idle
 * sleep. Nothing is remembered across restarts but what the store holds.
 */
public final class SignInCampaigns extends VerticleBase {
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.MINUTES.toMillis(10));
  /** The longest sleep between looks at the store while nothing is due (links issued elsewhere wake it sooner). */
  static final long IDLE_MS = 5_000;

  private final Campaigns campaigns;
  private final SignIns signIns;
  private final NodeLifecycle node;
  private final String nodeId = UUID.randomUUID().toString();
  private final int maxInFlight;
  private final long leaseMs;
  private final long idleMs;
  private LeasePump<Campaigns.Due, CampaignQueue.Taken> pump;
  private MessageConsumer<Object> issued;

  public SignInCampaigns(Settings settings, Campaigns campaigns, SignIns signIns, NodeLifecycle node) {
    // A claim outlives an expiry's check at Cyclr (every attempt timing out), as the watch's does.
    this(campaigns, signIns, node, Math.max(1, settings.maxConcurrency() / 4),
        Math.max(settings.leaseMs(), settings.cyclrRequestTimeoutMs() * Math.min(3, settings.maxAttempts())), IDLE_MS);
  }

  SignInCampaigns(Campaigns campaigns, SignIns signIns, NodeLifecycle node, int maxInFlight, long leaseMs,
                  long idleMs) {
    this.campaigns = campaigns;
    this.signIns = signIns;
    this.node = node;
    this.maxInFlight = maxInFlight;
    this.leaseMs = leaseMs;
    this.idleMs = idleMs;
  }

  @Override
  public Future<?> start() {
    pump = pump(Clock.of(vertx), check -> vertx.eventBus().<SignInReply>request(Addresses.GATEWAY_SIGNIN, check,
        TO_GATEWAY).map(Message::body));
    node.register(pump);
    pump.start();
    issued = vertx.eventBus().consumer(Addresses.EVENTS_OAUTH, msg -> pump.wake());
    return issued.completion();
  }

  @Override
  public Future<?> stop() {
    // Steps in flight are let go: their claims lapse and whoever runs next takes them (not waited for, as the watch).
    pump.drain(0);
    return issued.unregister();
  }

  /** The campaigns' pump on {@code clock}, asking Cyclr through {@code gateway} (a sign-in check) before an expiry. */
  LeasePump<Campaigns.Due, CampaignQueue.Taken> pump(Clock clock,
                                                     Function<SignInRequest, Future<SignInReply>> gateway) {
    return new LeasePump<>("sign-in campaign step", clock, new CampaignQueue(campaigns, signIns, nodeId, leaseMs),
        new LeasePump.Sender<>() {
          @Override
          public Future<CampaignQueue.Taken> send(Campaigns.Due due) {
            if (!due.expiry() || due.accountConnectorId() == null) {
              return Future.succeededFuture(new CampaignQueue.Taken(due, false));
            }
            SignInRequest check = new SignInRequest(SignInOp.CHECK, due.account(), due.accountConnectorId(), null);
            return gateway.apply(check).map(state -> new CampaignQueue.Taken(due, state.found()
                && state.authenticated()));
          }

          @Override
          public CampaignQueue.Taken failed(Campaigns.Due due, Throwable cause) {
            // Cyclr did not answer the last check: the claim lapses and the expiry is tried again after its lease.
            return null;
          }
        },
        new LeasePump.Options(maxInFlight, 1, maxInFlight, maxInFlight, 0, idleMs, Math.min(idleMs, IDLE_MS)),
        node::mayClaim, new LeasePump.Listener<>() {
          @Override
          public void storeFailed(Throwable cause) {
            node.storeFailed("sign-in campaigns", cause);
          }
        });
  }
}
