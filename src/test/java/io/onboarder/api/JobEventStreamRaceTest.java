package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.onboarder.support.SseClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The event streams and their shared feed, driven through one interleaving at a time: the reads of
 * {@code onboarder.jobs.events} are answered by a job's log kept here, and the test decides when each
 * answer arrives (all on one event loop, so what it releases is handled in the order it released it).
 * Whatever the order, a stream ends after the job's final event, and sends every event once.
 */
class JobEventStreamRaceTest {
  private static final String JOB = "job-1";
  private Vertx vertx;
  private HttpClient client;
  private String base;
  private final JobLog log = new JobLog();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    client = vertx.createHttpClient();
    Settings settings = Settings.from(new JsonObject().put("api", new JsonObject().put("authDisabled", true))
        .put("cyclr", new JsonObject().put("apiUrl", "http://127.0.0.1:1").put("clientId", "id")
            .put("clientSecret", "s")));
    JobEventStreams streams = new JobEventStreams(vertx, settings);
    vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_EVENTS, log::read);
    Router router = Router.router(vertx);
    // The caller of a stream is named in its URL, so that the test can tell the streams' own reads apart.
    router.get("/events").handler(rc -> streams.open(rc, JOB,
        JobEventStreams.parseLastEventId(rc.request().getHeader("Last-Event-ID")),
        new DeliveryOptions().addHeader(JobService.CALLER, rc.queryParam("caller").get(0))));
    HttpServer server = TestService.await(vertx.createHttpServer().requestHandler(router).listen(0));
    base = "http://127.0.0.1:" + server.actualPort() + "/events?caller=";
  }

  @AfterEach
  void tearDown() {
    TestService.await(vertx.close());
  }

  /**
   * A stream reading the log on its own (its first page was full) while the shared feed reads the job's last page:
   * it skips that page, and the feed closes. Its own read, made before the job finished, then comes back without
   * the end (or fails): it must not wait for shared pages that will never come again.
   */
  @ParameterizedTest
  @ValueSource(strings = {"answered", "failed"})
  void aStreamCatchingUpWhileTheFeedReadsTheLastPageStillEndsWithTheFinalEvent(String catchUpRead) throws Exception {
    CatchingUp c = catchingUpWhenTheFeedHandsOutTheLastPage();
    CompletableFuture<Held> catchUp = c.catchUp();
    SseClient slow = c.slow();
    if (catchUpRead.equals("answered")) {
      get(catchUp).reply();
    } else {
      get(catchUp).msg().fail(500, "the store did not answer in time");
    }

    assertEnds(slow, 501);
    assertThat(slow.events.get(500).data().getString("status")).isEqualTo("SUCCEEDED");
  }

  /**
   * A stream whose first page was read before the job finished, and which subscribes only after the shared feed
   * handed out the last page and closed: it gets a feed of its own, which brings it the end.
   */
  @Test
  void aStreamThatSubscribesAfterTheFeedClosedOnTheLastPageStillEndsWithTheFinalEvent() throws Exception {
    log.append(3);
    SseClient early = SseClient.open(vertx, client, base + "early", TestService.TOKEN, null, c -> false);
    get(log.feedRead);
    CompletableFuture<Held> first = log.hold("late", 0);
    SseClient late = SseClient.open(vertx, client, base + "late", TestService.TOKEN, null, c -> false);
    get(first); // read before the end: events 1 to 3, the job running

    log.finish();
    log.releaseFeedReads();
    assertEnds(early, 4);
    get(first).reply(); // now it subscribes: the feed of the job has closed

    assertEnds(late, 4);
  }

  /**
   * A stream catching up when the feed handed out the last page, whose own read then finds the job reopened by a
   * retry: it goes on with the shared pages of a new feed, and ends after the job's next final event.
   */
  @Test
  void aStreamThatMissedTheLastPageOfAJobThatARetryReopenedFollowsItToItsNextEnd() throws Exception {
    CatchingUp c = catchingUpWhenTheFeedHandsOutTheLastPage();
    CompletableFuture<Held> catchUp = c.catchUp();
    SseClient slow = c.slow();

    log.reopen(); // a retry: the job runs again (an item event, the job's RUNNING event)
    log.hold(JobEventFeeds.READER, 503);
    get(catchUp).reply(log.answer(EventPage.SIZE)); // its own read: 501 to 503, the job running
    log.finish();
    log.releaseHeld(JobEventFeeds.READER, 503);

    assertEnds(slow, 504);
    assertThat(slow.events).extracting(e -> e.event() + ":" + e.data().getString("status")).endsWith(
        "job:SUCCEEDED", "item:PENDING", "job:RUNNING", "job:SUCCEEDED");
  }

  /** A stream whose own read after its first page is held, and a live stream that saw the job's last page. */
  private record CatchingUp(CompletableFuture<Held> catchUp, SseClient slow) {}

  private CatchingUp catchingUpWhenTheFeedHandsOutTheLastPage() throws Exception {
    log.append(EventPage.SIZE);
    CompletableFuture<Held> catchUp = log.hold("slow", EventPage.SIZE);
    SseClient slow = SseClient.open(vertx, client, base + "slow", TestService.TOKEN, null, c -> false);
    // Its first page is full: it takes the shared pages from now on (the feed's first read is held), and reads on
    // from the log after event 500 itself (that read is held too, with the log as it is now: the job running).
    get(catchUp);
    get(log.feedRead);
    // A live stream on the same job, at the same place: it shows when the feed's last page has been handed out.
    SseClient live = SseClient.open(vertx, client, base + "live", TestService.TOKEN, "500", c -> false);
    assertThat(TestService.await(live.opened())).isEqualTo(200);

    log.finish();
    log.releaseFeedReads(); // the feed reads the log now: the final event, and the job finished
    assertThat(TestService.await(live.ended())).isEqualTo(200);
    assertThat(live.events).extracting(SseClient.Event::id).containsExactly(501L);
    return new CatchingUp(catchUp, slow);
  }

  /** The stream ended after event {@code last}, having sent every event from the first once. */
  private static void assertEnds(SseClient sse, long last) throws Exception {
    assertThat(get(sse.ended().toCompletionStage().toCompletableFuture())).as("the stream ended").isEqualTo(200);
    assertThat(sse.events).extracting(SseClient.Event::id)
        .containsExactlyElementsOf(LongStream.rangeClosed(sse.events.get(0).id(), last).boxed().toList());
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  /** A read held by the test, and the answer the log gave when it arrived. */
  private record Held(Message<JsonObject> msg, JsonObject answer) {
    void reply() {
      msg.reply(answer);
    }

    void reply(JsonObject other) {
      msg.reply(other);
    }
  }

  /**
   * A job's event log, read as {@code onboarder.jobs.events} answers (status, then the events after {@code after}).
   * The reads the test asked to hold (by caller and {@code after}) wait with the answer of when they arrived; the
   * feed's reads are held until released, and answered with the log as it is at that moment.
   */
  private static final class JobLog {
    private final List<JsonObject> events = new ArrayList<>();
    private String status = "RUNNING";
    private boolean holdFeed = true;
    private final List<Message<JsonObject>> heldFeed = new ArrayList<>();
    private final Map<String, CompletableFuture<Held>> holds = new HashMap<>();
    final CompletableFuture<Void> feedRead = new CompletableFuture<>();

    synchronized void append(int n) {
      for (int i = 0; i < n; i++) {
        add("item", new JsonObject().put("n", events.size() + 1));
      }
    }

    /** The final event, written with the job's final status (one transaction, as the store does). */
    synchronized void finish() {
      status = "SUCCEEDED";
      add("job", new JsonObject().put("status", status));
    }

    /** A retry: an item back to PENDING, then the job's RUNNING event. */
    synchronized void reopen() {
      status = "RUNNING";
      add("item", new JsonObject().put("status", "PENDING"));
      add("job", new JsonObject().put("status", status));
    }

    private void add(String kind, JsonObject data) {
      events.add(new JsonObject().put("id", events.size() + 1L).put("event", kind).put("data", data));
    }

    /** The next read by {@code caller} after event {@code after} is held (its answer taken when it arrives). */
    synchronized CompletableFuture<Held> hold(String caller, long after) {
      return holds.computeIfAbsent(caller + "@" + after, k -> new CompletableFuture<>());
    }

    void releaseHeld(String caller, long after) throws Exception {
      get(hold(caller, after)).msg().reply(answer(after));
    }

    void read(Message<JsonObject> msg) {
      String caller = msg.headers().get(JobService.CALLER);
      long after = msg.body().getLong("after");
      synchronized (this) {
        CompletableFuture<Held> held = holds.get(caller + "@" + after);
        if (held != null && !held.isDone()) {
          held.complete(new Held(msg, answer(after)));
          return;
        }
        if (JobEventFeeds.READER.equals(caller) && holdFeed) {
          heldFeed.add(msg);
          feedRead.complete(null);
          return;
        }
      }
      msg.reply(answer(after));
    }

    void releaseFeedReads() {
      List<Message<JsonObject>> those;
      synchronized (this) {
        holdFeed = false;
        those = List.copyOf(heldFeed);
        heldFeed.clear();
      }
      those.forEach(m -> m.reply(answer(m.body().getLong("after"))));
    }

    synchronized JsonObject answer(long after) {
      JsonArray page = new JsonArray();
      events.stream().filter(e -> e.getLong("id") > after).limit(EventPage.SIZE).forEach(page::add);
      return new JsonObject().put("status", status).put("events", page);
    }
  }
}
