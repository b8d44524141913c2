package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.vertx.core.MultiMap;
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
 * Credential health against the emulator, end to end: a tenant signs in, the grant is revoked at Cyclr
 * ({@code PUT /v1.0/account/connectors/{id}/deauthenticate}), a check on the shortest interval (0.001 h = 3.6 s)
 * finds it, the item becomes REAUTH_REQUIRED with a fresh relay link (the old one answers 410), an oauth event and
 * webhook {@code item.deauthenticated}; the tenant signs in again and the item is AUTHENTICATED once more with
 * {@code item.authenticated}; the account's history shows {@code credential.lost}. The spread, the rate share and
 * the outage pause run on a virtual clock ({@link CredentialHealthPumpTest}).
 */
@ExtendWith(VertxExtension.class)
class CredentialHealthTest {
  private static final String CHECK = "GET /v1.0/account/connectors/{id}";

  private static HttpResponse<Buffer> send(TestService s, HttpMethod method, String url) {
    return RelayLinksTest.send(s, method, url);
  }

  /** The tenant signs in through a relay link: Connect, then Cyclr's page (the emulator signs in on a GET). */
  private static void signIn(TestService s, String link) {
    String atCyclr = send(s, HttpMethod.POST, link).getHeader("Location");
    assertThat(send(s, HttpMethod.GET, atCyclr).statusCode()).isEqualTo(302);
  }

  /** The grant is revoked at Cyclr, through the emulator's own API. */
  private static void revokeAtCyclr(TestService s, String account, long accountConnectorId) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials")
        .add("client_id", s.cyclr.options().getClientId()).add("client_secret", s.cyclr.options().getClientSecret());
    String token = TestService.await(s.http.postAbs(s.cyclr.apiUrl() + "/oauth/token").sendForm(form))
        .bodyAsJsonObject().getString("access_token");
    HttpResponse<Buffer> r = TestService.await(s.http.requestAbs(HttpMethod.PUT, s.cyclr.apiUrl()
            + "/v1.0/account/connectors/" + accountConnectorId + "/deauthenticate")
        .putHeader("Authorization", "Bearer " + token).putHeader("X-Cyclr-Account", account).send());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void aRevokedGrantIsNoticedReLinkedAndRecovered(Vertx vertx, @TempDir Path dir) {
    String secret = WebhookReceiver.newSecret();
    try (WebhookReceiver receiver = WebhookReceiver.start(vertx, secret);
         TestService s = TestService.start(vertx, dir, e -> { }, c -> {
           TestService.relayLinks(c);
           ConfigLoader.put(c, "oauth.watchIntervalMs", 100);
           ConfigLoader.put(c, "signIn.healthIntervalHours", 0.001);
           ConfigLoader.put(c, "webhooks.url", receiver.url());
           ConfigLoader.put(c, "webhooks.secret", secret);
           ConfigLoader.put(c, "webhooks.events", "item.deauthenticated,item.authenticated");
         })) {
      List<JsonObject> links = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> links.add(m.body()))
          .completion());
      String jobId = s.submit(RelayLinksTest.oauthJob("h-1", "h-2"));
      assertThat(s.awaitJob(jobId).getString("status")).isEqualTo("SUCCEEDED");
      for (JsonObject item : s.items(jobId, "OAUTH_PENDING")) {
        signIn(s, RelayLinksTest.link(item));
      }
      List<JsonObject> signedIn = s.poll(() -> s.items(jobId, "AUTHENTICATED"), l -> l.size() == 2,
          Duration.ofSeconds(10), "both sign-ins noticed");
      JsonObject item = signedIn.stream().filter(i -> i.getString("account").equals("h-1")).findFirst().orElseThrow();
      String firstLink = RelayLinksTest.link(item);

      revokeAtCyclr(s, "h-1", item.getLong("accountConnectorId"));
      JsonObject reauth = s.poll(() -> s.items(jobId, "REAUTH_REQUIRED"), l -> l.size() == 1, Duration.ofSeconds(15),
          "the revoked grant to be noticed").get(0);
      assertThat(reauth.getString("id")).isEqualTo(item.getString("id"));
      String freshLink = RelayLinksTest.link(reauth);
      assertThat(freshLink).isNotEqualTo(firstLink);
      assertThat(send(s, HttpMethod.GET, firstLink).statusCode()).as("the old link").isEqualTo(410);
      assertThat(send(s, HttpMethod.GET, freshLink).statusCode()).as("the fresh link").isEqualTo(200);
      JsonObject job = s.job(jobId);
      assertThat(job.getString("status")).as("a finished job stays finished").isEqualTo("SUCCEEDED");
      assertThat(job.getJsonObject("counts").getLong("REAUTH_REQUIRED")).isEqualTo(1);
      assertThat(job.getJsonObject("counts").getLong("AUTHENTICATED")).as("h-2 still signed in").isEqualTo(1);
      JsonObject event = s.poll(() -> links.stream().filter(l -> freshLink.equals(l.getString("url"))).toList(),
          l -> l.size() == 1, Duration.ofSeconds(5), "the fresh link's oauth event").get(0);
      assertThat(event.getString("itemId")).isEqualTo(item.getString("id"));
      WebhookReceiver.Received lost = s.poll(() -> receiver.distinct().stream()
              .filter(r -> r.json().getString("type").equals("item.deauthenticated")).toList(), l -> l.size() == 1,
          Duration.ofSeconds(10), "webhook item.deauthenticated").get(0);
      assertThat(lost.signatureValid()).isTrue();
      assertThat(lost.json().getJsonObject("data").getString("status")).isEqualTo("REAUTH_REQUIRED");
      assertThat(lost.json().getJsonObject("data").getJsonObject("oauth").getString("url")).isEqualTo(freshLink);

      // The tenant signs in again through the fresh link: a recovered connection.
      signIn(s, freshLink);
      s.poll(() -> s.items(jobId, "AUTHENTICATED"), l -> l.size() == 2, Duration.ofSeconds(10), "the sign-in again");
      s.poll(() -> receiver.distinct().stream().filter(r -> r.json().getString("type").equals("item.authenticated")
              && r.json().getJsonObject("data").getString("id").equals(item.getString("id"))).toList(),
          l -> l.size() == 2, Duration.ofSeconds(10), "item.authenticated for the first sign-in and the recovery");
      assertThat(s.cyclr.stats().requests(CHECK)).as("checks stay few: no storm").isLessThan(100);
      // The tenant's account history: lost, then signed in again.
      List<String> kinds = s.get("/v1/accounts/h-1/history").bodyAsJsonObject().getJsonArray("items").stream()
          .map(e -> ((JsonObject) e).getString("kind")).toList();
      assertThat(kinds).containsSubsequence("sign_in.completed", "credential.lost", "link.issued", "sign_in.completed");
    }
  }
}
