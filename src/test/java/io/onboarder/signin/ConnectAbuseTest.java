package io.onboarder.signin;

import static io.onboarder.signin.RelayLinksTest.link;
import static io.onboarder.signin.RelayLinksTest.oauthJob;
import static io.onboarder.signin.RelayLinksTest.pending;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Application;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.store.SchemaTemplates;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public relay-link pages against a hostile caller on loopback: a forged {@code X-Forwarded-For} does
 * not buy a fresh rate limit unless the peer is a configured trusted proxy, and a Connect flood on one link makes
 * only {@code links.maxMints} Cyclr sign-in tokens, counted in the database so that it holds across nodes.
 */
@ExtendWith(VertxExtension.class)
class ConnectAbuseTest {
  private static final int PER_MINUTE = 4;
  private static final int MINTS = 3;

  private static TestService start(Vertx vertx, Path dir, String trustedProxies) {
    return TestService.start(vertx, dir, e -> { }, c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
      ConfigLoader.put(c, "links.rateLimitPerMinute", PER_MINUTE);
      ConfigLoader.put(c, "api.trustedProxies", trustedProxies);
    });
  }

  private static HttpResponse<Buffer> send(TestService s, HttpMethod method, String url, String forwardedFor) {
    return TestService.await(s.http.requestAbs(method, url).followRedirects(false)
        .putHeader("X-Forwarded-For", forwardedFor).send());
  }

  @Test
  void aForgedForwardedForFromAnUntrustedPeerIsIgnored(Vertx vertx, @TempDir Path dir) {
    try (TestService s = start(vertx, dir, "")) {
      String link = link(pending(s, oauthJob("x-1")).get(0));
      String forged = s.base() + "/connect/" + "Q".repeat(43);
      // Every request claims another client; loopback is private, yet not a configured proxy.
      for (int i = 0; i < PER_MINUTE; i++) {
        String url = i % 2 == 0 ? link : forged;
        HttpMethod method = i % 2 == 0 ? HttpMethod.GET : HttpMethod.POST;
        assertThat(send(s, method, url, "198.51.100." + i).statusCode()).isIn(200, 410);
      }
      for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.POST}) {
        HttpResponse<Buffer> limited = send(s, method, forged, "198.51.100.99");
        assertThat(limited.statusCode()).as("the limit applies to the real peer").isEqualTo(429);
        assertThat(limited.getHeader("Retry-After")).isNotNull();
      }
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();
    }
  }

  @Test
  void aTrustedProxysForwardedForNamesTheClientAndOnlyItsRightMostUntrustedEntryCounts(Vertx vertx,
                                                                                      @TempDir Path dir) {
    try (TestService s = start(vertx, dir, "127.0.0.0/8, ::1, 10.0.0.0/8")) {
      String link = link(pending(s, oauthJob("y-1")).get(0));
      // Through the trusted proxy, distinct clients each get their own allowance.
      for (int i = 0; i < 3 * PER_MINUTE; i++) {
        assertThat(send(s, HttpMethod.GET, link, "203.0.113." + i).statusCode()).as("client %d", i).isEqualTo(200);
      }
      // One client forging the left part of the chain; an inner trusted hop (10.0.0.2) is skipped.
      for (int i = 0; i < PER_MINUTE; i++) {
        String chain = "192.0.2." + i + ", 203.0.113.200" + (i % 2 == 0 ? ", 10.0.0.2" : "");
        assertThat(send(s, HttpMethod.GET, link, chain).statusCode()).isEqualTo(200);
      }
      assertThat(send(s, HttpMethod.GET, link, "192.0.2.77, 203.0.113.200").statusCode()).isEqualTo(429);
      assertThat(send(s, HttpMethod.GET, link, "203.0.113.201").statusCode()).as("another client").isEqualTo(200);
    }
  }

  @Test
  void aConnectFloodOnOneLinkMintsOnlyTheAllowedSignInTokens(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setSignInTokenLifetimeSeconds(300), c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
      ConfigLoader.put(c, "links.rateLimitPerMinute", 100_000);
      ConfigLoader.put(c, "links.maxMints", MINTS);
    })) {
      List<JsonObject> items = pending(s, oauthJob("m-1", "m-2"));
      String link = link(items.get(0));
      List<Integer> answers = flood(s, List.of(link), 3 * MINTS);
      assertThat(answers.stream().filter(code -> code == 303)).hasSize(MINTS);
      assertThat(answers.stream().filter(code -> code == 429)).hasSize(2 * MINTS);
      assertThat(s.cyclr.stats().signInTokensIssued()).as("Cyclr saw only the allowed mints").isEqualTo(MINTS);

      HttpResponse<Buffer> refused = RelayLinksTest.send(s, HttpMethod.POST, link);
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(Long.parseLong(refused.getHeader("Retry-After"))).isBetween(1L, 600L);
      assertThat(refused.bodyAsString()).contains("Too many attempts").contains("10 minutes").doesNotContain("<script");
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, link).statusCode()).as("the page still opens").isEqualTo(200);
      // Another tenant's link has its own allowance.
      assertThat(RelayLinksTest.send(s, HttpMethod.POST, link(items.get(1))).statusCode()).isEqualTo(303);
      assertThat(s.cyclr.stats().signInTokensIssued()).isEqualTo(MINTS + 1);
    }
  }

  @Test
  void theMintLimitHoldsAcrossTwoNodesOnOneDatabase(Vertx vertx, @TempDir Path dir) {
    String url = SchemaTemplates.postgresDatabaseUrl();
    try (TestService s = TestService.start(vertx, dir, e -> e.setSignInTokenLifetimeSeconds(300), c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "store.url", url);
      ConfigLoader.put(c, "store.secretKey", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
      ConfigLoader.put(c, "links.rateLimitPerMinute", 100_000);
      ConfigLoader.put(c, "links.maxMints", MINTS);
    })) {
      String link = link(pending(s, oauthJob("n-1")).get(0));
      // A second node: its own process state, the same database (and Cyclr).
      JsonObject second = s.config().copy();
      ConfigLoader.put(second, "http.port", 0);
      Vertx other = Vertx.vertx();
      try {
        Application node = TestService.await(Application.deploy(other, Settings.from(second)));
        String token = link.substring(link.lastIndexOf('/') + 1);
        String viaSecond = "http://127.0.0.1:" + node.httpPort() + "/connect/" + token;
        List<Integer> answers = flood(s, List.of(link, viaSecond), 4 * MINTS);
        assertThat(answers.stream().filter(code -> code == 303)).hasSize(MINTS);
        assertThat(answers.stream().filter(code -> code == 429)).hasSize(3 * MINTS);
        assertThat(s.cyclr.stats().signInTokensIssued()).isEqualTo(MINTS);
      } finally {
        TestService.await(other.close());
      }
    }
  }

  /** {@code n} Connect clicks at once, spread over the given URLs of one link; their statuses. */
  private static List<Integer> flood(TestService s, List<String> urls, int n) {
    List<Future<Integer>> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(s.http.postAbs(urls.get(i % urls.size())).followRedirects(false).send().map(HttpResponse::statusCode));
    }
    return TestService.await(Future.all(sent)).list();
  }
}
