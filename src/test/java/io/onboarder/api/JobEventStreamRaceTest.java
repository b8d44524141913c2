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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
    log.append(EventPage.SIZE);
    SseClient slow = SseClient.open(vertx, client, base + "slow", TestService.TOKEN, null, c -> false);
    // Its first page is full: it takes the shared pages from now on (the feed's first read is held), and reads on
    // from the log after event 500 itself (that read is held too, with the log as it is now: the job running).
    Message<JsonObject> catchUp = get(log.ownRead);
    get(log.feedRead);
    // A live stream on the same job, at the same place: it shows when the feed's last page has been handed out.
    SseClient live = SseClient.open(vertx, client, base + "live", TestService.TOKEN, "500", c -> false);
    assertThat(TestService.await(live.opened())).isEqualTo(200);

    log.finish();
    log.releaseFeedReads(); // the feed reads the log now: the final event, and the job finished
    assertThat(TestService.await(live.ended())).isEqualTo(200);
    assertThat(live.events).extracting(SseClient.Event::id).containsExactly(501L);
    if (catchUpRead.equals("answered")) {
      catchUp.reply(log.answerBeforeTheEnd);
    } else {
      catchUp.fail(500, "the store did not answer in time");
    }

    assertThat(slow.ended().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .as("the stream ended").isEqualTo(200);
    assertThat(slow.events).extracting(SseClient.Event::id)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 501).boxed().toList());
    assertThat(slow.events.get(500).data().getString("status")).isEqualTo("SUCCEEDED");
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  /**
   * A job's event log, read as {@code onboarder.jobs.events} answers (status, then the events after {@code after}).
   * The first read a stream named "slow" makes after event 0 is held with its answer as it was then; the feed's
   * reads are held until released, and answered with the log as it is at that moment.
   */
  private static final class JobLog {
    private final List<JsonObject> events = new ArrayList<>();
    private String status = "RUNNING";
    private boolean holdFeed = true;
    private final List<Message<JsonObject>> heldFeed = new ArrayList<>();
    final CompletableFuture<Message<JsonObject>> ownRead = new CompletableFuture<>();
    final CompletableFuture<Void> feedRead = new CompletableFuture<>();
    volatile JsonObject answerBeforeTheEnd;

    synchronized void append(int n) {
      for (int i = 0; i < n; i++) {
        events.add(new JsonObject().put("id", events.size() + 1L).put("event", "item")
            .put("data", new JsonObject().put("n", events.size() + 1)));
      }
    }

    /** The final event, written with the job's final status (one transaction, as the store does). */
    synchronized void finish() {
      status = "SUCCEEDED";
      events.add(new JsonObject().put("id", events.size() + 1L).put("event", "job")
          .put("data", new JsonObject().put("status", status)));
    }

    void read(Message<JsonObject> msg) {
      String caller = msg.headers().get(JobService.CALLER);
      long after = msg.body().getLong("after");
      synchronized (this) {
        if (JobEventFeeds.READER.equals(caller) && holdFeed) {
          heldFeed.add(msg);
          feedRead.complete(null);
          return;
        }
        if ("slow".equals(caller) && after > 0 && !ownRead.isDone()) {
          answerBeforeTheEnd = answer(msg);
          ownRead.complete(msg);
          return;
        }
      }
      msg.reply(answer(msg));
    }

    void releaseFeedReads() {
      List<Message<JsonObject>> those;
      synchronized (this) {
        holdFeed = false;
        those = List.copyOf(heldFeed);
        heldFeed.clear();
      }
      those.forEach(m -> m.reply(answer(m)));
    }

    private synchronized JsonObject answer(Message<JsonObject> msg) {
      long after = msg.body().getLong("after");
      int limit = msg.body().getInteger("limit");
      JsonArray page = new JsonArray();
      events.stream().filter(e -> e.getLong("id") > after).limit(limit).forEach(page::add);
      return new JsonObject().put("status", status).put("events", page);
    }
  }
}
