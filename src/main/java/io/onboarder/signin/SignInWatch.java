package io.onboarder.signin;

import io.onboarder.bus.Addresses;
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
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: notices tenants signing in. A {@link LeasePump} claims OAUTH_PENDING items whose next
 * poll is due ({@link WatchQueue}), asks Cyclr through this node's gateway whether each account connector
 * is {@code Authenticated}, and records AUTHENTICATED (the store publishes the item event) or the next
 * poll with backoff. It keeps at most a quarter of the gateway's concurrency busy, so install work keeps
 * the rest; its calls share the gateway's rate limit. Nothing here is remembered across restarts but what
 * the store holds.
 */
public final class SignInWatch extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SignInWatch.class);
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.MINUTES.toMillis(10));

  private final SignIns store;
  private final NodeLifecycle node;
  private final SignInPolicy policy;
  private final WatchSchedule schedule;
  private final String nodeId = UUID.randomUUID().toString();
  private final int maxInFlight;
  private final long leaseMs;
  private LeasePump<SignIns.Watched, WatchQueue.Found> pump;

  public SignInWatch(Settings settings, SignIns store, NodeLifecycle node) {
    // A claim outlives a poll's worst case (every attempt timing out) so two nodes do not poll one item at once.
    this(store, node, SignInPolicy.of(settings), Math.max(1, settings.maxConcurrency() / 4),
        Math.max(settings.leaseMs(), settings.cyclrRequestTimeoutMs() * Math.min(3, settings.maxAttempts())));
  }

  SignInWatch(SignIns store, NodeLifecycle node, SignInPolicy policy, int maxInFlight, long leaseMs) {
    this.store = store;
    this.node = node;
    this.policy = policy;
    this.schedule = policy.schedule();
    this.maxInFlight = maxInFlight;
    this.leaseMs = leaseMs;
  }

  @Override
  public Future<?> start() {
    pump = pump(Clock.of(vertx), check -> vertx.eventBus().<SignInReply>request(Addresses.GATEWAY_SIGNIN, check,
        TO_GATEWAY).map(Message::body));
    Metrics.current().gauge("onboarder.signins.polling", "Sign-in checks this node has at Cyclr now",
        pump::inFlight);
    node.register(pump);
    pump.start();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    // Nothing new is claimed; polls in flight are let go (their claims lapse and whoever runs next polls them).
    // Not waited for: when Vert.x closes without the service's stop, the store may never answer again.
    pump.drain(0);
    return Future.succeededFuture();
  }

  /** The watch's pump on {@code clock}, asking Cyclr through {@code gateway} (a sign-in check request). */
  LeasePump<SignIns.Watched, WatchQueue.Found> pump(Clock clock,
                                                         Function<SignInRequest, Future<SignInReply>> gateway) {
    // The longest sleep between looks at the store while nothing is due (new watches start at least this far out).
    long idleMs = Math.max(10, Math.min(5_000, policy.watchFirstMs()));
    return new LeasePump<>("sign-in watch", clock, new WatchQueue(store, clock, nodeId, leaseMs),
        new LeasePump.Sender<>() {
          @Override
          public Future<WatchQueue.Found> send(SignIns.Watched w) {
            return poll(w, gateway);
          }

          @Override
          public WatchQueue.Found failed(SignIns.Watched w, Throwable cause) {
            // Cyclr did not answer: try again at the same pace, without backing off further.
            return node.draining() ? null : again(w, w.intervalMs());
          }
        },
        new LeasePump.Options(maxInFlight, 1, maxInFlight, maxInFlight, 0, idleMs, idleMs),
        node::mayClaim, new LeasePump.Listener<>() {
          @Override
          public void storeFailed(Throwable cause) {
            node.storeFailed("sign-in watch", cause);
          }
        });
  }

  private Future<WatchQueue.Found> poll(SignIns.Watched w, Function<SignInRequest, Future<SignInReply>> gateway) {
    if (w.accountConnectorId() == null) {
      return Future.succeededFuture(new WatchQueue.Found(w.itemId(), WatchQueue.Kind.STOP, 0, 0));
    }
    SignInRequest check = new SignInRequest(SignInOp.CHECK, w.account(), w.accountConnectorId(), null);
    return gateway.apply(check).map(state -> {
      if (node.draining()) {
        return null; // the claim lapses; whoever runs next polls it again
      }
      if (!state.found()) {
        log.atWarn().addKeyValue(LogKeys.ITEM_ID, String.valueOf(w.itemId()))
            .log("item {}: account connector {} no longer exists at Cyclr; its sign-in is no longer watched",
                w.itemId(), w.accountConnectorId());
        return new WatchQueue.Found(w.itemId(), WatchQueue.Kind.STOP, 0, 0);
      }
      if (state.authenticated()) {
        return new WatchQueue.Found(w.itemId(), WatchQueue.Kind.AUTHENTICATED, 0, 0);
      }
      return again(w, schedule.after(w.intervalMs()));
    });
  }

  private static WatchQueue.Found again(SignIns.Watched w, long intervalMs) {
    return new WatchQueue.Found(w.itemId(), WatchQueue.Kind.AGAIN, intervalMs,
        WatchSchedule.jittered(intervalMs, ThreadLocalRandom.current()::nextDouble));
  }
}
