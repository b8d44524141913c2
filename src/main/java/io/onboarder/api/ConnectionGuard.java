package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps idle, slow and surplus clients from holding the API's connections: the server closes
 * connections idle for {@code http.idleTimeoutMs}; above {@code http.maxConnections} open ones a
 * new connection is closed at once; a request's headers must arrive within
 * {@code http.headerTimeoutMs} of connecting (or within the idle timeout of the previous response)
 * and its body within {@code http.bodyTimeoutMs}; and a connection is closed after an error sent
 * before the body was read (401, 413, 415…), so a rejected body is never read to its end.
 * One guard per API verticle instance, used on its event loop; the connection count is shared by
 * the instances serving one port.
 */
final class ConnectionGuard {
  private static final long LINGER_MS = 1_000;
  /** Routing-context key: re-arms the body deadline (a streamed body's deadline runs between chunks). */
  private static final String BODY_PROGRESS = "onboarder.bodyProgress";
  private static final long LINGER_BYTES = 64 * 1024;

  private final Vertx vertx;
  private AtomicInteger open;
  private final int maxConnections;
  private final long idleTimeoutMs;
  private final long headerTimeoutMs;
  private final long bodyTimeoutMs;
  private final Map<HttpConnection, State> connections = new HashMap<>();

  /** Requests being answered on a connection, and the timer waiting for the next request's headers. */
  private static final class State {
    int active;
    long headerTimer = -1;
  }

  /** The open-connection count of all API instances on one port (shared data needs a Shareable). */
  private static final class Count extends AtomicInteger implements Shareable {}

  ConnectionGuard(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.maxConnections = settings.httpMaxConnections();
    this.idleTimeoutMs = settings.httpIdleTimeoutMs();
    this.headerTimeoutMs = settings.httpHeaderTimeoutMs();
    this.bodyTimeoutMs = settings.httpBodyTimeoutMs();
  }

  HttpServerOptions apply(HttpServerOptions options) {
    return options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMs))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // With cleartext HTTP/2 on, a connection only exists once its first bytes told the protocol, so
        // a client that connects and sends nothing would escape the cap and the header deadline.
        .setHttp2ClearTextEnabled(false);
  }

  /** Server connection handler: the cap, then the deadline for the first request's headers. */
  void onConnection(HttpConnection conn) {
    if (open == null) {
      // Instances of one server share its port (known only now, as it may be 0 in the config).
      LocalMap<String, Count> shared = vertx.sharedData().getLocalMap("onboarder.api.connections");
      Count fresh = new Count();
      Count existing = shared.putIfAbsent("port:" + conn.localAddress().port(), fresh);
      open = existing != null ? existing : fresh;
    }
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      conn.close();
      return;
    }
    State state = new State();
    connections.put(conn, state);
    conn.closeHandler(v -> {
      open.decrementAndGet();
      State s = connections.remove(conn);
      if (s != null && s.headerTimer >= 0) {
        vertx.cancelTimer(s.headerTimer);
      }
    });
    awaitHeaders(conn, state, headerTimeoutMs);
  }

  /** First router handler: headers have arrived; watch the body and the early errors. */
  void onRequest(RoutingContext rc) {
    HttpServerRequest req = rc.request();
    HttpConnection conn = req.connection();
    State state = connections.get(conn);
    if (state != null) {
      state.active++;
      if (state.headerTimer >= 0) {
        vertx.cancelTimer(state.headerTimer);
        state.headerTimer = -1;
      }
    }
    long[] bodyTimer = {-1};
    Runnable armBodyTimer = () -> {
      if (bodyTimer[0] >= 0) {
        vertx.cancelTimer(bodyTimer[0]);
      }
      bodyTimer[0] = req.isEnded() ? -1 : vertx.setTimer(bodyTimeoutMs, t -> {
        if (!req.isEnded() && !rc.response().ended()) {
          if (!rc.response().headWritten()) {
            Problems.send(rc, Problem.of(408, "request-timeout", "Request timeout", "The request body did not "
                + "arrive within http.bodyTimeoutMs (HTTP_BODY_TIMEOUT_MS)."));
          } else {
            conn.close();
          }
        }
      });
    };
    armBodyTimer.run();
    rc.put(BODY_PROGRESS, armBodyTimer);
    boolean[] closeAfter = {false};
    rc.addHeadersEndHandler(v -> {
      // An error before the body was read: say so, and do not read (or wait for) the rest.
      if (rc.response().getStatusCode() >= 400 && !req.isEnded()) {
        rc.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        closeAfter[0] = true;
      }
    });
    rc.addEndHandler(ar -> {
      if (bodyTimer[0] >= 0) {
        vertx.cancelTimer(bodyTimer[0]);
        bodyTimer[0] = -1;
      }
      if (closeAfter[0]) {
        closeAfterLinger(req, conn);
        return;
      }
      if (ar.failed()) {
        conn.close();
        return;
      }
      if (state != null && --state.active == 0 && connections.containsKey(conn)) {
        // A kept-alive connection must bring its next request within the idle timeout, trickle or not.
        awaitHeaders(conn, state, idleTimeoutMs);
      }
    });
    rc.next();
  }

  /**
   * Closes the connection once the client has stopped sending, but reads (and drops) at most
   * {@value #LINGER_BYTES} bytes for at most {@value #LINGER_MS} ms first: closing on unread data
   * resets the connection, and the client may lose the answer it was sent.
   */
  private void closeAfterLinger(HttpServerRequest req, HttpConnection conn) {
    if (req.isEnded()) {
      conn.close();
      return;
    }
    long timer = vertx.setTimer(LINGER_MS, t -> conn.close());
    long[] dropped = {0};
    req.handler(chunk -> {
      dropped[0] += chunk.length();
      if (dropped[0] > LINGER_BYTES) {
        vertx.cancelTimer(timer);
        conn.close();
      }
    });
    req.endHandler(v -> {
      vertx.cancelTimer(timer);
      conn.close();
    });
    req.resume();
  }

  /**
   * The request body as a stream whose every chunk re-arms the body deadline: a streamed job body of
   * hundreds of megabytes must keep arriving, not arrive whole within {@code http.bodyTimeoutMs}.
   */
  static ReadStream<Buffer> streamed(RoutingContext rc) {
    HttpServerRequest req = rc.request();
    Runnable progress = rc.get(BODY_PROGRESS);
    if (progress == null) {
      return req;
    }
    return new ReadStream<>() {
      @Override
      public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        req.exceptionHandler(handler);
        return this;
      }

      @Override
      public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        req.handler(handler == null ? null : chunk -> {
          progress.run();
          handler.handle(chunk);
        });
        return this;
      }

      @Override
      public ReadStream<Buffer> pause() {
        req.pause();
        return this;
      }

      @Override
      public ReadStream<Buffer> resume() {
        // While the body was paused for the store, the client could not send: the deadline starts again.
        progress.run();
        req.resume();
        return this;
      }

      @Override
      public ReadStream<Buffer> fetch(long amount) {
        req.fetch(amount);
        return this;
      }

      @Override
      public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        req.endHandler(endHandler);
        return this;
      }
    };
  }

  private void awaitHeaders(HttpConnection conn, State state, long ms) {
    if (state.headerTimer >= 0) {
      vertx.cancelTimer(state.headerTimer);
    }
    state.headerTimer = vertx.setTimer(ms, t -> {
      state.headerTimer = -1;
      if (state.active == 0) {
        conn.close();
      }
    });
  }
}
