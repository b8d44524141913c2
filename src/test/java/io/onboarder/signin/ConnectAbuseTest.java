package io.onboarder.signin;

import static io.onboarder.signin.RelayLinksTest.link;
import static io.onboarder.signin.RelayLinksTest.oauthJob;
import static io.onboarder.signin.RelayLinksTest.pending;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public relay-link pages against a hostile caller on loopback: a forged {@code X-Forwarded-For} does
 * not buy a fresh rate limit unless the peer is a configured trusted proxy.
 */
@ExtendWith(VertxExtension.class)
class ConnectAbuseTest {
  private static final int PER_MINUTE = 4;

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
}
