package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.netty.channel.ChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/**
 * {@code GET /v1/jobs/{id}/events}: Server-Sent Events of a job, read from the job's event log in the
 * store (so any node serves any job), each with {@code id:} = the event's number. A reconnect with
 * {@code Last-Event-ID} resumes right after it. A stream's first page is read as its caller (which
 * decides whether the caller may see the job); from then on it takes the pages of the job's one shared
 * read on this node ({@link JobEventFeeds}). A stream whose client does not keep up (its write queue is
 * full) skips those pages and later catches up from the log by itself, one page at a time and only as
 * its client drains, so it never holds more than a page beyond the connection's buffer, and never slows
 * the job or the other streams; a client that stops reading altogether is closed by the idle timeout.
 * The stream gets a comment every 15 s, and ends once the job is finished and every event is sent. A
 * reconnect after that gets {@code 204}, which tells EventSource to stop. Streams per caller and per
 * node are bounded (429 / 503 with {@code Retry-After}). One instance per API verticle, used on its
 * event loop.
 */
final class JobEventStreams {
  private static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true);

  private final Vertx vertx;
  private static final Buffer HEARTBEAT = Buffer.buffer(": heartbeat\n\n");

  private final JobEventFeeds feeds;
  private final int sendBufferBytes;

  JobEventStreams(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.sendBufferBytes = settings.streamSendBufferBytes();
    this.feeds = JobEventFeeds.of(vertx, settings);
  }

  /** Answers the request: 429/503 when over a bound, 404/400 problems, 204 when there is nothing more, else the stream. */
  void open(RoutingContext rc, String jobId, long after, DeliveryOptions asCaller) {
    String caller = asCaller.getHeaders().get(JobService.CALLER);
    Problem refused = feeds.admit(caller);
    if (refused != null) {
      Problems.send(rc, refused);
      return;
    }
    DeliveryOptions options = new DeliveryOptions(READ);
    asCaller.getHeaders().forEach(h -> options.addHeader(h.getKey(), h.getValue()));
    read(jobId, after, options).onComplete(ar -> {
      if (ar.failed()) {
        feeds.release(caller);
        Problems.send(rc, Problems.from(ar.cause(), 500));
        return;
      }
      EventPage page = EventPage.of(ar.result(), after, false);
      if (page.last() && page.chunk() == null) {
        feeds.release(caller);
        rc.response().setStatusCode(204).end();
        return;
      }
      if (rc.response().closed()) {
        feeds.release(caller); // the client left while its first page was read
        return;
      }
      HttpServerResponse response = rc.response().setChunked(true)
          .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          // Compression would hold events back in the deflater; proxies must not buffer either.
          .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
          .putHeader("X-Accel-Buffering", "no");
      boundSendBuffer(rc.request().connection(), response);
      response.write("retry: 3000\n\n");
      new Stream(jobId, caller, after, options, response).first(page);
    });
  }

  /**
   * Fixes the socket's send buffer and the write queue at {@code streams.sendBufferBytes}: left alone, the kernel
   * grows the send buffer of a client that reads slowly up to its maximum (4 MB on Linux), memory per stream
   * outside any bound of ours; bounded, a stalled client's write queue fills early and the stream skips pages.
   */
  private void boundSendBuffer(HttpConnection connection, HttpServerResponse response) {
    response.setWriteQueueMaxSize(sendBufferBytes);
    if (connection instanceof ConnectionBase c) {
      c.channel().config().setOption(ChannelOption.SO_SNDBUF, sendBufferBytes);
    }
  }

  private Future<JsonObject> read(String jobId, long after, DeliveryOptions options) {
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_EVENTS, new JsonObject().put("id", jobId)
        .put("after", after).put("limit", EventPage.SIZE), options).map(m -> m.body());
  }

  /**
   * One open stream: live on the shared pages while its client keeps up; else catching up from the log
   * on its own (after the last event it sent), then live again.
   */
  private final class Stream implements Consumer<EventPage> {
    final String jobId;
    final String caller;
    final DeliveryOptions options;
    final HttpServerResponse response;
    long sent;
    /** Bytes written but not yet taken by the socket, and the last write (writes complete in order). */
    long queued;
    Future<Void> lastWrite = Future.succeededFuture();
    boolean catchingUp;
    /**
     * The shared feed handed out its last page (it closes after it) without ending this stream: the stream was
     * reading the log itself, or behind. It takes no more shared pages unless it subscribes again.
     */
    boolean feedEnded;
    boolean closed;

    Stream(String jobId, String caller, long sent, DeliveryOptions options, HttpServerResponse response) {
      this.jobId = jobId;
      this.caller = caller;
      this.sent = sent;
      this.options = options;
      this.response = response;
      response.closeHandler(v -> close());
      response.exceptionHandler(err -> close());
    }

    /** The page the caller's own read brought: sent, then on from the log (more pages), the end, or live. */
    void first(EventPage page) {
      write(page);
      if (page.last()) {
        end();
        return;
      }
      feeds.subscribe(jobId, sent, this);
      if (page.full()) {
        catchUp();
      }
    }

    /** A page of the shared read (on this stream's event loop). */
    @Override
    public void accept(EventPage page) {
      if (closed) {
        return;
      }
      if (page == EventPage.HEARTBEAT) {
        if (!catchingUp && !full()) {
          send(HEARTBEAT);
        }
        return;
      }
      if (page.gone()) {
        end();
        return;
      }
      if (page.last()) {
        feedEnded = true; // unless this page ends the stream, the stream goes on without the feed
      }
      if (catchingUp) {
        return; // it reads the log itself until it is level again
      }
      if (page.gapAfter(sent) || (page.after(sent) != null && full())) {
        catchUp(); // it missed a page, or its client is slow: this page is skipped, not buffered
        return;
      }
      write(page);
      if (page.last() && sent >= page.upTo()) {
        end();
      }
    }

    private void write(EventPage page) {
      Buffer rest = page.after(sent);
      if (rest != null) {
        send(rest);
        sent = page.upTo();
      }
    }

    private void send(Buffer bytes) {
      int n = bytes.length();
      queued += n;
      lastWrite = response.write(bytes).andThen(ar -> queued -= n);
    }

    /**
     * Whether the client is behind: more than {@code streams.sendBufferBytes} not yet taken by the socket. (The
     * write queue's own measure counts writes, not bytes: a few pages would pass for nothing.)
     */
    private boolean full() {
      return queued > sendBufferBytes || response.writeQueueFull();
    }

    /** Reads on from the log after the last event sent, once the client has taken what it was sent. */
    void catchUp() {
      catchingUp = true;
      if (full()) {
        lastWrite.onComplete(v -> readOn()); // once the socket took all it was given
      } else {
        readOn();
      }
    }

    private void readOn() {
      if (closed) {
        return;
      }
      long from = sent;
      read(jobId, from, options).onComplete(ar -> {
        if (closed) {
          return;
        }
        if (ar.failed()) {
          if (ar.cause() instanceof ReplyException re && re.failureCode() == 404) {
            end(); // the job is no longer visible
          } else {
            live(); // the next shared page shows the gap: this read is tried again then
          }
          return;
        }
        EventPage page = EventPage.of(ar.result(), from, false);
        write(page);
        if (page.full()) {
          catchUp();
        } else if (page.last()) {
          end();
        } else {
          live();
        }
      });
    }

    /**
     * Back on the shared pages. If the feed handed out its last page meanwhile, this read may still have been
     * made before the job finished (or failed): the feed is closed, so it subscribes again, to a new feed that
     * reads from the last event it sent (and brings the end, or the pages of a job that a retry reopened).
     */
    private void live() {
      catchingUp = false;
      if (feedEnded) {
        feedEnded = false;
        feeds.subscribe(jobId, sent, this);
      }
    }

    void end() {
      if (!closed) {
        close();
        response.end();
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      feeds.unsubscribe(jobId, this);
      feeds.release(caller);
    }
  }

  static long parseLastEventId(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    if (!value.trim().matches("\\d{1,18}")) {
      throw Problem.badRequest("Last-Event-ID must be the id of an event of this stream (a number).");
    }
    return Long.parseLong(value.trim());
  }
}
