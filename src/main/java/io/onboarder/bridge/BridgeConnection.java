package io.onboarder.bridge;

import io.onboarder.api.BearerAuth;
import io.onboarder.api.JwtCallers;
import io.onboarder.bus.JsonBounds;
import io.onboarder.bus.Problem;
import io.onboarder.config.BridgeBounds;
import io.onboarder.job.JobService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the TCP bridge: reads its frames (lengths checked before anything is kept), checks each
 * frame's token, serves it on the event bus as the token's caller, and writes every answer and event
 * back in order, never holding more than a bounded number of bytes for it. Reading pauses while its
 * write queue is full or many requests await their reply; a client whose unwritten frames still grow
 * past the bound (it does not read its events) is closed. A connection that has not presented a valid
 * token is closed at its deadline or after a few refused frames. Used on the bridge's event loop only.
 */
final class BridgeConnection {
  private static final Logger log = LoggerFactory.getLogger(BridgeConnection.class);
  /** Frames refused to a connection that never presented a valid token before it is closed. */
  static final int MAX_REFUSED_UNAUTHENTICATED = 8;
  /** Requests of one connection awaiting their reply; reading pauses at this many. */
  static final int MAX_IN_FLIGHT = 32;
  /** Addresses one connection may register (each is an event-bus consumer). */
  static final int MAX_REGISTRATIONS = 16;
  /** How long a closing connection may take to write its last frame before it is dropped. */
  static final long CLOSE_GRACE_MS = 1_000;
  /**
   * Bytes of partial frames all connections without a valid token may hold together: each may announce a
   * frame of up to bridge.maxFrameBytes, but not a hundred of them at once.
   */
  static final long MAX_UNAUTHENTICATED_BYTES = 16L * 1024 * 1024;
  private static final long MAX_REQUEST_TIMEOUT_MS = 60_000;
  private static final Set<String> TYPES = Set.of("send", "publish", "register", "unregister", "ping");

  /** What every connection of one bridge shares; {@code slots} is the bridge's count of connections. */
  record Shared(Vertx vertx, BearerAuth auth, int maxFrameBytes, BridgeBounds bounds, EventVisibility visibility,
                BridgeStats stats, Slots slots) {}

  /** The bridge's connection slots. */
  interface Slots {
    /** The connection presented its first valid token: false if every slot with a token is taken. */
    boolean authenticated(BridgeConnection c);

    void gone(BridgeConnection c);

    /** Bytes held for connections without a valid token changed by {@code delta}; returns their total. */
    long held(long delta);
  }

  /** A frame to write; an event waits for {@code visible} (whether its caller may see it) and is dropped if not. */
  private record Outgoing(Buffer frame, Future<Boolean> visible) {}

  private final Shared shared;
  private final NetSocket socket;
  private final FrameReader reader;
  private final Map<String, MessageConsumer<Object>> registered = new HashMap<>();
  private final ArrayDeque<Outgoing> outbox = new ArrayDeque<>();
  private long outboxBytes;
  private boolean authenticated;
  private int refused;
  private int inFlight;
  private boolean readingPaused;
  /** A frame's token is being verified (its keys are being fetched): no frame is read meanwhile. */
  private boolean verifying;
  private boolean draining;
  private boolean closed;
  private long authTimer = -1;
  private long dropTimer = -1;
  /** What this connection counts in the bridge's total for connections without a valid token. */
  private long heldUnauthenticated;

  BridgeConnection(Shared shared, NetSocket socket) {
    this.shared = shared;
    this.socket = socket;
    this.reader = new FrameReader(shared.maxFrameBytes(), this::frame, length -> close("oversized",
        Frames.error(null, 413, "frame too large or malformed: announced length " + length + ", the limit is "
            + shared.maxFrameBytes() + " bytes; closing the connection")));
  }

  void start() {
    socket.setWriteQueueMaxSize(shared.bounds().maxQueuedBytes());
    socket.handler(data -> {
      shared.stats().buffered((long) reader.buffered() + data.length());
      reader.handle(data);
      if (account() > MAX_UNAUTHENTICATED_BYTES && !authenticated) {
        close("unauthenticated-bytes", Frames.error(null, 503, "too many bytes from bridge connections without a "
            + "valid token; closing the connection"));
      }
    });
    socket.exceptionHandler(err -> close("error", null));
    socket.closeHandler(v -> gone());
    authTimer = shared.vertx().setTimer(shared.bounds().authTimeoutMs(), t -> {
      authTimer = -1;
      close("auth-timeout", Frames.error(null, 401, "no frame with a valid token within "
          + shared.bounds().authTimeoutMs() + " ms; closing the connection"));
    });
  }

  boolean authenticated() {
    return authenticated;
  }

  // ---- frames in -----------------------------------------------------------------------------

  /** Checks one frame: malformed, unknown or unauthenticated ones get an error frame; the rest are served. */
  private void frame(Buffer bytes) {
    if (closed) {
      return;
    }
    Object parsed;
    try {
      // Bounded (number and string length, depth) and strict: a key given twice is refused, not overwritten.
      parsed = JsonBounds.parse(bytes);
    } catch (Problem p) {
      refuse(null, 400, "malformed frame: " + p.getMessage()); // names the place, never quotes the text
      return;
    } catch (DecodeException | ClassCastException e) {
      refuse(null, 400, "malformed frame: the payload is not JSON"); // its text is not echoed nor logged
      return;
    }
    if (!(parsed instanceof JsonObject msg)) {
      refuse(null, 400, "malformed frame: the payload must be a JSON object");
      return;
    }
    String replyAddress = msg.getValue("replyAddress") instanceof String r ? r : null;
    if (!(msg.getValue("type") instanceof String type) || !TYPES.contains(type)) {
      refuse(replyAddress, 400, "unknown frame type; use send, publish, register, unregister or ping");
      return;
    }
    if (msg.getValue("headers") != null && !(msg.getValue("headers") instanceof JsonObject)) {
      refuse(replyAddress, 400, "malformed frame: headers must be a JSON object of strings");
      return;
    }
    JsonObject headers = msg.getJsonObject("headers", new JsonObject());
    String authorization = null;
    DeliveryOptions options = new DeliveryOptions();
    for (String name : headers.fieldNames()) {
      Object value = headers.getValue(name);
      if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
        refuse(replyAddress, 400, "malformed frame: header values must be strings");
        return;
      }
      String lower = name.toLowerCase();
      if (lower.equals("authorization")) {
        authorization = String.valueOf(value);
      } else if (lower.equals("timeout") && value instanceof Number n) {
        options.setSendTimeout(Math.max(1, Math.min(MAX_REQUEST_TIMEOUT_MS, n.longValue())));
      } else if (!lower.equals(JobService.CALLER) && !lower.equals(JobService.ADMIN)) {
        options.addHeader(name, String.valueOf(value));
      }
    }
    Future<BearerAuth.Caller> caller = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? shared.auth().callerOf(authorization.substring(7).trim()) : Future.succeededFuture();
    if (caller.isComplete()) {
      admit(caller, type, msg, replyAddress, options);
      return;
    }
    // A JSON Web Token waits for a key refresh: no later frame is read before this one is served, in order.
    verifying = true;
    steer();
    caller.onComplete(ar -> {
      verifying = false;
      if (!closed) {
        admit(caller, type, msg, replyAddress, options);
      }
      steer();
    });
  }

  /** Serves a frame as its token's caller, or refuses it (401) when the token names none. */
  private void admit(Future<BearerAuth.Caller> checked, String type, JsonObject msg, String replyAddress,
                     DeliveryOptions options) {
    BearerAuth.Caller caller = checked.succeeded() ? checked.result() : null;
    if (caller == null) {
      refuse(replyAddress, 401, checked.cause() instanceof JwtCallers.Refused r && r.expired()
          ? "unauthorized: the token has expired" : "unauthorized: every frame needs the header Authorization: "
          + "Bearer <token> with a valid token");
      return;
    }
    if (!authenticated) {
      shared.vertx().cancelTimer(authTimer);
      if (!shared.slots().authenticated(this)) {
        close("full", Frames.error(replyAddress, 503, "too many bridge connections; try again later"));
        return;
      }
      authenticated = true;
      account();
    }
    options.addHeader(JobService.CALLER, caller.name());
    if (caller.admin()) {
      options.addHeader(JobService.ADMIN, "true");
    }
    serve(type, msg, replyAddress, caller, options);
  }

  /** An error frame for a frame that was not served; a connection without a valid token gets only a few. */
  private void refuse(String replyAddress, int code, String message) {
    enqueue(Frames.error(replyAddress, code, message), null);
    if (!authenticated && ++refused >= MAX_REFUSED_UNAUTHENTICATED) {
      close("refused", Frames.error(null, 400, MAX_REFUSED_UNAUTHENTICATED
          + " frames refused and no valid token; closing the connection"));
    }
  }

  private void serve(String type, JsonObject msg, String replyAddress, BearerAuth.Caller caller,
                     DeliveryOptions options) {
    String address = msg.getValue("address") instanceof String a ? a : null;
    if (type.equals("ping")) {
      enqueue(Frames.pong(), null);
      return;
    }
    if (address == null) {
      enqueue(Frames.refusal(replyAddress, "missing_address"), null);
      return;
    }
    Object body = msg.getValue("body");
    switch (type) {
      case "send", "publish" -> {
        if (!BridgeVerticle.INBOUND.contains(address)) {
          enqueue(Frames.refusal(replyAddress, "access_denied"), null);
        } else if (type.equals("publish")) {
          shared.vertx().eventBus().publish(address, body, options);
        } else if (replyAddress == null) {
          shared.vertx().eventBus().send(address, body, options);
        } else {
          request(address, replyAddress, body, options);
        }
      }
      case "register" -> {
        if (!BridgeVerticle.OUTBOUND.matcher(address).matches()) {
          enqueue(Frames.refusal(replyAddress, "access_denied"), null);
        } else if (!registered.containsKey(address) && registered.size() >= MAX_REGISTRATIONS) {
          enqueue(Frames.refusal(replyAddress, "too_many_registrations"), null);
        } else {
          MessageConsumer<Object> previous = registered.put(address, shared.vertx().eventBus()
              .consumer(address, m -> event(address, m, caller)));
          if (previous != null) {
            previous.unregister();
          }
        }
      }
      default -> { // unregister
        MessageConsumer<Object> consumer = BridgeVerticle.OUTBOUND.matcher(address).matches()
            ? registered.remove(address) : null;
        if (consumer != null) {
          consumer.unregister();
        } else {
          enqueue(Frames.refusal(replyAddress, BridgeVerticle.OUTBOUND.matcher(address).matches()
              ? "unknown_address" : "access_denied"), null);
        }
      }
    }
  }

  private void request(String address, String replyAddress, Object body, DeliveryOptions options) {
    inFlight++;
    steer();
    shared.vertx().eventBus().request(address, body, options).onComplete(ar -> {
      inFlight--;
      enqueue(ar.succeeded() ? Frames.message(replyAddress, ar.result(), true)
          : Frames.failure(address, replyAddress, ar.cause()), null);
      steer();
    });
  }

  /** An event for this client: admins get every one, other callers those of their own jobs. */
  private void event(String address, Message<Object> m, BearerAuth.Caller caller) {
    if (closed) {
      return;
    }
    String jobId = EventVisibility.jobOf(address, m.body());
    Future<Boolean> visible = caller.admin() ? null : jobId == null ? Future.succeededFuture(false)
        : shared.visibility().visible(caller.name(), jobId);
    if (visible != null && visible.isComplete() && !(visible.succeeded() && visible.result())) {
      if (visible.failed()) {
        log.warn("bridge event dropped: whether its caller may see it is unknown ({})", visible.cause().toString());
      }
      return; // not this caller's (usually known from the cache at once): it takes no room
    }
    enqueue(Frames.message(address, m, false), visible);
  }

  // ---- frames out ----------------------------------------------------------------------------

  private void enqueue(Buffer frame, Future<Boolean> visible) {
    if (closed) {
      return;
    }
    if (!outbox.isEmpty() && outboxBytes + frame.length() > shared.bounds().maxQueuedBytes()) {
      log.info("bridge client {} does not read fast enough; closing it", socket.remoteAddress());
      close("slow", null);
      return;
    }
    outbox.add(new Outgoing(frame, visible));
    outboxBytes += frame.length();
    shared.stats().queued(outboxBytes);
    if (visible != null && !visible.isComplete()) {
      visible.onComplete(ar -> flush());
    }
    flush();
  }

  /** Writes the frames that are ready, in order, while the socket's write queue has room. */
  private void flush() {
    while (!closed && !outbox.isEmpty() && !socket.writeQueueFull()) {
      Outgoing next = outbox.peek();
      if (next.visible() != null && !next.visible().isComplete()) {
        break; // the next frames wait for this event's answer: events stay in order
      }
      outbox.poll();
      outboxBytes -= next.frame().length();
      if (next.visible() != null && next.visible().failed()) {
        log.warn("bridge event dropped: whether its caller may see it is unknown ({})",
            next.visible().cause().toString());
      } else if (next.visible() == null || next.visible().result()) {
        socket.write(next.frame());
      }
    }
    if (!closed && socket.writeQueueFull() && !draining) {
      draining = true;
      socket.drainHandler(v -> {
        draining = false;
        flush();
      });
    }
    steer();
  }

  /** Back-pressure: no frame is read while the client's answers cannot be written or too many are pending. */
  private void steer() {
    boolean stop = !closed && (verifying || socket.writeQueueFull() || inFlight >= MAX_IN_FLIGHT
        || outboxBytes > shared.bounds().maxQueuedBytes() / 2);
    if (stop && !readingPaused) {
      readingPaused = true;
      shared.stats().readPaused();
      socket.pause();
      reader.pause();
    } else if (!stop && readingPaused && !closed) {
      readingPaused = false;
      socket.resume();
      reader.resume();
    }
  }

  // ---- closing -------------------------------------------------------------------------------

  /** Closes the connection, writing {@code lastWords} first if the client reads; counted by {@code reason}. */
  void close(String reason, Buffer lastWords) {
    if (closed) {
      return;
    }
    boolean reads = !socket.writeQueueFull();
    if (lastWords != null && reads) {
      socket.write(lastWords);
    }
    release();
    shared.stats().countClose(reason);
    if (reads) {
      socket.close();
      // A graceful close waits for the kernel to take what is queued: from a client that stops reading, never.
      dropTimer = shared.vertx().setTimer(CLOSE_GRACE_MS, t -> drop());
    } else {
      drop();
    }
  }

  /** Closes the socket at once, discarding what is still queued for it. */
  private void drop() {
    if (socket instanceof NetSocketInternal internal) {
      internal.channelHandlerContext().channel().close();
    } else {
      socket.close();
    }
  }

  /** Updates this connection's part of the bytes held without a valid token; returns the bridge's total. */
  private long account() {
    long now = authenticated || closed ? 0 : reader.buffered();
    long total = shared.slots().held(now - heldUnauthenticated);
    heldUnauthenticated = now;
    return total;
  }

  private void release() {
    closed = true;
    reader.stop();
    account();
    shared.vertx().cancelTimer(authTimer);
    registered.values().forEach(MessageConsumer::unregister);
    registered.clear();
    outbox.clear();
    outboxBytes = 0;
  }

  /** The socket is closed, by either side. */
  private void gone() {
    if (!closed) {
      release();
    }
    shared.vertx().cancelTimer(dropTimer);
    shared.slots().gone(this);
  }
}
