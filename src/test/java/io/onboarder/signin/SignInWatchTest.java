package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sign-in watch against the emulator: a tenant who signs in and never comes back is noticed by
 * polling (relay and raw links), even after the job has finished, with a share of the gateway, across a
 * restart. Intervals are a tenth of a second here (OAUTH_WATCH_INTERVAL_MS); how polls back off and stop
 * over minutes is checked on a virtual clock ({@link SignInWatchPumpTest}).
 */
@ExtendWith(VertxExtension.class)
class SignInWatchTest {
  private static final String CHECK = "GET /v1.0/account/connectors/{id}";

  private static TestService start(Vertx vertx, Path dir, boolean relay) {
    return TestService.start(vertx, dir, e -> { }, c -> {
      if (relay) {
        TestService.relayLinks(c);
      }
      ConfigLoader.put(c, "oauth.watchIntervalMs", 100);
    });
  }

  private static HttpResponse<Buffer> send(TestService s, HttpMethod method, String url) {
    return RelayLinksTest.send(s, method, url);
  }

  @Test
  void aTenantWhoNeverComesBackIsNoticedByPollingAfterTheJobFinished(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, true)) {
      List<JsonObject> events = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> events.add(m.body()))
          .completion());
      String jobId = s.submit(RelayLinksTest.oauthJob("p-1", "p-2"));
      JsonObject finished = s.awaitJob(jobId);
      assertThat(finished.getString("status")).isEqualTo("SUCCEEDED");
      JsonObject item = s.items(jobId, "OAUTH_PENDING").stream()
          .filter(i -> i.getString("account").equals("p-1")).findFirst().orElseThrow();
      // Connect, sign in at Cyclr, and close the window: /done is never reached.
      String atCyclr = send(s, HttpMethod.POST, RelayLinksTest.link(item)).getHeader("Location");
      assertThat(send(s, HttpMethod.GET, atCyclr).statusCode()).isEqualTo(302);

      JsonObject job = s.poll(() -> s.job(jobId), j -> j.getJsonObject("counts").getLong("AUTHENTICATED") == 1,
          Duration.ofSeconds(10), "the watch to notice the sign-in");
      assertThat(job.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(job.getString("finishedAt")).isEqualTo(finished.getString("finishedAt"));
      assertThat(job.getJsonObject("counts").getLong("OAUTH_PENDING")).isEqualTo(1);
      s.poll(() -> events.stream().filter(e -> "AUTHENTICATED".equals(e.getString("status"))).toList(),
          l -> l.size() == 1, Duration.ofSeconds(5), "one AUTHENTICATED event");
      JsonObject event = events.stream().filter(e -> "AUTHENTICATED".equals(e.getString("status"))).findFirst()
          .orElseThrow();
      assertThat(event.getString("account")).isEqualTo("p-1");
      assertThat(event.getString("itemId")).isEqualTo(item.getString("id"));
      assertThat(event.getLong("connectorId")).isEqualTo(2L);
    }
  }

  @Test
  void rawCyclrLinksAreWatchedToo(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, false)) {
      String jobId = s.submit(RelayLinksTest.oauthJob("q-1"));
      s.awaitJob(jobId);
      String raw = s.items(jobId, "OAUTH_PENDING").get(0).getJsonObject("oauth").getString("url");
      assertThat(send(s, HttpMethod.GET, raw).statusCode()).isEqualTo(302);
      s.poll(() -> s.items(jobId, "AUTHENTICATED").size(), n -> n == 1, Duration.ofSeconds(10),
          "the watch to notice the sign-in");
    }
  }

  @Test
  void everyTenantWhoSignsInIsNoticedAndNoLongerWatched(Vertx vertx, @TempDir Path dir) {
    // The backoff of the polls and their end over minutes run on a virtual clock in SignInWatchPumpTest.
    int n = 20;
    try (TestService s = start(vertx, dir, false)) {
      String[] accounts = new String[n];
      for (int i = 0; i < n; i++) {
        accounts[i] = "b-" + i;
      }
      String jobId = s.submit(RelayLinksTest.oauthJob(accounts));
      s.awaitJob(jobId);
      s.poll(() -> s.cyclr.stats().requests(CHECK), k -> k >= n, Duration.ofSeconds(10), "a first poll each");
      for (JsonObject item : s.items(jobId, "OAUTH_PENDING")) {
        assertThat(send(s, HttpMethod.GET, item.getJsonObject("oauth").getString("url")).statusCode()).isEqualTo(302);
      }
      s.poll(() -> s.items(jobId, "AUTHENTICATED").size(), k -> k == n, Duration.ofSeconds(15), "all noticed");
      assertThat(s.items(jobId, "OAUTH_PENDING")).isEmpty();
    }
  }

  @Test
  void theWatchUsesAtMostAQuarterOfTheGatewaysConcurrency(Vertx vertx, @TempDir Path dir) {
    int n = 40;
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(100), c -> {
      ConfigLoader.put(c, "gateway.maxConcurrency", 8);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 50);
    })) {
      String[] accounts = new String[n];
      for (int i = 0; i < n; i++) {
        accounts[i] = "c-" + i;
      }
      s.awaitJob(s.submit(RelayLinksTest.oauthJob(accounts)));
      s.cyclr.resetStats(); // from here on only the watch calls Cyclr: 40 items due at once
      s.poll(() -> s.cyclr.stats().requests(CHECK), k -> k >= 2L * n, Duration.ofSeconds(20), "two polls each");
      assertThat(s.cyclr.stats().maxInFlight()).as("8 / 4").isLessThanOrEqualTo(2);
      // Install work gets the rest meanwhile.
      s.cyclr.resetStats();
      s.awaitJob(s.submit(TestService.apiKeyJob("busy", 40)));
      assertThat(s.cyclr.stats().maxInFlight()).isBetween(5L, 8L);
    }
  }

  @Test
  void theWatchSurvivesARestart(Vertx vertx, @TempDir Path dir) {
    Vertx first = Vertx.vertx(); // the service alone dies; the emulator lives on the test's Vert.x
    Vertx next = Vertx.vertx();
    try (TestService s = TestService.start(vertx, first, dir, e -> { }, c -> {
      ConfigLoader.put(c, "oauth.watchIntervalMs", 100);
      // A watch claimed when the service died comes due again when its lease lapses: keep that short here.
      ConfigLoader.put(c, "jobs.leaseMs", 1000);
      ConfigLoader.put(c, "cyclr.requestTimeoutMs", 500);
    })) {
      String jobId = s.submit(RelayLinksTest.oauthJob("s-1"));
      s.awaitJob(jobId);
      String raw = s.items(jobId, "OAUTH_PENDING").get(0).getJsonObject("oauth").getString("url");
      try (TestService restarted = s.crashAndRestart(next)) {
        assertThat(send(restarted, HttpMethod.GET, raw).statusCode()).isEqualTo(302);
        restarted.poll(() -> restarted.items(jobId, "AUTHENTICATED").size(), k -> k == 1, Duration.ofSeconds(10),
            "the restarted service's watch to notice the sign-in");
      }
    } finally {
      TestService.await(next.close());
      first.close();
    }
  }
}
