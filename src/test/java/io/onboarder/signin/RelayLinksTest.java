package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Relay links end to end, against the emulator: a tenant's browser opens {PUBLIC_URL}/connect/{token},
 * clicks Connect (POST, 303 to Cyclr), signs in at Cyclr's page and comes back through /done. What Cyclr
 * saw (sign-in tokens minted, requests) is asserted beside what the pages answer.
 */
@ExtendWith(VertxExtension.class)
class RelayLinksTest {
  static final String APP = "https://app.example.com";

  static JsonObject oauthJob(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a));
    }
    return new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
        .put("oauth", new JsonObject().put("targetOrigin", APP)).put("items", items);
  }

  /** Relay links on, a watch too slow to notice anything during a test: only a return can. */
  static TestService start(Vertx vertx, Path dir, int signInTokenSeconds, String linkTtlHours) {
    return TestService.start(vertx, dir, e -> e.setSignInTokenLifetimeSeconds(signInTokenSeconds), c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
      ConfigLoader.put(c, "links.ttlHours", linkTtlHours);
      ConfigLoader.put(c, "links.rateLimitPerMinute", 100_000);
    });
  }

  /** Submits, waits for the job, returns its OAUTH_PENDING items. */
  static List<JsonObject> pending(TestService s, JsonObject job) {
    String id = s.submit(job);
    assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
    return s.items(id, "OAUTH_PENDING");
  }

  static HttpResponse<Buffer> send(TestService s, HttpMethod method, String url) {
    return TestService.await(s.http.requestAbs(method, url).followRedirects(false).send());
  }

  static String link(JsonObject item) {
    return item.getJsonObject("oauth").getString("url");
  }

  @Test
  void aLinkOpenedAfterTheRawCyclrTokenDiedStillSignsTheTenantIn(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, 300, "168")) {
      List<JsonObject> authenticated = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> {
        if ("AUTHENTICATED".equals(m.body().getString("status"))) {
          authenticated.add(m.body());
        }
      }).completion());
      JsonObject item = pending(s, oauthJob("r-1")).get(0);
      String link = link(item);
      assertThat(link).matches("http://127\\.0\\.0\\.1:\\d+/connect/[A-Za-z0-9_-]{43}");
      assertThat(item.getJsonObject("oauth").getString("cyclrUrl")).as("no Cyclr token minted at install").isNull();
      assertThat(Instant.parse(item.getJsonObject("oauth").getString("expiresAt")))
          .isAfter(Instant.now().plus(Duration.ofHours(167)));
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();

      // A first Connect mints a Cyclr token that nobody uses in time: it dies.
      HttpResponse<Buffer> first = send(s, HttpMethod.POST, link);
      assertThat(first.statusCode()).isEqualTo(303);
      String rawUrl = first.getHeader("Location");
      assertThat(rawUrl).startsWith(s.cyclr.apiUrl() + "/web/connector/updateaccountconnectoroauth?")
          .contains("targetOrigin=" + java.net.URLEncoder.encode(link + "/done", java.nio.charset.StandardCharsets.UTF_8));
      s.cyclr.expireAllSignInTokens(); // its lifetime passes
      assertThat(send(s, HttpMethod.GET, rawUrl).statusCode()).as("the raw Cyclr URL died").isEqualTo(403);

      // The relay link still works: a fresh token at the second Connect, sign-in, and back through /done.
      HttpResponse<Buffer> second = send(s, HttpMethod.POST, link);
      assertThat(second.statusCode()).isEqualTo(303);
      HttpResponse<Buffer> atCyclr = send(s, HttpMethod.GET, second.getHeader("Location"));
      assertThat(atCyclr.statusCode()).isEqualTo(302);
      assertThat(atCyclr.getHeader("Location")).isEqualTo(link + "/done");
      HttpResponse<Buffer> back = send(s, HttpMethod.GET, link + "/done");
      assertThat(back.statusCode()).isEqualTo(303);
      assertThat(back.getHeader("Location")).isEqualTo(APP);

      // Noticed at the return, not by the watch (its first poll is 10 minutes away).
      String jobId = s.get("/v1/jobs").bodyAsJsonObject().getJsonArray("jobs").getJsonObject(0).getString("id");
      JsonObject job = s.job(jobId);
      assertThat(job.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(job.getJsonObject("counts").getLong("AUTHENTICATED")).isEqualTo(1);
      assertThat(job.getJsonObject("counts").getLong("OAUTH_PENDING")).isZero();
      assertThat(s.items(jobId, "AUTHENTICATED")).extracting(i -> i.getString("account")).containsExactly("r-1");
      s.poll(authenticated::size, n -> n == 1, Duration.ofSeconds(5), "the AUTHENTICATED item event");
      assertThat(authenticated.get(0).getString("account")).isEqualTo("r-1");
      assertThat(authenticated.get(0).getString("jobId")).isEqualTo(jobId);
      assertThat(s.cyclr.stats().signInTokensIssued()).isEqualTo(2);
      assertThat(s.cyclr.stats().requests("GET /v1.0/account/connectors/{id}")).isEqualTo(3);
    }
  }

  @Test
  void aGetAloneMintsNothingAndCallsNothingAtCyclr(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, 300, "168")) {
      String link = link(pending(s, oauthJob("g-1")).get(0));
      long requests = s.cyclr.stats().requests();
      for (int i = 0; i < 5; i++) { // a mail filter, a preview pane, the tenant
        HttpResponse<Buffer> page = send(s, HttpMethod.GET, link);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.getHeader("Content-Type")).startsWith("text/html");
        assertThat(page.bodyAsString()).contains("Connect Salesforce").contains("<form method=\"post\">")
            .doesNotContain(link.substring(link.lastIndexOf('/') + 1)).doesNotContain("g-1").doesNotContain("<script");
      }
      assertThat(s.cyclr.stats().requests()).isEqualTo(requests);
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();
    }
  }

  @Test
  void aSecondSignInAttemptAfterSuccessMintsNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, 300, "168")) {
      List<JsonObject> items = pending(s, oauthJob("a-1", "a-2"));
      // a-1 comes back through /done; a-2 signs in but its browser never returns (window closed).
      for (JsonObject item : items) {
        String link = link(item);
        HttpResponse<Buffer> atCyclr = send(s, HttpMethod.GET, send(s, HttpMethod.POST, link).getHeader("Location"));
        assertThat(atCyclr.statusCode()).isEqualTo(302);
        if (item.getString("account").equals("a-1")) {
          assertThat(send(s, HttpMethod.GET, link + "/done").statusCode()).isEqualTo(303);
        }
      }
      assertThat(s.cyclr.stats().signInTokensIssued()).isEqualTo(2);
      for (JsonObject item : items) {
        String link = link(item);
        HttpResponse<Buffer> again = send(s, HttpMethod.POST, link);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.bodyAsString()).contains("Salesforce is connected");
        assertThat(send(s, HttpMethod.GET, link).bodyAsString()).contains("is connected");
        // Back through /done again: straight on to the app, nothing asked of Cyclr.
        assertThat(send(s, HttpMethod.GET, link + "/done").getHeader("Location")).isEqualTo(APP);
      }
      assertThat(s.cyclr.stats().signInTokensIssued()).as("no token minted after success").isEqualTo(2);
      String jobId = s.get("/v1/jobs").bodyAsJsonObject().getJsonArray("jobs").getJsonObject(0).getString("id");
      assertThat(s.job(jobId).getJsonObject("counts").getLong("AUTHENTICATED")).isEqualTo(2);
    }
  }

  @Test
  void forgedRevokedAndCancelledLinksAreRefusedWithoutReachingCyclr(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, 300, "168")) {
      String jobId = s.submit(oauthJob("v-1", "v-2"));
      s.awaitJob(jobId);
      List<JsonObject> items = s.items(jobId, "OAUTH_PENDING");
      String base = s.base();
      JsonObject v1 = items.get(0);
      String old = link(v1);

      List<JsonObject> published = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> published.add(m.body()))
          .completion());
      HttpResponse<Buffer> reissued = s.post("/v1/jobs/" + jobId + "/items/" + v1.getString("id") + "/link", null);
      assertThat(reissued.statusCode()).isEqualTo(200);
      String fresh = reissued.bodyAsJsonObject().getString("url");
      assertThat(fresh).isNotEqualTo(old).startsWith(base + "/connect/");
      assertThat(Instant.parse(reissued.bodyAsJsonObject().getString("expiresAt"))).isAfter(Instant.now());
      s.poll(published::size, n -> n == 1, Duration.ofSeconds(5), "the reissued link's oauth event");
      assertThat(published.get(0).getString("url")).isEqualTo(fresh);
      assertThat(published.get(0).getString("itemId")).isEqualTo(v1.getString("id"));
      assertThat(published.get(0).getString("connectorName")).isEqualTo("Salesforce");
      assertThat(published.get(0).containsKey("cyclrUrl")).isTrue();
      assertThat(link(s.items(jobId, "OAUTH_PENDING").get(0))).as("items show the new link").isEqualTo(fresh);

      long requests = s.cyclr.stats().requests();
      String forged = base + "/connect/" + "A".repeat(43);
      for (String url : List.of(old, forged)) {
        for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.POST)) {
          HttpResponse<Buffer> r = send(s, m, url);
          assertThat(r.statusCode()).as("%s %s", m, url).isEqualTo(410);
          assertThat(r.bodyAsString()).contains("no longer valid");
        }
        assertThat(send(s, HttpMethod.GET, url + "/done").statusCode()).isEqualTo(410);
      }
      for (String malformed : List.of("abc", "A".repeat(44), "A".repeat(42) + "%2F", "A".repeat(43) + "/x")) {
        assertThat(send(s, HttpMethod.GET, base + "/connect/" + malformed).statusCode()).as(malformed).isEqualTo(404);
      }
      assertThat(send(s, HttpMethod.GET, fresh).statusCode()).isEqualTo(200);

      // Cancelling the (finished) job revokes its links that still work.
      List<String> live = s.items(jobId, "OAUTH_PENDING").stream().map(RelayLinksTest::link).toList();
      assertThat(live).hasSize(2).contains(fresh);
      HttpResponse<Buffer> cancel = s.post("/v1/jobs/" + jobId + "/cancel", null);
      assertThat(cancel.statusCode()).isEqualTo(200);
      assertThat(cancel.bodyAsJsonObject().getString("status")).isEqualTo("SUCCEEDED");
      for (String url : live) {
        assertThat(send(s, HttpMethod.POST, url).statusCode()).isEqualTo(410);
        assertThat(send(s, HttpMethod.GET, url).statusCode()).isEqualTo(410);
      }
      assertThat(s.items(jobId, "OAUTH_PENDING")).allSatisfy(i -> assertThat(i.getValue("oauth")).isNull());
      assertThat(s.post("/v1/jobs/" + jobId + "/cancel", null).statusCode()).as("nothing left to revoke")
          .isEqualTo(409);
      assertThat(s.cyclr.stats().requests()).as("refused links never reach Cyclr").isEqualTo(requests);
      // An explicit reissue for one item still works afterwards.
      HttpResponse<Buffer> again = s.post("/v1/jobs/" + jobId + "/items/" + v1.getString("id") + "/link", null);
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(send(s, HttpMethod.GET, again.bodyAsJsonObject().getString("url")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void anExpiredLinkIsRefusedWithoutReachingCyclr(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, 300, "0.0003")) { // about one second
      String link = link(pending(s, oauthJob("e-1")).get(0));
      s.poll(() -> send(s, HttpMethod.GET, link).statusCode(), code -> code == 410, Duration.ofSeconds(10),
          "the link to expire");
      // The expiry itself looks at Cyclr once (did the tenant sign in after all?) before the item is SIGN_IN_EXPIRED.
      s.poll(() -> s.get("/v1/jobs").bodyAsJsonObject().getJsonArray("jobs").getJsonObject(0).getJsonObject("counts")
          .getLong("SIGN_IN_EXPIRED", 0L), n -> n == 1, Duration.ofSeconds(10), "the item to expire");
      long requests = s.cyclr.stats().requests();
      assertThat(send(s, HttpMethod.POST, link).statusCode()).isEqualTo(410);
      assertThat(send(s, HttpMethod.GET, link + "/done").statusCode()).isEqualTo(410);
      assertThat(s.cyclr.stats().requests()).isEqualTo(requests);
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();
    }
  }

  @Test
  void publicPagesCarrySecurityHeadersAndAreRateLimitedPerClient(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "links.rateLimitPerMinute", 4);
    })) {
      String link = link(pending(s, oauthJob("h-1")).get(0));
      for (String url : List.of(link, s.base() + "/connect/" + "B".repeat(43), s.base() + "/connect/x")) {
        HttpResponse<Buffer> r = send(s, HttpMethod.GET, url);
        assertThat(r.getHeader("Content-Security-Policy")).startsWith("default-src 'none'; style-src 'sha256-")
            .contains("form-action 'self' " + s.cyclr.apiUrl()).contains("frame-ancestors 'none'");
        assertThat(r.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
        assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(r.getHeader("X-Frame-Options")).isEqualTo("DENY");
      }
      HttpResponse<Buffer> redirect = send(s, HttpMethod.POST, link);
      assertThat(redirect.statusCode()).isEqualTo(303);
      assertThat(redirect.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
      assertThat(redirect.getHeader("Cache-Control")).isEqualTo("no-store");
      // Four requests so far: the fifth in the same minute is refused.
      HttpResponse<Buffer> limited = send(s, HttpMethod.GET, link);
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(Long.parseLong(limited.getHeader("Retry-After"))).isBetween(1L, 60L);
      // The API itself is not limited by it.
      assertThat(s.get("/v1/jobs").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void withoutPublicUrlLinksAreCyclrsOwnAndAReissueMintsAFreshOne(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String jobId = s.submit(oauthJob("w-1"));
      s.awaitJob(jobId);
      JsonObject item = s.items(jobId, "OAUTH_PENDING").get(0);
      JsonObject oauth = item.getJsonObject("oauth");
      assertThat(oauth.getString("url")).startsWith(s.cyclr.apiUrl()).isEqualTo(oauth.getString("cyclrUrl"));
      assertThat(send(s, HttpMethod.GET, s.base() + "/connect/" + "A".repeat(43)).statusCode()).isEqualTo(404);
      HttpResponse<Buffer> r = s.post("/v1/jobs/" + jobId + "/items/" + item.getString("id") + "/link", null);
      assertThat(r.statusCode()).isEqualTo(200);
      String fresh = r.bodyAsJsonObject().getString("url");
      assertThat(fresh).startsWith(s.cyclr.apiUrl()).isNotEqualTo(oauth.getString("url"));
      assertThat(s.items(jobId, "OAUTH_PENDING").get(0).getJsonObject("oauth").getString("url")).isEqualTo(fresh);
      assertThat(send(s, HttpMethod.GET, fresh).statusCode()).isEqualTo(302);
      assertThat(s.post("/v1/jobs/" + jobId + "/items/999999/link", null).statusCode()).isEqualTo(404);
      assertThat(s.post("/v1/jobs/" + jobId + "/items/x1/link", null).statusCode()).isEqualTo(404);
    }
  }
}
