package io.onboarder.bridge;

import io.onboarder.api.BearerAuth;
import io.onboarder.bus.Addresses;
import io.onboarder.config.BridgeBounds;
import io.onboarder.config.Settings;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP event-bus bridge for Node, Python or Go clients ({@code BRIDGE_PORT}), speaking the protocol
 * of Vert.x's TCP event-bus bridge on one port: every frame needs {@code Authorization: Bearer <one of
 * API_TOKENS, or a JSON Web Token>} in its headers and is served as the token's caller; inbound only the public
 * {@code onboarder.jobs.*} addresses, outbound only {@code onboarder.events.*}, and only the events of
 * the caller's own jobs (admins: all). The stock bridge is not used: it buffers a frame of any announced
 * length, writes without back-pressure and cannot filter events per caller; {@link BridgeConnection}
 * does all three within bounds. This verticle owns the port and the connection slots: those with a
 * token and those without one yet are counted apart, and when the latter are full the oldest is closed,
 * so idle connections can neither take the slots of real clients nor keep new ones out.
 */
public final class BridgeVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(BridgeVerticle.class);
  /** The public request/reply addresses a bridge client may send to. */
  static final List<String> INBOUND = List.of(Addresses.JOBS_SUBMIT, Addresses.JOBS_GET, Addresses.JOBS_LIST,
      Addresses.JOBS_ITEMS, Addresses.JOBS_CANCEL, Addresses.JOBS_RETRY, Addresses.JOBS_EVENTS);
  static final Pattern OUTBOUND = Pattern.compile("onboarder\\.events\\..+");

  private final Settings settings;
  private final BridgeBounds bounds;
  private final BearerAuth auth;
  private final Metrics metrics = Metrics.current();
  private final BridgeStats stats = new BridgeStats(metrics);
  /** Connections without a valid token yet, oldest first. */
  private final Set<BridgeConnection> waiting = new LinkedHashSet<>();
  private int serving;
  private long heldUnauthenticated;
  private BridgeConnection.Shared shared;
  private NetServer server;

  public BridgeVerticle(Settings settings) {
    this(settings, new BearerAuth(settings.apiTokens()));
  }

  /** A bridge checking tokens with the node's {@code auth} (static tokens, and JSON Web Tokens when configured). */
  public BridgeVerticle(Settings settings, BearerAuth auth) {
    this.settings = settings;
    this.bounds = settings.bridgeBounds();
    this.auth = auth;
  }

  @Override
  public Future<?> start() {
    shared = new BridgeConnection.Shared(vertx, auth, settings.bridgeMaxFrameBytes(), bounds,
        new EventVisibility(vertx.eventBus()), stats, new Slots());
    metrics.gauge("onboarder.bridge.connections", "Bridge connections with a valid token", stats::authenticated);
    metrics.gauge("onboarder.bridge.connections.unauthenticated", "Bridge connections without a valid token yet",
        stats::unauthenticated);
    // Silent for this long in both directions (no frame, no event): closed. Clients ping to stay.
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, bounds.idleTimeoutMs()))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectHandler(this::connected);
    return server.listen(settings.bridgePort())
        .onSuccess(s -> log.info("event-bus bridge on TCP port {} (inbound {}, outbound onboarder.events.*)",
            s.actualPort(), INBOUND));
  }

  @Override
  public Future<?> stop() {
    return server.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** What the bounds did so far (for tests and metrics). */
  public BridgeStats stats() {
    return stats;
  }

  private void connected(NetSocket socket) {
    if (waiting.size() >= bounds.maxUnauthenticated()) {
      // The oldest has had the longest to authenticate; a real client sends its first frame at once.
      Iterator<BridgeConnection> oldest = waiting.iterator();
      BridgeConnection evicted = oldest.next();
      oldest.remove();
      evicted.close("evicted", Frames.error(null, 503, "too many bridge connections without a valid token; "
          + "closing the oldest"));
    }
    BridgeConnection c = new BridgeConnection(shared, socket);
    waiting.add(c);
    stats.open(serving, waiting.size());
    c.start();
  }

  private final class Slots implements BridgeConnection.Slots {
    @Override
    public boolean authenticated(BridgeConnection c) {
      waiting.remove(c);
      boolean admitted = serving < bounds.maxConnections();
      if (admitted) {
        serving++;
      }
      stats.open(serving, waiting.size());
      return admitted;
    }

    @Override
    public long held(long delta) {
      heldUnauthenticated += delta;
      stats.heldUnauthenticated(heldUnauthenticated);
      return heldUnauthenticated;
    }

    @Override
    public void gone(BridgeConnection c) {
      if (c.authenticated()) {
        serving--;
      } else {
        waiting.remove(c);
      }
      stats.open(serving, waiting.size());
    }
  }
}
