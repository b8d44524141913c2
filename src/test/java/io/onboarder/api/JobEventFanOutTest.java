package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.job.JobService;
import io.onboarder.support.SseClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many event streams on one job share one read of the event log per wake-up; a caller and a node can open only
 * so many; and a client that stops reading is skipped (it catches up from the log later) instead of being
 * buffered for or slowing anyone. Reads are counted where they enter the event bus, by who asks.
 */
class JobEventFanOutTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private HttpClient client;
  /** Reads of {@code onboarder.jobs.events}, by the caller header they carry. */
  private final Map<String, AtomicLong> reads = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    client = vertx.createHttpClient();
    vertx.eventBus().addOutboundInterceptor(dc -> {
      if (Addresses.JOBS_EVENTS.equals(dc.message().address())) {
        String caller = String.valueOf(dc.message().headers().get(JobService.CALLER));
        reads.computeIfAbsent(caller, k -> new AtomicLong()).incrementAndGet();
      }
      dc.next();
    });
  }

  @AfterEach
  void tearDown() {
    TestService.await(vertx.close());
  }

  private long reads(String caller) {
    return reads.getOrDefault(caller, new AtomicLong()).get();
  }

  private String url(TestService s, String job) {
    return s.base() + "/v1/jobs/" + job + "/events";
  }

  @Test
  void manyStreamsOnOneJobShareOneReadPerWakeUpAndAllGetEveryEvent() {
    int streams = 40;
    int wakes = 20;
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(100), c -> { })) {
      String job = s.submit(TestService.apiKeyJob("fan", 40));
      // First, a stream claiming an event far ahead (a Last-Event-ID of another job, say): it must not make the
      // shared read start there, or every other stream would look behind and read the log on its own.
      SseClient ahead = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, "1000000", sse -> false);
      s.poll(() -> reads(BearerAuth.DEFAULT_CALLER), n -> n >= 1, Duration.ofSeconds(30), "its first read");
      List<SseClient> clients = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        clients.add(SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null, sse -> false));
      }
      s.poll(() -> clients.stream().allMatch(c -> !c.events.isEmpty()), ok -> ok, Duration.ofSeconds(30),
          "every stream to be open");
      long started = System.nanoTime();
      // Wake-ups as the job's events bring them, more of them than the job makes: one read each, not one per stream.
      for (int i = 0; i < wakes; i++) {
        long before = reads(JobEventFeeds.READER);
        vertx.eventBus().publish(Addresses.EVENTS_ITEM, new JsonObject().put("jobId", job));
        s.poll(() -> reads(JobEventFeeds.READER), n -> n > before || TestService.TERMINAL.contains(
            s.job(job).getString("status")), Duration.ofSeconds(10), "the shared read");
      }
      JsonObject done = s.awaitJob(job);
      for (SseClient c : clients) {
        assertThat(TestService.await(c.ended())).isEqualTo(200);
      }
      long elapsedMs = (System.nanoTime() - started) / 1_000_000;
      List<SseClient.Event> first = clients.get(0).events;
      assertThat(first).extracting(SseClient.Event::id)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, first.size()).boxed().toList());
      assertThat(first.get(first.size() - 1).data()).isEqualTo(done);
      assertThat(clients).allSatisfy(c -> assertThat(c.events).isEqualTo(first));
      assertThat(TestService.await(ahead.ended())).isEqualTo(200);
      assertThat(ahead.events).isEmpty();
      // Each stream read its first page itself (as its caller), and at most once more to catch up.
      assertThat(reads(BearerAuth.DEFAULT_CALLER)).isBetween(streams + 1L, 2L * streams + 2);
      // The shared reads: one per wake-up (coalesced over 100 ms) or poll, however many streams there are.
      long bound = wakes + first.size() + elapsedMs / JobEventFeeds.POLL_MS + 2;
      assertThat(reads(JobEventFeeds.READER)).as("shared reads in %d ms", elapsedMs).isLessThanOrEqualTo(bound)
          .isLessThan((long) streams * wakes);
    }
  }

  @Test
  void streamsAreBoundedPerCallerWith429AndPerNodeWith503() {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(1500), c -> {
      ConfigLoader.put(c, "api.tokens", TestService.TOKEN + ",ops:ops-token:admin");
      ConfigLoader.put(c, "cyclr.requestTimeoutMs", 20_000);
      ConfigLoader.put(c, "streams.maxPerCaller", 2);
      ConfigLoader.put(c, "streams.maxPerNode", 3);
    })) {
      String job = s.submit(TestService.apiKeyJob("bound", 1));
      SseClient a = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null, sse -> false);
      SseClient b = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null,
          sse -> sse.comments.contains("hang up")); // never: closed below by its connection
      s.poll(() -> !a.events.isEmpty() && !b.events.isEmpty(), ok -> ok, Duration.ofSeconds(20), "two streams");

      HttpResponse<Buffer> third = TestService.await(s.http.getAbs(url(s, job)).bearerTokenAuthentication(
          TestService.TOKEN).send());
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(third.getHeader("Retry-After")).isEqualTo("10");
      assertThat(third.bodyAsJsonObject().getString("detail")).contains("STREAMS_MAX_PER_CALLER");

      SseClient ops = SseClient.open(vertx, client, url(s, job), "ops-token", null, sse -> false);
      s.poll(() -> !ops.events.isEmpty(), ok -> ok, Duration.ofSeconds(20), "another caller's stream");
      HttpResponse<Buffer> full = TestService.await(s.http.getAbs(url(s, job)).bearerTokenAuthentication(
          "ops-token").send());
      assertThat(full.statusCode()).isEqualTo(503);
      assertThat(full.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(full.getHeader("Retry-After")).isEqualTo("10");
      assertThat(full.bodyAsJsonObject().getString("detail")).contains("STREAMS_MAX_PER_NODE");
      assertThat(s.get("/v1/jobs/" + job).statusCode()).as("the rest of the API is not limited").isEqualTo(200);

      // A stream that ends gives its slot back.
      TestService.await(client.close());
      HttpClient again = vertx.createHttpClient();
      SseClient reopened = s.poll(() -> {
        SseClient c = SseClient.open(vertx, again, url(s, job), TestService.TOKEN, null, sse -> false);
        s.poll(() -> !c.events.isEmpty() || c.ended().isComplete(), ok -> ok, Duration.ofSeconds(20), "an answer");
        return c;
      }, c -> !c.ended().isComplete(), Duration.ofSeconds(20), "a slot to be given back");
      assertThat(reopened.events).isNotEmpty();
    }
  }

  @Test
  void aClientThatStopsReadingIsSkippedThenCatchesUpFromTheLogWithoutSlowingTheOthers() throws Exception {
    // Cyclr answers in 50 ms: the job runs for seconds, so most of its events come after the stalled stream's
    // first read (a job already finished would reach it in that first read, with nothing left to skip).
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(50), c -> {
      ConfigLoader.put(c, "api.tokens", TestService.TOKEN + ",stalled:stalled-token:admin");
      ConfigLoader.put(c, "streams.sendBufferBytes", 4096);
    })) {
      String job = s.submit(TestService.apiKeyJob("stall", 150));
      // A plain blocking socket with a tiny receive window: it sends its request, then reads nothing for now.
      try (Socket raw = new Socket()) {
        raw.setReceiveBufferSize(2048);
        raw.setSoTimeout(30_000);
        raw.connect(new InetSocketAddress("127.0.0.1", s.app.httpPort()));
        raw.getOutputStream().write(("GET /v1/jobs/" + job + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer stalled-token\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        s.poll(() -> reads("stalled"), n -> n >= 1, Duration.ofSeconds(20), "the stalled stream's first read");
        assertThat(s.job(job).getString("status")).as("the job still runs").isIn("PENDING", "RUNNING");
        SseClient reader = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null, sse -> false);

        JsonObject done = s.awaitJob(job, Duration.ofSeconds(60));
        assertThat(TestService.await(reader.ended())).as("the reading client is not held back").isEqualTo(200);
        assertThat(reader.events.get(reader.events.size() - 1).data()).isEqualTo(done);
        long events = reader.events.size();
        long readsWhileStalled = reads("stalled");

        // Now it reads: everything arrives once, in order, caught up from the log, and the stream ends.
        String text = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher ids = Pattern.compile("(?m)^id: (\\d+)$").matcher(text);
        List<Long> got = new ArrayList<>();
        while (ids.find()) {
          got.add(Long.parseLong(ids.group(1)));
        }
        assertThat(got).containsExactlyElementsOf(LongStream.rangeClosed(1, events).boxed().toList());
        assertThat(reads("stalled")).as("skipped while stalled, it read the log itself to catch up")
            .isGreaterThan(readsWhileStalled);
      }
    }
  }
}
