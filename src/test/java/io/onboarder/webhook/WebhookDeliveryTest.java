package io.onboarder.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.onboarder.support.WebhookReceiver.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks as a receiver sees them: Standard Webhooks signatures checked by the test's own HMAC code,
 * every expected event delivered, retried with the same webhook-id, Retry-After honoured, 410 and
 * redirects handled, and the deliveries API showing it all without a secret.
 */
class WebhookDeliveryTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private WebhookReceiver receiver;
  private String secret;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    secret = WebhookReceiver.newSecret();
    receiver = WebhookReceiver.start(vertx, secret);
  }

  @AfterEach
  void tearDown() {
    receiver.close();
    TestService.await(vertx.close());
  }

  private TestService service(String events) {
    return service(events, 16);
  }

  private TestService service(String events, int concurrency) {
    return TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "webhooks.maxConcurrency", concurrency);
      ConfigLoader.put(c, "webhooks.url", receiver.url());
      ConfigLoader.put(c, "webhooks.secret", secret);
      if (events != null) {
        ConfigLoader.put(c, "webhooks.events", events);
      }
    });
  }

  /** 2 OAuth items (sign-in links), 2 API-key installs, 1 unknown connector (fails). */
  private static JsonObject mixedJob() {
    JsonArray items = new JsonArray()
        .add(new JsonObject().put("account", "w-oauth-1").put("connector", new JsonObject().put("name", "Salesforce")))
        .add(new JsonObject().put("account", "w-oauth-2").put("connector", new JsonObject().put("name", "Salesforce")))
        .add(new JsonObject().put("account", "w-key-1").put("authValue", "webhook-test-auth-value-1"))
        .add(new JsonObject().put("account", "w-key-2").put("authValue", "webhook-test-auth-value-2"))
        .add(new JsonObject().put("account", "w-bad-1").put("connector", new JsonObject().put("id", 999)));
    return new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("items", items);
  }

  private List<WebhookReceiver.Received> awaitDistinct(TestService s, int n) {
    return s.poll(receiver::distinct, l -> l.size() >= n, Duration.ofSeconds(60), n + " distinct webhooks");
  }

  @Test
  void everyExpectedEventArrivesSignedWithTheItemAndItsLinkAsData() {
    try (TestService s = service(null)) {
      String job = s.submit(mixedJob());
      s.awaitJob(job);
      List<WebhookReceiver.Received> got = awaitDistinct(s, 4);
      assertThat(got).allSatisfy(r -> {
        assertThat(r.signatureValid()).as("signature of %s", r.id()).isTrue();
        assertThat(r.id()).matches("msg_[0-9a-f]{32}");
        assertThat(Long.parseLong(r.timestamp())).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
        assertThat(r.json().fieldNames()).containsExactlyInAnyOrder("type", "timestamp", "data");
        assertThat(r.body()).doesNotContain("webhook-test-auth-value").doesNotContain(secret);
      });
      Map<String, List<JsonObject>> byType = got.stream().map(WebhookReceiver.Received::json)
          .collect(Collectors.groupingBy(j -> j.getString("type")));
      assertThat(byType.keySet()).containsExactlyInAnyOrder("item.oauth_pending", "item.failed", "job.finished");
      assertThat(byType.get("item.oauth_pending")).hasSize(2);
      assertThat(byType.get("item.failed")).hasSize(1);
      assertThat(byType.get("job.finished")).hasSize(1);

      // Data = the item as GET …/items shows it (with its sign-in link), plus the job id.
      Map<String, JsonObject> items = new HashMap<>();
      s.items(job, null).forEach(i -> items.put(i.getString("id"), i));
      for (JsonObject hook : byType.get("item.oauth_pending")) {
        JsonObject data = hook.getJsonObject("data");
        assertThat(data.getString("jobId")).isEqualTo(job);
        JsonObject item = items.get(data.getString("id"));
        assertThat(data.copy().put("jobId", (String) null)).isEqualTo(item.copy().put("jobId", (String) null));
        assertThat(data.getJsonObject("oauth").getString("url")).contains("updateaccountconnectoroauth");
      }
      assertThat(byType.get("item.failed").get(0).getJsonObject("data").getJsonObject("error").getString("code"))
          .isEqualTo("CONNECTOR_NOT_FOUND");
      JsonObject summary = byType.get("job.finished").get(0).getJsonObject("data");
      assertThat(summary).isEqualTo(s.job(job));

      // The deliveries API: all delivered, no secret, no signature, no auth value.
      JsonObject list = s.get("/v1/webhooks/deliveries?status=DELIVERED").bodyAsJsonObject();
      assertThat(list.getJsonArray("deliveries")).hasSize(4);
      assertThat(list.getJsonObject("endpoint").getBoolean("enabled")).isTrue();
      assertThat(list.encode()).doesNotContain(secret).doesNotContain(secret.substring(6))
          .doesNotContain("webhook-test-auth-value").doesNotContain("v1,");
    }
  }

  @Test
  void theEventsFilterLimitsWhatIsSent() {
    try (TestService s = service("job.finished")) {
      String job = s.submit(mixedJob());
      s.awaitJob(job);
      List<WebhookReceiver.Received> got = awaitDistinct(s, 1);
      s.poll(() -> s.get("/v1/webhooks/deliveries").bodyAsJsonObject().getJsonArray("deliveries"),
          a -> a.size() == 1 && "DELIVERED".equals(a.getJsonObject(0).getString("status")), Duration.ofSeconds(30),
          "one delivery");
      assertThat(got).extracting(r -> r.json().getString("type")).containsExactly("job.finished");
    }
  }

  @Test
  void failedAttemptsAreRetriedWithTheSameIdHonouringRetryAfter() {
    // Each webhook is refused twice (503, Retry-After: 1) before it is taken.
    receiver.answer(r -> r.attemptOfId() <= 2 ? new Answer(503, Map.of("Retry-After", "1")) : Answer.ok());
    try (TestService s = service(null)) {
      String job = s.submit(mixedJob());
      s.awaitJob(job);
      s.poll(() -> receiver.received.stream().filter(r -> r.attemptOfId() == 3).count(), n -> n >= 4,
          Duration.ofSeconds(60), "every webhook taken on its third attempt");
      Map<String, List<WebhookReceiver.Received>> byId = receiver.received.stream()
          .collect(Collectors.groupingBy(WebhookReceiver.Received::id));
      assertThat(byId).hasSize(4);
      byId.values().forEach(attempts -> {
        assertThat(attempts).hasSize(3);
        assertThat(attempts).allSatisfy(a -> assertThat(a.signatureValid()).isTrue());
        assertThat(attempts).extracting(WebhookReceiver.Received::body).containsOnly(attempts.get(0).body());
        for (int i = 1; i < attempts.size(); i++) {
          assertThat(attempts.get(i).receivedAtMs() - attempts.get(i - 1).receivedAtMs())
              .as("Retry-After: 1 honoured").isGreaterThanOrEqualTo(950);
        }
      });
      JsonArray delivered = s.poll(() -> s.get("/v1/webhooks/deliveries?status=DELIVERED").bodyAsJsonObject()
          .getJsonArray("deliveries"), a -> a.size() == 4, Duration.ofSeconds(30), "4 delivered");
      assertThat(delivered).allSatisfy(o -> assertThat(((JsonObject) o).getInteger("attempts")).isEqualTo(3));
    }
  }

  @Test
  void a410DisablesTheEndpointVisiblyUntilADeliveryIsReplayed() {
    receiver.answer(r -> Answer.of(410));
    // One attempt at a time, so that the 410 is seen before anything else is sent.
    try (TestService s = service("job.finished,item.failed", 1)) {
      String job = s.submit(mixedJob());
      s.awaitJob(job);
      JsonObject list = s.poll(() -> s.get("/v1/webhooks/deliveries").bodyAsJsonObject(),
          l -> !l.getJsonObject("endpoint").getBoolean("enabled") && l.getJsonArray("deliveries").stream()
              .anyMatch(d -> ((JsonObject) d).getJsonObject("lastResult") != null),
          Duration.ofSeconds(30), "endpoint disabled and the 410 recorded");
      assertThat(list.getJsonObject("endpoint").getString("reason")).contains("410");
      // Nothing more is sent while it is disabled: both deliveries wait (one was answered 410).
      assertThat(receiver.received).hasSize(1);
      assertThat(list.getJsonArray("deliveries")).hasSize(2)
          .allSatisfy(o -> assertThat(((JsonObject) o).getString("status")).isEqualTo("PENDING"));
      String gone = receiver.received.get(0).id();
      JsonObject answered = list.getJsonArray("deliveries").stream().map(o -> (JsonObject) o)
          .filter(d -> d.getString("id").equals(gone)).findFirst().orElseThrow();
      assertThat(answered.getJsonObject("lastResult").getInteger("httpStatus")).isEqualTo(410);

      // The receiver is back; an operator replays the delivery: the endpoint is enabled again, both arrive.
      receiver.answer(r -> Answer.ok());
      JsonObject replayed = s.post("/v1/webhooks/deliveries/" + gone + "/retry", null).bodyAsJsonObject();
      assertThat(replayed.getString("id")).isEqualTo(gone);
      s.poll(() -> s.get("/v1/webhooks/deliveries?status=DELIVERED").bodyAsJsonObject().getJsonArray("deliveries"),
          a -> a.size() == 2, Duration.ofSeconds(30), "both delivered after the replay");
      assertThat(receiver.received.stream().map(WebhookReceiver.Received::id).filter(gone::equals).count())
          .as("the same webhook-id again").isEqualTo(2);
      assertThat(s.get("/v1/webhooks/deliveries").bodyAsJsonObject().getJsonObject("endpoint").getBoolean("enabled"))
          .isTrue();
    }
  }

  @Test
  void redirectsAreNotFollowedAndUnknownDeliveriesAre404() {
    receiver.answer(r -> r.path().equals("/hooks") ? new Answer(302, Map.of("Location", "/elsewhere")) : Answer.ok());
    try (TestService s = service("job.finished")) {
      String job = s.submit(mixedJob());
      s.awaitJob(job);
      JsonObject d = s.poll(() -> s.get("/v1/webhooks/deliveries").bodyAsJsonObject().getJsonArray("deliveries"),
          a -> a.size() == 1 && ((JsonObject) a.getValue(0)).getInteger("attempts") >= 1, Duration.ofSeconds(30),
          "one attempt").getJsonObject(0);
      assertThat(d.getString("status")).isEqualTo("PENDING");
      assertThat(d.getJsonObject("lastResult").getString("error")).contains("302").contains("not followed");
      assertThat(receiver.received).extracting(WebhookReceiver.Received::path).containsOnly("/hooks");
      assertThat(s.post("/v1/webhooks/deliveries/msg_00000000000000000000000000000000/retry", null).statusCode())
          .isEqualTo(404);
      assertThat(s.get("/v1/webhooks/deliveries?status=LOST").statusCode()).isEqualTo(400);
      assertThat(Set.of(s.get("/v1/webhooks/deliveries").statusCode())).containsExactly(200);
    }
  }

  @Test
  void aTenantSigningInThroughItsRelayLinkIsAnItemAuthenticatedWebhook() {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 100);
      ConfigLoader.put(c, "webhooks.url", receiver.url());
      ConfigLoader.put(c, "webhooks.secret", secret);
      ConfigLoader.put(c, "webhooks.events", "item.oauth_pending,item.authenticated");
    })) {
      JsonObject job = new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
          .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
          .put("items", new JsonArray().add(new JsonObject().put("account", "signs-in")));
      String jobId = s.submit(job);
      s.awaitJob(jobId);
      JsonObject pending = awaitDistinct(s, 1).get(0).json();
      assertThat(pending.getString("type")).isEqualTo("item.oauth_pending");
      String link = pending.getJsonObject("data").getJsonObject("oauth").getString("url");
      assertThat(link).as("the relay link, not Cyclr's token").startsWith(s.base() + "/connect/");
      // Connect (a token is minted now), then sign in on Cyclr's page; the watch notices.
      String atCyclr = TestService.await(s.http.requestAbs(io.vertx.core.http.HttpMethod.POST, link)
          .followRedirects(false).send()).getHeader("Location");
      assertThat(TestService.await(s.http.getAbs(atCyclr).followRedirects(false).send()).statusCode()).isEqualTo(302);
      List<WebhookReceiver.Received> got = awaitDistinct(s, 2);
      JsonObject authenticated = got.get(1).json();
      assertThat(got.get(1).signatureValid()).isTrue();
      assertThat(authenticated.getString("type")).isEqualTo("item.authenticated");
      JsonObject data = authenticated.getJsonObject("data");
      assertThat(data.getString("status")).isEqualTo("AUTHENTICATED");
      assertThat(data.getString("account")).isEqualTo("signs-in");
      assertThat(data.getString("jobId")).isEqualTo(jobId);
      assertThat(data.getString("id")).isEqualTo(pending.getJsonObject("data").getString("id"));
    }
  }

  @Test
  void accountsOfATemplateJobNotifyWhenActiveOrLeftForSetUp() {
    try (TestService s = service("account.active,account.setup_required,account.failed")) {
      JsonObject hourly = new JsonObject().put("interval", 60);
      JsonObject active = TestService.apiKeyJob("wa", 2)
          .put("template", new JsonObject().put("id", io.onboarder.emulator.DefaultCatalogue.API_KEY_TEMPLATE))
          .put("activate", hourly);
      JsonObject mapped = TestService.apiKeyJob("wm", 1)
          .put("template", new JsonObject().put("id", io.onboarder.emulator.DefaultCatalogue.MAPPING_TEMPLATE))
          .put("activate", hourly);
      s.awaitJob(s.submit(active));
      s.awaitJob(s.submit(mapped));
      List<WebhookReceiver.Received> got = awaitDistinct(s, 3);
      Map<String, List<JsonObject>> byType = got.stream().map(WebhookReceiver.Received::json)
          .collect(Collectors.groupingBy(j -> j.getString("type")));
      assertThat(byType.keySet()).containsExactlyInAnyOrder("account.active", "account.setup_required");
      assertThat(byType.get("account.active")).extracting(j -> j.getJsonObject("data").getString("account"))
          .containsExactlyInAnyOrder("wa-0001", "wa-0002");
      JsonObject setUp = byType.get("account.setup_required").get(0).getJsonObject("data");
      assertThat(setUp.getString("account")).isEqualTo("wm-0001");
      assertThat(setUp.getJsonArray("prerequisites")).isNotEmpty();
      assertThat(setUp.getString("cycleId")).isNotBlank();
    }
  }
}
