package io.onboarder.bridge;

import io.onboarder.api.BearerAuth;
import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP event-bus bridge for Node, Python or Go clients ({@code BRIDGE_PORT}). Two layers:
 * <ul>
 *   <li>a guard on {@code BRIDGE_PORT} reads each client's frames with a size limit, refuses
 *   oversized, malformed and unauthenticated ones with an error frame (every frame needs
 *   {@code Authorization: Bearer <one of API_TOKENS>} in its headers), replaces any
 *   {@code caller}/{@code admin} headers with the token's caller, and passes the frame on;</li>
 *   <li>Vert.x's {@link TcpEventBusBridge}, on a loopback port behind the guard, speaks the protocol:
 *   inbound only the public {@code onboarder.jobs.*} addresses, outbound only
 *   {@code onboarder.events.*}. It accepts only frames that carry this process's random key, so
 *   nothing on the host can reach it around the guard.</li>
 * </ul>
 * The stock bridge buffers a frame of any announced length and logs frames it cannot parse; the
 * guard keeps both from reaching it. One client's bad frames or slowness only ever close that client.
 */
public final class BridgeVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(BridgeVerticle.class);
  /** The public request/reply addresses a bridge client may send to. */
  static final List<String> INBOUND = List.of(Addresses.JOBS_SUBMIT, Addresses.JOBS_GET, Addresses.JOBS_LIST,
      Addresses.JOBS_ITEMS, Addresses.JOBS_CANCEL, Addresses.JOBS_RETRY, Addresses.JOBS_EVENTS);
  static final String OUTBOUND = "onboarder\\.events\\..+";
  private static final String KEY_HEADER = "x-onboarder-bridge-key";
  private static final int MAX_CONNECTIONS = 1_000;
  private static final Set<String> TYPES = Set.of("send", "publish", "register", "unregister", "ping");

  private final Settings settings;
  private final BearerAuth auth;
  private final String key;
  private TcpEventBusBridge bridge;
  private NetServer server;
  private NetClient client;
  private int innerPort;
  private int connections;

  public BridgeVerticle(Settings settings) {
    this.settings = settings;
    this.auth = new BearerAuth(settings.apiTokens());
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    this.key = Base64.getEncoder().encodeToString(k);
  }

  @Override
  public Future<?> start() {
    BridgeOptions permitted = new BridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(OUTBOUND));
    INBOUND.forEach(a -> permitted.addInboundPermitted(new PermittedOptions().setAddress(a)));
    bridge = TcpEventBusBridge.create(vertx, permitted, new NetServerOptions(), event -> {
      // Only frames the guard passed on carry the key; it is removed before anything sees the message.
      JsonObject raw = event.getRawMessage();
      JsonObject headers = raw == null ? null : raw.getJsonObject("headers");
      Object presented = headers == null ? null : headers.remove(KEY_HEADER);
      boolean fromGuard = event.type() == BridgeEventType.REGISTERED || (presented != null && MessageDigest.isEqual(
          key.getBytes(StandardCharsets.UTF_8), String.valueOf(presented).getBytes(StandardCharsets.UTF_8)));
      event.complete(fromGuard);
    });
    client = vertx.createNetClient();
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)).connectHandler(this::connected);
    return listenInner(5)
        .compose(port -> {
          innerPort = port;
          return server.listen(settings.bridgePort());
        })
        .onSuccess(s -> log.info("event-bus bridge on TCP port {} (inbound {}, outbound onboarder.events.*)",
            s.actualPort(), INBOUND));
  }

  /** The inner bridge on a free loopback port (it does not report the port it got, so one is picked first). */
  private Future<Integer> listenInner(int triesLeft) {
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    } catch (java.io.IOException e) {
      return Future.failedFuture(e);
    }
    return bridge.listen(port, "127.0.0.1").map(port)
        .recover(err -> triesLeft > 1 ? listenInner(triesLeft - 1) : Future.failedFuture(err));
  }

  @Override
  public Future<?> stop() {
    return Future.join(server.close(), bridge.close(), client.close());
  }

  public int actualPort() {
    return server.actualPort();
  }

  // ---- one client ----------------------------------------------------------------------------

  private void connected(NetSocket socket) {
    if (connections >= MAX_CONNECTIONS) {
      error(socket, null, 503, "too many bridge connections; try again later");
      socket.end();
      return;
    }
    connections++;
    socket.closeHandler(v -> connections--);
    socket.pause();
    client.connect(innerPort, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        error(socket, null, 503, "the bridge is not available now");
        socket.close();
        return;
      }
      NetSocket inner = ar.result();
      // A client that does not read its events is dropped rather than buffered without end.
      socket.setWriteQueueMaxSize(Math.max(64 * 1024, 4 * settings.bridgeMaxFrameBytes()));
      inner.handler(data -> {
        if (socket.writeQueueFull()) {
          log.info("bridge client {} does not read fast enough; closing it", socket.remoteAddress());
          socket.close();
          inner.close();
          return;
        }
        socket.write(data);
      });
      inner.closeHandler(v -> socket.close());
      socket.closeHandler(v -> {
        connections--;
        inner.close();
      });
      socket.exceptionHandler(err -> socket.close());
      inner.exceptionHandler(err -> socket.close());
      socket.handler(new FrameReader(settings.bridgeMaxFrameBytes(), frame -> guard(socket, inner, frame),
          length -> {
            error(socket, null, 413, "frame too large or malformed: announced length " + length + ", the limit is "
                + settings.bridgeMaxFrameBytes() + " bytes; closing the connection");
            socket.end();
          }));
      socket.resume();
    });
  }

  /** Checks one frame and passes it on with the caller's headers, or answers an error frame. */
  private void guard(NetSocket socket, NetSocket inner, Buffer frame) {
    JsonObject msg;
    try {
      // Bounded (number and string length, depth) and strict: a key given twice is refused, not overwritten.
      Object parsed = io.onboarder.bus.JsonBounds.parse(frame);
      if (!(parsed instanceof JsonObject o)) {
        error(socket, null, 400, "malformed frame: the payload must be a JSON object");
        return;
      }
      msg = o;
    } catch (io.onboarder.bus.Problem p) {
      error(socket, null, 400, "malformed frame: " + p.getMessage()); // names the place, never quotes the text
      return;
    } catch (DecodeException | ClassCastException e) {
      error(socket, null, 400, "malformed frame: the payload is not JSON"); // its text is not echoed nor logged
      return;
    }
    String replyAddress = msg.getValue("replyAddress") instanceof String r ? r : null;
    if (!(msg.getValue("type") instanceof String type) || !TYPES.contains(type)) {
      error(socket, replyAddress, 400, "unknown frame type; use send, publish, register, unregister or ping");
      return;
    }
    if (msg.getValue("headers") != null && !(msg.getValue("headers") instanceof JsonObject)) {
      error(socket, replyAddress, 400, "malformed frame: headers must be a JSON object of strings");
      return;
    }
    JsonObject headers = msg.getJsonObject("headers", new JsonObject());
    String authorization = null;
    JsonObject passed = new JsonObject();
    for (String name : headers.fieldNames()) {
      Object value = headers.getValue(name);
      if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
        error(socket, replyAddress, 400, "malformed frame: header values must be strings");
        return;
      }
      String lower = name.toLowerCase();
      if (lower.equals("authorization")) {
        authorization = String.valueOf(value);
      } else if (!lower.equals(JobService.CALLER) && !lower.equals(JobService.ADMIN) && !lower.equals(KEY_HEADER)) {
        passed.put(name, value);
      }
    }
    BearerAuth.Caller caller = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? auth.caller(authorization.substring(7).trim()) : null;
    if (caller == null) {
      error(socket, replyAddress, 401, "unauthorized: every frame needs the header Authorization: Bearer <token>");
      return;
    }
    passed.put(JobService.CALLER, caller.name()).put(KEY_HEADER, key);
    if (caller.admin()) {
      passed.put(JobService.ADMIN, "true");
    }
    byte[] out = msg.put("headers", passed).encode().getBytes(StandardCharsets.UTF_8);
    inner.write(Buffer.buffer(out.length + 4).appendInt(out.length).appendBytes(out));
  }

  /** An error frame, as the bridge protocol has them; addressed to the request's reply address if it had one. */
  private static void error(NetSocket socket, String replyAddress, int code, String message) {
    JsonObject err = new JsonObject().put("type", "err").put("failureCode", code)
        .put("failureType", "RECIPIENT_FAILURE").put("message", message);
    if (replyAddress != null) {
      err.put("address", replyAddress);
    }
    byte[] out = err.encode().getBytes(StandardCharsets.UTF_8);
    socket.write(Buffer.buffer(out.length + 4).appendInt(out.length).appendBytes(out));
  }
}
