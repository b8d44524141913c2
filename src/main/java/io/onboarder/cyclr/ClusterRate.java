package io.onboarder.cyclr;

import io.onboarder.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes {@code gateway.ratePerSecond} a limit for the whole cluster: each node that runs a gateway
 * gets an equal share (R / gateways), re-balanced as gateways join and leave, and a 429 seen by one
 * node pauses and slows every node.
 *
 * <p>Who counts: every gateway registers a (cluster-wide) consumer on {@value Addresses#GATEWAY_MEMBERS};
 * the gateways are the distinct live nodes holding such a registration. Client JVMs that join the
 * cluster only to use the event bus run no gateway, so they take no share. Vert.x drops a node's
 * registrations when it leaves or dies, so a crashed node's share comes back by itself. A joining or
 * leaving gateway publishes on that address so the others recount at once; they also recount every
 * {@value #REFRESH_MS} ms. (The cluster manager's single node listener belongs to Vert.x's event bus,
 * so it is not used here.) Not clustered: the share is the whole rate and nothing is published.
 * Runs on the gateway's event loop, like the {@link RequestGate} it adjusts.
 */
public final class ClusterRate {
  private static final Logger log = LoggerFactory.getLogger(ClusterRate.class);
  static final long REFRESH_MS = 2_000;
  private static final long MAX_PEER_PAUSE_MS = RetryPolicy.MAX_RETRY_AFTER.toMillis();

  private final Vertx vertx;
  private final RequestGate gate;
  private final double clusterRate;
  private final ClusterManager cluster;
  private final String instanceId = UUID.randomUUID().toString();
  private Context context;
  private MessageConsumer<Object> members;
  private MessageConsumer<Object> rateLimited;
  private long timer = -1;
  private int gateways = 1;
  private boolean counting;
  private boolean countAgain;
  private boolean stopped;
  private boolean counted;

  /** {@code clusterRate}: requests/s for the whole cluster; 0 = unlimited. */
  public ClusterRate(Vertx vertx, RequestGate gate, double clusterRate) {
    this.vertx = vertx;
    this.gate = gate;
    this.clusterRate = clusterRate;
    this.cluster = vertx.isClustered() ? ((VertxInternal) vertx).clusterManager() : null;
  }

  /** Counts the gateways and sets this node's share; completes when the share is set. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    if (cluster == null) {
      gate.setRatePerSecond(clusterRate);
      return Future.succeededFuture();
    }
    // Until counted, assume every cluster member runs a gateway (client JVMs too): never above R.
    gateways = Math.max(1, cluster.getNodes().size());
    if (clusterRate > 0) {
      gate.setRatePerSecond(clusterRate / gateways);
    }
    EventBus bus = vertx.eventBus();
    rateLimited = bus.<Object>consumer(Addresses.GATEWAY_RATE_LIMITED, this::onPeerRateLimited);
    gate.onRateLimited(retryAfter -> bus.publish(Addresses.GATEWAY_RATE_LIMITED, new JsonObject()
        .put("retryAfterMs", retryAfter.toMillis()).put("from", instanceId)));
    members = bus.<Object>consumer(Addresses.GATEWAY_MEMBERS, msg -> count());
    return Future.all(members.completion(), rateLimited.completion())
        .compose(v -> count())
        .onSuccess(v -> {
          bus.publish(Addresses.GATEWAY_MEMBERS, new JsonObject().put("nodeId", cluster.getNodeId())
              .put("event", "joined"));
          timer = vertx.setPeriodic(REFRESH_MS, id -> count());
        });
  }

  /** Leaves the count (the others recount at once) and stops listening. */
  public Future<Void> stop() {
    stopped = true;
    if (cluster == null) {
      return Future.succeededFuture();
    }
    vertx.cancelTimer(timer);
    gate.onRateLimited(retryAfter -> { });
    return Future.join(members.unregister(), rateLimited.unregister())
        .transform(ar -> {
          vertx.eventBus().publish(Addresses.GATEWAY_MEMBERS, new JsonObject().put("nodeId", cluster.getNodeId())
              .put("event", "left"));
          return Future.succeededFuture();
        });
  }

  /** Gateways counted in the cluster (1 when not clustered). */
  public int gateways() {
    return gateways;
  }

  /** The whole cluster's rate (0 = unlimited). */
  public double clusterRate() {
    return clusterRate;
  }

  /** Recounts the gateways; overlapping requests are merged so an older count never wins. */
  private Future<Void> count() {
    if (stopped) {
      return Future.succeededFuture();
    }
    if (counting) {
      countAgain = true;
      return Future.succeededFuture();
    }
    counting = true;
    Promise<List<RegistrationInfo>> registrations = Promise.promise();
    cluster.getRegistrations(Addresses.GATEWAY_MEMBERS, registrations);
    Promise<Void> counted = Promise.promise();
    registrations.future().onComplete(ar -> context.runOnContext(v -> {
      counting = false;
      if (ar.succeeded() && !stopped) {
        Set<String> live = new HashSet<>(cluster.getNodes());
        Set<String> nodes = new HashSet<>();
        for (RegistrationInfo r : ar.result()) {
          if (!r.localOnly() && live.contains(r.nodeId())) {
            nodes.add(r.nodeId());
          }
        }
        nodes.add(cluster.getNodeId());
        share(nodes.size());
      } else if (ar.failed()) {
        log.debug("could not count the gateways in the cluster: {}", ar.cause().toString());
      }
      counted.complete();
      if (countAgain) {
        countAgain = false;
        count();
      }
    }));
    return counted.future();
  }

  private void share(int n) {
    if (n != gateways || !counted) {
      counted = true;
      log.info("{} gateway node(s) in the cluster: this node's share of gateway.ratePerSecond is {}", n,
          clusterRate > 0 ? String.format("%.2f/s", clusterRate / n) : "unlimited");
    }
    gateways = n;
    if (clusterRate > 0) {
      gate.setRatePerSecond(clusterRate / n);
    }
  }

  private void onPeerRateLimited(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body) || instanceId.equals(body.getValue("from"))
        || !(body.getValue("retryAfterMs") instanceof Number n)) {
      return;
    }
    gate.pauseForPeer(Duration.ofMillis(Math.max(0, Math.min(MAX_PEER_PAUSE_MS, n.longValue()))));
  }
}
