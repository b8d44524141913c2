package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** End-to-end onboarding against the emulator: what the API answers and what Cyclr saw. */
@ExtendWith(VertxExtension.class)
class OnboardingTest {

  private static JsonObject job(JsonObject connector, JsonArray items) {
    return new JsonObject().put("connector", connector)
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("items", items);
  }

  private static JsonArray accounts(String... names) {
    JsonArray a = new JsonArray();
    for (String n : names) {
      a.add(new JsonObject().put("account", n));
    }
    return a;
  }

  @Test
  void installsApiKeyConnectorIntoEveryAccountOnce(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(TestService.apiKeyJob("t", 30));
      JsonObject job = s.awaitJob(id);
      assertThat(job.getString("status")).as(s.items(id, null).toString()).isEqualTo("SUCCEEDED");
      assertThat(job.getJsonObject("counts").getLong("INSTALLED")).isEqualTo(30);
      assertThat(job.getString("finishedAt")).isNotNull();
      assertThat(s.cyclr.stats().installs()).isEqualTo(30);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      assertThat(s.cyclr.accountConnectors("t-0007")).hasSize(1);
    }
  }

  @Test
  void installsBasicConnectorWithEncodedCredentials(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String basic = Base64.getEncoder().encodeToString("user:pa55".getBytes(StandardCharsets.UTF_8));
      JsonArray items = new JsonArray().add(new JsonObject().put("account", "b-1").put("authValue", basic));
      String id = s.submit(job(new JsonObject().put("id", 3), items));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      List<JsonObject> installed = s.cyclr.accountConnectors("b-1");
      assertThat(installed).hasSize(1);
      assertThat(installed.get(0).getJsonObject("Connector").getLong("Id")).isEqualTo(3L);
      assertThat(installed.get(0).getBoolean("Authenticated")).isTrue();
    }
  }

  @Test
  void resubmittedJobInstallsNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = TestService.apiKeyJob("again", 10);
      s.awaitJob(s.submit(job));
      String second = s.submit(job);
      JsonObject done = s.awaitJob(second);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("counts").getLong("ALREADY_INSTALLED")).isEqualTo(10);
      assertThat(s.cyclr.stats().installs()).isEqualTo(10);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"account-tokens", "signintoken"})
  void oauthInstallPublishesSignInLinkThatCyclrAcceptsOnce(String mode, Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { },
        c -> ConfigLoader.put(c, "cyclr.signInMode", mode))) {
      JsonObject body = job(new JsonObject().put("name", "Salesforce"), accounts("o-1", "o-2"));
      body.getJsonObject("oauth").put("callbackMessage", "done & dusted");
      String id = s.submit(body);
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      List<JsonObject> items = s.items(id, "OAUTH_PENDING");
      assertThat(items).hasSize(2);
      String url = items.get(0).getJsonObject("oauth").getString("url");
      String expectedPath = mode.equals("signintoken") ? "/connectorauth/updateaccountconnectoroauth?"
          : "/web/connector/updateaccountconnectoroauth?";
      assertThat(url).startsWith(s.cyclr.apiUrl() + expectedPath)
          .contains("targetOrigin=https%3A%2F%2Fapp.example.com").contains("callbackMessage=done%20%26%20dusted");
      assertThat(items.get(0).getJsonObject("oauth").getString("expiresAt")).isNotNull();

      HttpResponse<Buffer> page = TestService.await(s.http.getAbs(url).followRedirects(false).send());
      assertThat(page.statusCode()).isEqualTo(200); // callbackMessage → postMessage page
      String account = items.get(0).getString("account");
      assertThat(s.cyclr.accountConnectors(account).get(0).getBoolean("Authenticated")).isTrue();
      HttpResponse<Buffer> reused = TestService.await(s.http.getAbs(url).followRedirects(false).send());
      assertThat(reused.statusCode()).isEqualTo(403);
    }
  }

  @Test
  void signedInAccountIsNotAskedAgainButOthersGetFreshLinks(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject body = job(new JsonObject().put("id", 2), accounts("s-1", "s-2"));
      String first = s.submit(body);
      s.awaitJob(first);
      String url = s.items(first, null).stream().filter(i -> i.getString("account").equals("s-1")).findFirst()
          .orElseThrow().getJsonObject("oauth").getString("url");
      assertThat(TestService.await(s.http.getAbs(url).followRedirects(false).send()).statusCode()).isEqualTo(302);
      String second = s.submit(body);
      s.awaitJob(second);
      List<JsonObject> items = s.items(second, null);
      assertThat(items).extracting(i -> i.getString("account") + "=" + i.getString("status"))
          .containsExactlyInAnyOrder("s-1=ALREADY_INSTALLED", "s-2=OAUTH_PENDING");
      assertThat(s.cyclr.stats().installs()).isEqualTo(2);
    }
  }

  @Test
  void clientCredentialsOauthConnectorNeedsNoSignInLink(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 7))
          .put("items", accounts("cc-1")));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      JsonObject item = s.items(id, null).get(0);
      assertThat(item.getString("status")).isEqualTo("INSTALLED");
      assertThat(item.getValue("oauth")).isNull();
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();
    }
  }

  @Test
  void resolvesConnectorByNameAndVersion(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonArray items = new JsonArray()
          .add(new JsonObject().put("account", "n-1").put("authValue", "k1")
              .put("connector", new JsonObject().put("name", "Example Connector").put("version", "1.0")))
          .add(new JsonObject().put("account", "n-2").put("authValue", "k2")
              .put("connector", new JsonObject().put("name", "example connector")));
      String id = s.submit(new JsonObject().put("items", items));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      List<JsonObject> done = s.items(id, null);
      // Without a version the highest approved version wins.
      assertThat(done).extracting(i -> i.getString("account") + ":" + i.getLong("connectorId"))
          .containsExactly("n-1:1", "n-2:6");
    }
  }

  @Test
  void createsMissingAccountsOnlyWhenAsked(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), c -> { })) {
      s.cyclr.addAccount("exists", "Exists");
      JsonObject withCreate = TestService.apiKeyJob("new", 3)
          .put("options", new JsonObject().put("createAccounts", true));
      withCreate.getJsonArray("items").add(new JsonObject().put("account", "exists").put("authValue", "k"));
      String id = s.submit(withCreate);
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.hasAccount("new-0001")).isTrue();
      assertThat(s.cyclr.accountConnectors("exists")).hasSize(1);

      String without = s.submit(TestService.apiKeyJob("missing", 1));
      assertThat(s.awaitJob(without).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      JsonObject failed = s.items(without, "FAILED").get(0);
      assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("CYCLR_4XX");
      assertThat(s.cyclr.hasAccount("missing-0001")).isFalse();
    }
  }

  @Test
  void accountIdsThatCannotTravelInAHeaderAreRejected(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", 1))
          .put("items", new JsonArray().add(new JsonObject().put("account", "租户-1")));
      HttpResponse<Buffer> r = s.post("/v1/jobs", job);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("pointer"))
          .isEqualTo("/items/0/account");
      assertThat(s.cyclr.stats().requests()).isZero();
    }
  }

  @Test
  void oneMissingAccountDoesNotFailTheOthersConnectorLookups(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), c -> { })) {
      JsonArray items = new JsonArray().add(new JsonObject().put("account", "missing").put("authValue", "k"));
      for (int i = 0; i < 8; i++) {
        s.cyclr.addAccount("ok-" + i, "OK " + i);
        items.add(new JsonObject().put("account", "ok-" + i).put("authValue", "k" + i));
      }
      for (JsonObject connector : List.of(new JsonObject().put("id", 1),
          new JsonObject().put("name", "Example Connector").put("version", "1.0"))) {
        String id = s.submit(new JsonObject().put("connector", connector).put("items", items.copy()));
        s.awaitJob(id);
        List<JsonObject> failed = s.items(id, "FAILED");
        assertThat(failed).extracting(i -> i.getString("account")).containsExactly("missing");
        assertThat(failed.get(0).getJsonObject("error").getString("code")).isNotEqualTo("CONNECTOR_NOT_FOUND");
      }
      assertThat(s.cyclr.stats().installs()).isEqualTo(8);
    }
  }

  @Test
  void cyclrRejectionFailsTheItemWithoutRetry(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonArray items = new JsonArray().add(new JsonObject().put("account", "p-1").put("authValue", "k")
          .put("properties", new JsonArray().add(new JsonObject().put("name", "Nope").put("value", "x"))));
      String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      JsonObject item = s.items(id, null).get(0);
      assertThat(item.getString("status")).isEqualTo("FAILED");
      assertThat(item.getJsonObject("error").getString("message"))
          .isEqualTo("There is not a connector property that matches name 'Nope'.");
      assertThat(item.getJsonObject("error").getInteger("httpStatus")).isEqualTo(400);
      assertThat(s.cyclr.stats().requests("POST /v1.0/connectors/{id}/install")).isEqualTo(1);
    }
  }

  @Test
  void unknownOrDraftConnectorsFailBeforeAnyInstall(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonArray items = new JsonArray()
          .add(new JsonObject().put("account", "u-1").put("connector", new JsonObject().put("id", 999)))
          .add(new JsonObject().put("account", "u-2").put("connector", new JsonObject().put("id", 5)))
          .add(new JsonObject().put("account", "u-3").put("connector", new JsonObject().put("name", "Nonesuch")));
      String id = s.submit(new JsonObject().put("items", items));
      s.awaitJob(id);
      assertThat(s.items(id, null)).extracting(i -> i.getJsonObject("error").getString("code"))
          .containsExactly("CONNECTOR_NOT_FOUND", "CONNECTOR_NOT_INSTALLABLE", "CONNECTOR_NOT_FOUND");
      assertThat(s.cyclr.stats().installs()).isZero();
    }
  }

  @Test
  void oauthConnectorWithoutTargetOriginIsNotInstalled(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 4))
          .put("items", accounts("x-1")));
      s.awaitJob(id);
      assertThat(s.items(id, null).get(0).getJsonObject("error").getString("code"))
          .isEqualTo("TARGET_ORIGIN_REQUIRED");
      assertThat(s.cyclr.stats().installs()).isZero();
    }
  }

  @Test
  void dryRunInstallsNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      s.awaitJob(s.submit(TestService.apiKeyJob("d", 1)));
      JsonObject dry = TestService.apiKeyJob("d", 3).put("options", new JsonObject().put("dryRun", true));
      String id = s.submit(dry);
      assertThat(s.awaitJob(id).getJsonObject("counts").getLong("ALREADY_INSTALLED")).isEqualTo(1);
      assertThat(s.items(id, "CANCELLED")).extracting(i -> i.getJsonObject("error").getString("code"))
          .containsOnly("DRY_RUN").hasSize(2);
      assertThat(s.cyclr.stats().installs()).isEqualTo(1);
    }
  }

  @Test
  void jobSubmittedOnEventBusPublishesOauthAndItemEvents(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      List<JsonObject> oauth = new CopyOnWriteArrayList<>();
      List<JsonObject> itemEvents = new CopyOnWriteArrayList<>();
      List<JsonObject> jobEvents = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> oauth.add(m.body()))
          .completion());
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> itemEvents.add(m.body()))
          .completion());
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_JOB, m -> jobEvents.add(m.body()))
          .completion());
      JsonObject body = job(new JsonObject().put("id", 2), accounts("eb-1", "eb-2"))
          .put("idempotencyKey", "eb-key");
      Message<JsonObject> reply = TestService.await(vertx.eventBus().request(Addresses.JOBS_SUBMIT, body));
      String id = reply.body().getString("id");
      assertThat(reply.body().getInteger("total")).isEqualTo(2);
      s.poll(() -> oauth.size(), n -> n == 2, Duration.ofSeconds(20), "two oauth events");
      JsonObject e = oauth.stream().filter(o -> o.getString("account").equals("eb-1")).findFirst().orElseThrow();
      assertThat(e.getString("jobId")).isEqualTo(id);
      assertThat(e.getLong("connectorId")).isEqualTo(2L);
      assertThat(e.getString("connectorName")).isEqualTo("Salesforce");
      assertThat(e.getLong("accountConnectorId")).isNotNull();
      assertThat(e.getString("url")).contains("id=" + e.getLong("accountConnectorId"));
      assertThat(e.getString("expiresAt")).isNotNull();
      assertThat(e.getString("itemId")).isNotNull();
      s.poll(() -> jobEvents.stream().anyMatch(j -> j.getString("status").equals("SUCCEEDED")), b -> b,
          Duration.ofSeconds(20), "job SUCCEEDED event");
      assertThat(itemEvents).extracting(i -> i.getString("status")).contains("RUNNING", "OAUTH_PENDING");
      // The same key and body again is the same job.
      Message<JsonObject> again = TestService.await(vertx.eventBus().request(Addresses.JOBS_SUBMIT, body));
      assertThat(again.body().getString("id")).isEqualTo(id);
      Message<JsonObject> got = TestService.await(vertx.eventBus().request(Addresses.JOBS_GET,
          new JsonObject().put("id", id)));
      assertThat(got.body().getString("status")).isEqualTo("SUCCEEDED");
    }
  }
}
