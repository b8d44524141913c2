package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/jobs/{id}/events}: Server-Sent Events of a job, read from the job's event log in the
 * store (so any node serves any job), each with {@code id:} = the event's number. A reconnect with
 * {@code Last-Event-ID} resumes right after it. The stream is woken by the job's events on the bus
 * and polls as a safety net; it sends a comment every 15 s, and ends once the job is finished and
 * every event is sent. A reconnect after that gets {@code 204}, which tells EventSource to stop.
 * One instance per API verticle, used on its event loop.
 */
final class JobEventStreams {
  static final long HEARTBEAT_MS = 15_000;
  private static final long POLL_MS = 2_000;
  private static final int PAGE = 500;
  private static final Set<String> FINAL = Set.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");
  private static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true);

  private final Vertx vertx;
  private final Map<String, Set<Stream>> byJob = new HashMap<>();
  private final List<MessageConsumer<JsonObject>> notices = new ArrayList<>();

  JobEventStreams(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Answers the request: 404/400 problems, 204 when there is nothing more to send, else the stream. */
  void open(RoutingContext rc, String jobId, long after, DeliveryOptions asCaller) {
    DeliveryOptions options = new DeliveryOptions(READ);
    asCaller.getHeaders().forEach(h -> options.addHeader(h.getKey(), h.getValue()));
    read(jobId, after, options).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.from(ar.cause(), 500));
        return;
      }
      JsonObject page = ar.result();
      if (FINAL.contains(page.getString("status")) && page.getJsonArray("events").isEmpty()) {
        rc.response().setStatusCode(204).end();
        return;
      }
      HttpServerResponse response = rc.response().setChunked(true)
          .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          // Compression would hold events back in the deflater; proxies must not buffer either.
          .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
          .putHeader("X-Accel-Buffering", "no");
      Stream stream = new Stream(jobId, after, options, response);
      response.write("retry: 3000\n\n");
      stream.take(page);
    });
  }

  private Future<JsonObject> read(String jobId, long after, DeliveryOptions options) {
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_EVENTS, new JsonObject().put("id", jobId)
        .put("after", after).put("limit", PAGE), options).map(m -> m.body());
  }

  // ---- wake-ups ------------------------------------------------------------------------------

  private void add(Stream s) {
    if (byJob.isEmpty()) {
      // Only while a stream is open: every node receives every job's events otherwise for nothing.
      notices.add(vertx.eventBus().consumer(Addresses.EVENTS_ITEM, m -> wake(m.body().getString("jobId"))));
      notices.add(vertx.eventBus().consumer(Addresses.EVENTS_JOB, m -> wake(m.body().getString("id"))));
    }
    byJob.computeIfAbsent(s.jobId, k -> new HashSet<>()).add(s);
  }

  private void remove(Stream s) {
    Set<Stream> set = byJob.get(s.jobId);
    if (set != null && set.remove(s) && set.isEmpty()) {
      byJob.remove(s.jobId);
    }
    if (byJob.isEmpty() && !notices.isEmpty()) {
      notices.forEach(MessageConsumer::unregister);
      notices.clear();
    }
  }

  private void wake(String jobId) {
    Set<Stream> set = jobId == null ? null : byJob.get(jobId);
    if (set != null) {
      new ArrayList<>(set).forEach(Stream::fetch);
    }
  }

  /** One open stream: reads pages after the last event sent, one read at a time. */
  private final class Stream {
    final String jobId;
    final DeliveryOptions options;
    final HttpServerResponse response;
    long after;
    boolean reading;
    boolean again;
    boolean closed;
    final long heartbeat;
    final long poll;

    Stream(String jobId, long after, DeliveryOptions options, HttpServerResponse response) {
      this.jobId = jobId;
      this.after = after;
      this.options = options;
      this.response = response;
      add(this);
      heartbeat = vertx.setPeriodic(HEARTBEAT_MS, t -> {
        if (!response.writeQueueFull()) {
          response.write(": heartbeat\n\n");
        }
      });
      poll = vertx.setPeriodic(POLL_MS, t -> fetch());
      response.closeHandler(v -> close());
      response.exceptionHandler(err -> close());
    }

    void fetch() {
      if (closed) {
        return;
      }
      if (reading || response.writeQueueFull()) {
        again = true;
        return;
      }
      reading = true;
      again = false;
      read(jobId, after, options).onComplete(ar -> {
        reading = false;
        if (closed) {
          return;
        }
        if (ar.succeeded()) {
          take(ar.result());
        } else if (ar.cause() instanceof io.vertx.core.eventbus.ReplyException re && re.failureCode() == 404) {
          end(); // the job is no longer visible
        } else if (again) {
          fetch();
        }
        // any other failure: the next wake-up or poll reads again from the same event
      });
    }

    /** Sends a page; then ends (finished and all sent), reads on (more pages), or waits. */
    void take(JsonObject page) {
      JsonArray events = page.getJsonArray("events");
      if (!events.isEmpty()) {
        Buffer chunk = Buffer.buffer(events.size() * 256);
        for (Object o : events) {
          JsonObject e = (JsonObject) o;
          chunk.appendString("id: " + e.getLong("id") + "\nevent: " + e.getString("event") + "\ndata: ",
                  StandardCharsets.UTF_8.name())
              .appendString(e.getJsonObject("data").encode(), StandardCharsets.UTF_8.name())
              .appendString("\n\n");
          after = e.getLong("id");
        }
        response.write(chunk);
      }
      if (events.size() == PAGE) {
        if (response.writeQueueFull()) {
          response.drainHandler(v -> fetch()); // a slow client: read on once it has caught up
        } else {
          fetch();
        }
      } else if (FINAL.contains(page.getString("status"))) {
        end();
      } else if (again) {
        fetch();
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
      vertx.cancelTimer(heartbeat);
      vertx.cancelTimer(poll);
      remove(this);
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
