package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.support.SseClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/jobs/{id}/events}: a job's events as Server-Sent Events from the store, each with an
 * id; a reconnect with Last-Event-ID loses and repeats nothing; the stream ends after the final event.
 */
class JobEventStreamTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private HttpClient client;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    client = vertx.createHttpClient();
  }

  @AfterEach
  void tearDown() {
    TestService.await(vertx.close());
  }

  private String url(TestService s, String job) {
    return s.base() + "/v1/jobs/" + job + "/events";
  }

  @Test
  void aReconnectWithLastEventIdResumesWithNothingLostOrRepeatedAndTheStreamEndsAfterTheFinalEvent() {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(40), c -> { })) {
      String other = s.submit(TestService.apiKeyJob("other", 5));
      String job = s.submit(TestService.apiKeyJob("sse", 80));
      // A client that drops the connection after 40 events, live, while the job runs.
      SseClient first = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null,
          sse -> sse.events.size() == 40);
      assertThat(TestService.await(first.ended())).isEqualTo(-1);
      String last = String.valueOf(first.events.get(first.events.size() - 1).id());
      SseClient second = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, last, sse -> false);
      assertThat(TestService.await(second.ended())).as("the server ends the stream").isEqualTo(200);

      List<SseClient.Event> all = new ArrayList<>(first.events);
      all.addAll(second.events);
      // 1 accepted + 1 running + 80 claimed + 80 outcomes + 1 finished, numbered 1..n without a gap or a repeat.
      assertThat(all).extracting(SseClient.Event::id)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, all.size()).boxed().toList());
      assertThat(all.stream().map(e -> e.event() + ":" + e.data().getString("status"))
          .collect(java.util.stream.Collectors.groupingBy(x -> x, java.util.TreeMap::new,
              java.util.stream.Collectors.counting())).toString())
          .isEqualTo("{item:INSTALLED=80, item:RUNNING=80, job:PENDING=1, job:RUNNING=1, job:SUCCEEDED=1}");
      assertThat(all).allSatisfy(e -> assertThat(e.event().equals("job") ? e.data().getString("id")
          : e.data().getString("jobId")).isEqualTo(job));
      SseClient.Event fin = all.get(all.size() - 1);
      assertThat(fin.event()).isEqualTo("job");
      assertThat(fin.data().getString("status")).isEqualTo("SUCCEEDED");
      assertThat(fin.data()).isEqualTo(s.job(job));
      assertThat(all.stream().filter(e -> e.event().equals("item")).map(e -> e.data().getString("status")))
          .containsOnly("RUNNING", "INSTALLED").hasSize(160);

      // Replayed from the store, the whole stream is the same events; after the last one there is nothing: 204.
      SseClient replay = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, null, sse -> false);
      assertThat(TestService.await(replay.ended())).isEqualTo(200);
      assertThat(replay.events).isEqualTo(all);
      SseClient after = SseClient.open(vertx, client, url(s, job), TestService.TOKEN, String.valueOf(all.size()),
          sse -> false);
      assertThat(TestService.await(after.ended())).isEqualTo(204);
      s.awaitJob(other);
    }
  }

  @Test
  void unknownJobsBadIdsAndMissingTokensAreRefused() {
    try (TestService s = TestService.start(vertx, dir)) {
      String job = s.submit(TestService.apiKeyJob("sse-refused", 2));
      assertThat(TestService.await(SseClient.open(vertx, client, url(s, "no-such-job"), TestService.TOKEN, null,
          sse -> false).ended())).isEqualTo(404);
      assertThat(TestService.await(SseClient.open(vertx, client, url(s, job), TestService.TOKEN, "abc",
          sse -> false).ended())).isEqualTo(400);
      assertThat(TestService.await(SseClient.open(vertx, client, url(s, job), "wrong-token", null,
          sse -> false).ended())).isEqualTo(401);
      JsonObject done = s.awaitJob(job);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
    }
  }
}
