package io.onboarder.api;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One shared read of the event log per job per node, fanned out to every event stream of that job on
 * the node: however many streams watch a job, each wake-up (the job's events on the bus, coalesced over
 * {@value #COALESCE_MS} ms) or poll costs one read, and its page is formatted once and handed to every
 * stream, on the stream's own event loop. A stream decides itself what to write (it may be ahead, or
 * behind and catching up from the log on its own). Also the admission of streams: at most
 * {@code streams.maxPerCaller} per caller and {@code streams.maxPerNode} in all on this node.
 * One per node, shared by the API instances; the feeds live on the event loop of the first instance
 * that opened a stream, and every change of them runs there.
 */
final class JobEventFeeds implements Shareable {
  static final long HEARTBEAT_MS = 15_000;
  static final long POLL_MS = 2_000;
  static final long COALESCE_MS = 100;
  static final long RETRY_AFTER_SECONDS = 10;
  /** The shared reads are not a caller's: the caller's own first read decided whether it may see the job. */
  static final String READER = "(event streams)";
  private static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true)
      .addHeader(JobService.CALLER, READER).addHeader(JobService.ADMIN, "true");

  private final Vertx vertx;
  private final int maxPerCaller;
  private final int maxPerNode;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> perCaller = new ConcurrentHashMap<>();
  private Context home;
  private final Map<String, Feed> feeds = new HashMap<>();
  private final List<MessageConsumer<JsonObject>> notices = new ArrayList<>();

  private JobEventFeeds(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.maxPerCaller = settings.streamsPerCaller();
    this.maxPerNode = settings.streamsPerNode();
  }

  /** The node's feeds (created by the first API instance that asks). */
  static JobEventFeeds of(Vertx vertx, Settings settings) {
    LocalMap<String, JobEventFeeds> shared = vertx.sharedData().getLocalMap("onboarder.api.eventFeeds");
    JobEventFeeds fresh = new JobEventFeeds(vertx, settings);
    JobEventFeeds existing = shared.putIfAbsent("feeds", fresh);
    return existing != null ? existing : fresh;
  }

  // ---- admission -----------------------------------------------------------------------------

  /** Takes a stream slot for {@code caller}; null if taken, else the 429 (caller) or 503 (node) to answer. */
  Problem admit(String caller) {
    boolean[] taken = {false};
    perCaller.compute(caller, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= maxPerCaller) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    if (!taken[0]) {
      return Problem.tooManyRequests("This caller has " + maxPerCaller + " event streams open on this node, the most "
          + "allowed (streams.maxPerCaller, STREAMS_MAX_PER_CALLER): close one, or poll GET /v1/jobs/{id}.",
          RETRY_AFTER_SECONDS);
    }
    if (open.incrementAndGet() > maxPerNode) {
      open.decrementAndGet();
      release(caller, false);
      return Problem.busy("This node serves " + maxPerNode + " event streams, the most allowed "
          + "(streams.maxPerNode, STREAMS_MAX_PER_NODE): try again later.", RETRY_AFTER_SECONDS);
    }
    return null;
  }

  /** Gives back the slot {@link #admit} took. */
  void release(String caller) {
    release(caller, true);
  }

  private void release(String caller, boolean node) {
    if (node) {
      open.decrementAndGet();
    }
    perCaller.computeIfPresent(caller, (k, n) -> n <= 1 ? null : n - 1);
  }

  // ---- subscriptions -------------------------------------------------------------------------

  /** {@code stream} (on the current context) takes every page of the job's shared read from now on. */
  void subscribe(String jobId, long sent, Consumer<EventPage> stream) {
    Context at = vertx.getOrCreateContext();
    home().runOnContext(v -> feeds.computeIfAbsent(jobId, id -> new Feed(id, sent)).add(at, stream, sent));
  }

  void unsubscribe(String jobId, Consumer<EventPage> stream) {
    home().runOnContext(v -> {
      Feed feed = feeds.get(jobId);
      if (feed != null) {
        feed.remove(stream);
      }
    });
  }

  private synchronized Context home() {
    if (home == null) {
      home = vertx.getOrCreateContext();
    }
    return home;
  }

  private void wakeJob(String jobId) {
    Feed feed = jobId == null ? null : feeds.get(jobId);
    if (feed != null) {
      feed.wake();
    }
  }

  /** The shared read of one job, and the streams that take its pages, grouped by their event loop. */
  private final class Feed {
    final String jobId;
    final Map<Context, Set<Consumer<EventPage>>> streams = new HashMap<>();
    final long poll;
    final long heartbeat;
    long position;
    /**
     * Whether {@code position} is an event the log has: until a read brings one, it is only what a stream
     * claimed to have (a {@code Last-Event-ID} may name an event that does not exist yet).
     */
    boolean seen;
    long wakeTimer = -1;
    boolean reading;
    boolean again;
    boolean closed;

    Feed(String jobId, long position) {
      this.jobId = jobId;
      this.position = position;
      if (feeds.isEmpty()) {
        // Only while a stream is open: every node receives every job's events otherwise for nothing.
        notices.add(vertx.eventBus().consumer(Addresses.EVENTS_ITEM, m -> wakeJob(m.body().getString("jobId"))));
        notices.add(vertx.eventBus().consumer(Addresses.EVENTS_JOB, m -> wakeJob(m.body().getString("id"))));
      }
      poll = vertx.setPeriodic(POLL_MS, t -> wake());
      heartbeat = vertx.setPeriodic(HEARTBEAT_MS, t -> broadcast(EventPage.HEARTBEAT));
      wake();
    }

    void add(Context context, Consumer<EventPage> stream, long sent) {
      streams.computeIfAbsent(context, c -> new LinkedHashSet<>()).add(stream);
      if (!seen && sent < position) {
        position = sent; // a claim too far ahead must not make every other stream look behind
      }
    }

    void remove(Consumer<EventPage> stream) {
      streams.values().forEach(set -> set.remove(stream));
      streams.values().removeIf(Set::isEmpty);
      if (streams.isEmpty()) {
        close();
      }
    }

    void wake() {
      if (reading) {
        again = true;
      } else if (wakeTimer < 0 && !closed) {
        wakeTimer = vertx.setTimer(COALESCE_MS, t -> {
          wakeTimer = -1;
          read();
        });
      }
    }

    void read() {
      if (closed) {
        return;
      }
      reading = true;
      again = false;
      vertx.eventBus().<JsonObject>request(Addresses.JOBS_EVENTS, new JsonObject().put("id", jobId)
          .put("after", position).put("limit", EventPage.SIZE), READ).onComplete(ar -> {
            reading = false;
            if (closed) {
              return;
            }
            if (ar.succeeded()) {
              EventPage page = EventPage.of(ar.result().body(), position, true);
              position = page.upTo();
              seen |= page.ids().length > 0;
              broadcast(page);
              if (page.last()) {
                close();
              } else if (page.full()) {
                read(); // a backlog: on at once (a stream that cannot keep up skips pages, never slows this)
              } else if (again) {
                wake();
              }
            } else if (ar.cause() instanceof ReplyException re && re.failureCode() == 404) {
              broadcast(EventPage.GONE);
              close();
            } else if (again) {
              wake();
            }
            // any other failure: the next wake-up or poll reads again from the same event
          });
    }

    /** Hands the page to every stream on its own event loop: one task per event loop, not per stream. */
    void broadcast(EventPage page) {
      streams.forEach((context, set) -> {
        List<Consumer<EventPage>> those = List.copyOf(set);
        context.runOnContext(v -> those.forEach(s -> s.accept(page)));
      });
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      vertx.cancelTimer(poll);
      vertx.cancelTimer(heartbeat);
      if (wakeTimer >= 0) {
        vertx.cancelTimer(wakeTimer);
      }
      feeds.remove(jobId, this);
      if (feeds.isEmpty()) {
        notices.forEach(MessageConsumer::unregister);
        notices.clear();
      }
    }
  }
}
