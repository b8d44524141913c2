package io.onboarder.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.emulator.DefaultCatalogue;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Onboarding whole integrations against the emulator: a template's cycle per account, reused or
 * installed once, its prerequisites, activation, sign-in for connectors the template brings, and what
 * the API, the events and Cyclr's counters show.
 */
@ExtendWith(VertxExtension.class)
class TemplateOnboardingTest {
  private static final JsonObject HOURLY = new JsonObject().put("interval", 60);

  /** API-key items into {@code prefix-0001…}, with {@code template} (and {@code activate} if not null). */
  static JsonObject job(String prefix, int n, JsonObject template, JsonObject activate) {
    JsonObject job = TestService.apiKeyJob(prefix, n).put("template", template)
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"));
    if (activate != null) {
      job.put("activate", activate);
    }
    return job;
  }

  static JsonObject byId(String id) {
    return new JsonObject().put("id", id);
  }

  static List<JsonObject> accounts(TestService s, String jobId, String status) {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = s.get("/v1/jobs/" + jobId + "/accounts?limit=2" + (status == null ? "" : "&status=" + status)
          + (cursor == null ? "" : "&cursor=" + cursor)).bodyAsJsonObject();
      page.getJsonArray("items").forEach(o -> all.add((JsonObject) o));
      cursor = page.getString("next");
    } while (cursor != null);
    return all;
  }

  static List<JsonObject> awaitAccounts(TestService s, String jobId, Predicate<List<JsonObject>> done, String what) {
    return s.poll(() -> accounts(s, jobId, null), done, Duration.ofSeconds(60), what);
  }

  static Predicate<List<JsonObject>> all(String status) {
    return list -> !list.isEmpty() && list.stream().allMatch(a -> status.equals(a.getString("status")));
  }

  @Test
  void aTemplateByIdIsInstalledOnceAndActivatedInEveryAccount(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      List<JsonObject> events = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ACCOUNT, m -> events.add(m.body()))
          .completion());
      String id = s.submit(job("k", 5, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY));
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(5);
      List<JsonObject> accounts = accounts(s, id, null);
      assertThat(accounts).extracting(a -> a.getString("account")).containsExactly("k-0001", "k-0002", "k-0003",
          "k-0004", "k-0005");
      assertThat(accounts).allSatisfy(a -> {
        assertThat(a.getString("status")).isEqualTo("ACTIVE");
        assertThat(a.getString("cycleId")).isEqualTo(s.cyclr.cycles(a.getString("account")).get(0).getString("Id"));
        assertThat(a.getJsonArray("prerequisites")).isEmpty();
        assertThat(a.getValue("error")).isNull();
      });
      assertThat(s.cyclr.cycles("k-0003").get(0).getString("Status")).isEqualTo("Active");
      assertThat(s.cyclr.cycles("k-0003").get(0).getInteger("Interval")).isEqualTo(60);
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(5);
      assertThat(s.cyclr.stats().duplicateCycles()).isZero();
      assertThat(s.cyclr.stats().activations()).isEqualTo(5);
      // The template reused each account's connector (installed with its key): nothing was installed twice.
      assertThat(s.cyclr.stats().installs()).isEqualTo(5);
      assertThat(s.cyclr.accountConnectors("k-0002")).hasSize(1);
      s.poll(() -> events.size(), n -> n >= 5, Duration.ofSeconds(5), "account events");
      assertThat(events).allSatisfy(e -> {
        assertThat(e.getString("jobId")).isEqualTo(id);
        assertThat(e.getString("status")).isEqualTo("ACTIVE");
        assertThat(e.getString("cycleId")).isNotNull();
      });
    }
  }

  @Test
  void theJobsEventStreamCarriesItsAccountEventsBeforeItsFinalEventWithAccountCounts(Vertx vertx,
                                                                                    @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(job("sse", 3, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY));
      s.awaitJob(id);
      io.vertx.core.http.HttpClient client = vertx.createHttpClient();
      io.onboarder.support.SseClient sse = io.onboarder.support.SseClient.open(vertx, client,
          s.base() + "/v1/jobs/" + id + "/events", TestService.TOKEN, null, c -> false);
      assertThat(TestService.await(sse.ended())).isEqualTo(200);
      List<io.onboarder.support.SseClient.Event> accounts = sse.events.stream()
          .filter(e -> e.event().equals("account")).toList();
      assertThat(accounts).extracting(e -> e.data().getString("account") + "=" + e.data().getString("status"))
          .containsExactlyInAnyOrder("sse-0001=ACTIVE", "sse-0002=ACTIVE", "sse-0003=ACTIVE");
      assertThat(accounts).allSatisfy(e -> assertThat(e.data().getString("cycleId")).isNotNull());
      io.onboarder.support.SseClient.Event last = sse.events.get(sse.events.size() - 1);
      assertThat(last.event()).isEqualTo("job");
      assertThat(last.data().getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(3);
      assertThat(last.data()).isEqualTo(s.job(id));
      TestService.await(client.close());
    }
  }

  @Test
  void aTemplateByNameIsFoundInTheTemplateListOnceAndInstalledWithoutActivation(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setPageSizeMax(2), c -> { })) {
      String id = s.submit(job("n", 4, new JsonObject().put("name", "Mapped Sync"), null));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      // Without activation the cycle is installed and left paused, whatever its prerequisites.
      List<JsonObject> accounts = accounts(s, id, null);
      assertThat(accounts).extracting(a -> a.getString("status")).containsOnly("SETUP_REQUIRED");
      String named = s.submit(job("m", 3, new JsonObject().put("name", "API Key Sync"), null));
      s.awaitJob(named);
      assertThat(accounts(s, named, "INSTALLED")).hasSize(3);
      assertThat(s.cyclr.cycles("m-0001").get(0).getString("TemplateId")).isEqualTo(DefaultCatalogue.API_KEY_TEMPLATE);
      assertThat(s.cyclr.stats().activations()).isZero();
      // Two names, each resolved once (all pages of a list of three templates, two a page) and cached.
      assertThat(s.cyclr.stats().requests("GET /v1.0/templates")).isEqualTo(4);
    }
  }

  @Test
  void onPostgresqlATemplateJobWithASecondRunEndsTheSameWay(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setDropTemplateInstallRate(0.3), c -> {
      ConfigLoader.put(c, "store.url", io.onboarder.store.SchemaTemplates.postgresDatabaseUrl());
      ConfigLoader.put(c, "store.secretKey", java.util.Base64.getEncoder().encodeToString(new byte[32]));
    })) {
      JsonObject job = job("pg", 12, byId(DefaultCatalogue.MAPPING_TEMPLATE), HOURLY);
      String first = s.submit(job);
      assertThat(s.awaitJob(first).getJsonObject("accounts").getLong("SETUP_REQUIRED")).isEqualTo(12);
      // Half the mappings are made in Cyclr; the same job again activates those and installs nothing.
      for (int i = 1; i <= 6; i++) {
        s.cyclr.completeSetup(String.format("pg-%04d", i));
      }
      String second = s.submit(job);
      JsonObject done = s.awaitJob(second);
      assertThat(done.getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(6);
      assertThat(done.getJsonObject("accounts").getLong("SETUP_REQUIRED")).isEqualTo(6);
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(12);
      assertThat(s.cyclr.stats().duplicateCycles()).isZero();
    }
  }

  @Test
  void aCsvTenantListTakesItsTemplateAndActivationFromTheQuery(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String csv = "account,authValue\ncsv-1,key-1\ncsv-2,key-2\ncsv-2,key-2b\n";
      HttpResponse<Buffer> r = TestService.await(s.http.postAbs(s.base() + "/v1/jobs?connectorId=1&templateName="
              + "API%20Key%20Sync&activateInterval=1440").bearerTokenAuthentication(TestService.TOKEN)
          .putHeader("Content-Type", "text/csv").sendBuffer(Buffer.buffer(csv)));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
      assertThat(r.bodyAsJsonObject().getJsonObject("accounts").getLong("WAITING")).isEqualTo(2);
      String id = r.bodyAsJsonObject().getString("id");
      assertThat(s.awaitJob(id).getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(2);
      assertThat(s.cyclr.cycles("csv-2").get(0).getInteger("Interval")).isEqualTo(1440);
      HttpResponse<Buffer> bad = TestService.await(s.http.postAbs(s.base() + "/v1/jobs?connectorId=1&templateId=t"
              + "&activateInterval=7").bearerTokenAuthentication(TestService.TOKEN)
          .putHeader("Content-Type", "text/csv").sendBuffer(Buffer.buffer(csv)));
      assertThat(bad.statusCode()).isEqualTo(422);
      assertThat(bad.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("pointer"))
          .isEqualTo("/activate/interval");
    }
  }

  @Test
  void anUnknownTemplateFailsItsAccountsWithAClearCode(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String byId = s.submit(job("u", 2, byId("no-such-template"), HOURLY));
      JsonObject done = s.awaitJob(byId);
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(accounts(s, byId, "FAILED")).hasSize(2).allSatisfy(a -> {
        assertThat(a.getJsonObject("error").getString("code")).isEqualTo("TEMPLATE_NOT_FOUND");
        assertThat(a.getJsonObject("error").getInteger("httpStatus")).isEqualTo(404);
      });
      String byName = s.submit(job("v", 1, new JsonObject().put("name", "Nonesuch"), null));
      s.awaitJob(byName);
      assertThat(accounts(s, byName, "FAILED").get(0).getJsonObject("error").getString("message"))
          .contains("No template named 'Nonesuch'");
      assertThat(s.cyclr.stats().cyclesInstalled()).isZero();
    }
  }

  @Test
  void aMissingMappingEndsInSetupRequiredWithCyclrsReasonsAndRetryRechecksIt(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(job("map", 2, byId(DefaultCatalogue.MAPPING_TEMPLATE), HOURLY));
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).as("set-up left to a person is not an error").isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("accounts").getLong("SETUP_REQUIRED")).isEqualTo(2);
      JsonObject account = accounts(s, id, "SETUP_REQUIRED").get(0);
      JsonObject reason = account.getJsonArray("prerequisites").getJsonObject(0);
      assertThat(reason.getLong("code")).isEqualTo(40);
      assertThat(reason.getString("reason")).isEqualTo("Field 'Email' of step 'Create Contact' needs a mapping.");
      assertThat(reason.getString("objectType")).isEqualTo("StepField");
      assertThat(reason.getString("objectId")).isNotBlank();
      assertThat(s.cyclr.stats().activations()).isZero();

      // Someone finishes the mappings of one account in Cyclr; a retry checks both again.
      s.cyclr.completeSetup("map-0001");
      assertThat(s.post("/v1/jobs/" + id + "/retry", null).statusCode()).isEqualTo(200);
      JsonObject again = s.awaitJob(id);
      assertThat(again.getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(1);
      assertThat(accounts(s, id, "ACTIVE")).extracting(a -> a.getString("account")).containsExactly("map-0001");
      assertThat(accounts(s, id, "SETUP_REQUIRED")).extracting(a -> a.getString("account"))
          .containsExactly("map-0002");
      assertThat(s.cyclr.stats().cyclesInstalled()).as("the retry reused the cycles").isEqualTo(2);
      assertThat(s.cyclr.stats().activations()).isEqualTo(1);
    }
  }

  @Test
  void aConnectorTheTemplateBringsIsSignedInLikeAnItemAndTheAccountTurnsActiveWhenTheTenantSignsInLater(Vertx vertx,
                                                                                                    @TempDir Path dir) {
    // Time runs fast: the sign-in watch polls first after 20 ms, then backs off.
    try (TestService s = TestService.start(vertx, dir, e -> { },
        c -> ConfigLoader.put(c, "oauth.watchIntervalMs", 20))) {
      List<JsonObject> links = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> links.add(m.body()))
          .completion());
      String id = s.submit(job("o", 2, byId(DefaultCatalogue.OAUTH_TEMPLATE), HOURLY));
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).as("a sign-in does not hold the job").isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("accounts").getLong("WAITING")).isEqualTo(2);
      // The Salesforce connector the template brought is a sign-in item of the job, like an installed one.
      assertThat(done.getLong("total")).isEqualTo(4);
      assertThat(done.getJsonObject("counts").getLong("OAUTH_PENDING")).isEqualTo(2);
      JsonObject waiting = accounts(s, id, null).get(0);
      assertThat(waiting.getJsonArray("prerequisites").getJsonObject(0).getLong("code")).isEqualTo(20);
      JsonObject signIn = waiting.getJsonArray("signIns").getJsonObject(0);
      assertThat(signIn.getString("connectorName")).isEqualTo("Salesforce");
      JsonObject item = s.items(id, "OAUTH_PENDING").stream().filter(i -> i.getString("account").equals("o-0001"))
          .findFirst().orElseThrow();
      assertThat(item.getString("id")).isEqualTo(signIn.getString("itemId"));
      assertThat(item.getString("cycleId")).isEqualTo(waiting.getString("cycleId"));
      assertThat(item.getLong("accountConnectorId")).isEqualTo(signIn.getLong("accountConnectorId"));
      String url = item.getJsonObject("oauth").getString("url");
      assertThat(url).startsWith(s.cyclr.apiUrl() + "/web/connector/updateaccountconnectoroauth?id="
          + signIn.getLong("accountConnectorId"));
      s.poll(() -> links.size(), n -> n == 2, Duration.ofSeconds(5), "two sign-in links");
      JsonObject event = links.stream().filter(l -> l.getString("account").equals("o-0001")).findFirst().orElseThrow();
      assertThat(event.getString("jobId")).isEqualTo(id);
      assertThat(event.getString("itemId")).isEqualTo(item.getString("id"));
      assertThat(event.getString("url")).isEqualTo(url);

      // "A day later": the sign-in watch has polled again and again (backing off), and sent no second link.
      s.poll(() -> s.cyclr.stats().requests("GET /v1.0/account/connectors/{id}"), n -> n >= 12,
          Duration.ofSeconds(30), "the sign-in watch to poll half a dozen times per tenant");
      HttpResponse<Buffer> page = TestService.await(s.http.getAbs(url).followRedirects(false).send());
      assertThat(page.statusCode()).isEqualTo(302);
      List<JsonObject> after = awaitAccounts(s, id, list -> list.stream().anyMatch(a -> a.getString("status")
          .equals("ACTIVE")), "o-0001 to turn ACTIVE");
      assertThat(after).extracting(a -> a.getString("account") + "=" + a.getString("status"))
          .containsExactly("o-0001=ACTIVE", "o-0002=WAITING");
      assertThat(s.items(id, "AUTHENTICATED")).extracting(i -> i.getString("account")).containsExactly("o-0001");
      assertThat(s.job(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.cyclr.stats().activations()).isEqualTo(1);
      assertThat(s.cyclr.stats().signInTokensIssued()).as("one link per connector, not per check").isEqualTo(2);
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(2);
    }
  }

  @Test
  void withRelayLinksATemplatesSignInGetsOneAndTheTenantsReturnActivatesTheCycleAtOnce(Vertx vertx,
                                                                                       @TempDir Path dir) {
    // The watch's first poll is ten minutes away: only the tenant's return through /done can notice the sign-in.
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
    })) {
      String id = s.submit(job("r", 1, byId(DefaultCatalogue.OAUTH_TEMPLATE), HOURLY));
      s.awaitJob(id);
      JsonObject item = s.items(id, "OAUTH_PENDING").get(0);
      String link = item.getJsonObject("oauth").getString("url");
      assertThat(link).matches("http://127\\.0\\.0\\.1:\\d+/connect/[A-Za-z0-9_-]{43}");
      assertThat(s.cyclr.stats().signInTokensIssued()).as("no Cyclr token minted before Connect").isZero();
      HttpResponse<Buffer> connect = TestService.await(s.http.postAbs(link).followRedirects(false).send());
      assertThat(connect.statusCode()).isEqualTo(303);
      HttpResponse<Buffer> atCyclr = TestService.await(s.http.getAbs(connect.getHeader("Location"))
          .followRedirects(false).send());
      assertThat(atCyclr.getHeader("Location")).isEqualTo(link + "/done");
      assertThat(TestService.await(s.http.getAbs(link + "/done").followRedirects(false).send()).statusCode())
          .isEqualTo(303);
      awaitAccounts(s, id, all("ACTIVE"), "r-0001 to turn ACTIVE once back");
      assertThat(s.cyclr.stats().activations()).isEqualTo(1);
    }
  }

  @Test
  void aTemplateConnectorThatNeedsCredentialsIsLeftForSetUp(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      // The template brings the Basic connector, whose credentials the job did not give.
      String template = s.cyclr.addTemplate(new JsonObject().put("Name", "Needs Basic")
          .put("Connectors", new JsonArray().add(1).add(3))).getString("Id");
      String id = s.submit(job("cred", 1, byId(template), HOURLY));
      s.awaitJob(id);
      JsonObject account = accounts(s, id, null).get(0);
      assertThat(account.getString("status")).isEqualTo("SETUP_REQUIRED");
      assertThat(account.getJsonArray("prerequisites").getJsonObject(0).getLong("code")).isEqualTo(20);
      assertThat(account.getJsonArray("signIns")).as("no OAuth page can take a password").isEmpty();
      assertThat(s.cyclr.stats().signInTokensIssued()).isZero();
    }
  }

  @Test
  void theSameJobAgainInstallsNoSecondCycleAndChangesNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = job("again", 6, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY);
      s.awaitJob(s.submit(job));
      long requests = s.cyclr.stats().requests();
      java.util.Map<String, Long> before = s.cyclr.stats().requestsByRoute();
      String second = s.submit(job);
      JsonObject done = s.awaitJob(second);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("counts").getLong("ALREADY_INSTALLED")).isEqualTo(6);
      assertThat(done.getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(6);
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(6);
      assertThat(s.cyclr.stats().activations()).isEqualTo(6);
      // Per account: the list of its connectors and the list of its cycles, nothing else.
      assertThat(s.cyclr.stats().requests() - requests).as(before + " -> " + s.cyclr.stats().requestsByRoute())
          .isEqualTo(12);
    }
  }

  @Test
  void aLostTemplateInstallAnswerIsCheckedAndNeverSentTwice(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setDropTemplateInstallRate(1.0), c -> { })) {
      String id = s.submit(job("lost", 3, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY));
      JsonObject done = s.awaitJob(id);
      assertThat(done.getJsonObject("accounts").getLong("ACTIVE")).isEqualTo(3);
      assertThat(s.cyclr.stats().dropsInjected()).isEqualTo(3);
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(3);
      assertThat(s.cyclr.stats().duplicateCycles()).isZero();
      assertThat(s.cyclr.stats().requests("POST /v1.0/templates/{id}/install")).isEqualTo(3);
    }
  }

  @Test
  void anAccountWithAFailedItemDoesNotGetTheTemplate(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = job("f", 2, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY);
      // f-0002's second item is a draft connector: it fails.
      job.getJsonArray("items").add(new JsonObject().put("account", "f-0002")
          .put("connector", new JsonObject().put("id", 5)));
      String id = s.submit(job);
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(accounts(s, id, null)).extracting(a -> a.getString("account") + "=" + a.getString("status"))
          .containsExactly("f-0001=ACTIVE", "f-0002=FAILED");
      assertThat(accounts(s, id, "FAILED").get(0).getJsonObject("error").getString("code")).isEqualTo("ITEM_FAILED");
      assertThat(s.cyclr.cycles("f-0002")).isEmpty();
    }
  }

  @Test
  void aDryRunReportsWhatWouldHappenPerAccountAndChangesNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = job("dry", 2, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY);
      job.put("options", new JsonObject().put("dryRun", true));
      String id = s.submit(job);
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(accounts(s, id, null)).allSatisfy(a -> {
        assertThat(a.getString("status")).isEqualTo("WAITING");
        assertThat(a.getJsonObject("error").getString("code")).isEqualTo("DRY_RUN");
        assertThat(a.getJsonObject("error").getString("message")).contains("would install template")
            .contains("activate it every 60 min");
      });
      assertThat(s.cyclr.stats().cyclesInstalled()).isZero();
      assertThat(s.cyclr.stats().installs()).isZero();

      JsonObject missing = job("dry", 1, byId("no-such-template"), null)
          .put("options", new JsonObject().put("dryRun", true));
      String bad = s.submit(missing);
      s.awaitJob(bad);
      assertThat(accounts(s, bad, null).get(0).getJsonObject("error").getString("code"))
          .isEqualTo("TEMPLATE_NOT_FOUND");
    }
  }

  @Test
  void aCancelledJobInstallsNoTemplateInAccountsNotStarted(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(30), c -> { })) {
      String id = s.submit(job("c", 40, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY));
      s.poll(() -> s.cyclr.stats().cyclesInstalled(), n -> n >= 1, Duration.ofSeconds(30), "a first cycle");
      assertThat(s.post("/v1/jobs/" + id + "/cancel", null).statusCode()).isEqualTo(200);
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).isEqualTo("CANCELLED");
      long cycles = s.cyclr.stats().cyclesInstalled();
      List<JsonObject> accounts = accounts(s, id, null);
      // Every cycle Cyclr made is reported; the rest never started.
      assertThat(accounts.stream().filter(a -> a.getString("cycleId") != null).count()).isEqualTo(cycles);
      assertThat(cycles).isLessThan(40);
      assertThat(accounts).filteredOn(a -> a.getString("cycleId") == null).allSatisfy(a -> {
        assertThat(a.getString("status")).isEqualTo("WAITING");
        assertThat(a.getJsonObject("error").getString("code")).isEqualTo("CANCELLED");
      });
      assertThat(s.cyclr.stats().duplicateCycles()).isZero();
    }
  }

  @Test
  void aJobStoppedByItsFailurePolicyAndRetriedOnboardsTheAccountsOfItsRetriedItems(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), c -> { })) {
      s.cyclr.addAccount("stop-0001", "Exists");
      JsonObject job = job("stop", 2, byId(DefaultCatalogue.API_KEY_TEMPLATE), HOURLY)
          .put("options", new JsonObject().put("toleratedFailurePercent", 0));
      String id = s.submit(job);
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      assertThat(s.cyclr.cycles("stop-0002")).isEmpty();
      // The missing account is created; the retry runs its item again, then its account step.
      s.cyclr.addAccount("stop-0002", "Created later");
      assertThat(s.post("/v1/jobs/" + id + "/retry", null).statusCode()).isEqualTo(200);
      List<JsonObject> after = awaitAccounts(s, id, list -> list.stream().anyMatch(a -> a.getString("account")
          .equals("stop-0002") && a.getString("status").equals("ACTIVE")), "stop-0002 to turn ACTIVE");
      assertThat(after).extracting(a -> a.getString("status")).doesNotContain("FAILED");
      assertThat(s.awaitJob(id).getString("status")).isIn("SUCCEEDED", "COMPLETED_WITH_ERRORS");
      assertThat(s.cyclr.stats().duplicateCycles()).isZero();
    }
  }

  @Test
  void theAccountsRouteChecksItsQueryAndAnswersOnlyForKnownJobs(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(TestService.apiKeyJob("plain", 1));
      s.awaitJob(id);
      assertThat(s.get("/v1/jobs/" + id + "/accounts").bodyAsJsonObject().getJsonArray("items"))
          .as("a job without a template has no accounts").isEmpty();
      assertThat(s.job(id).containsKey("accounts")).isFalse();
      assertThat(s.get("/v1/jobs/" + id + "/accounts?status=active").statusCode()).isEqualTo(400);
      assertThat(s.get("/v1/jobs/" + id + "/accounts?limit=0").statusCode()).isEqualTo(400);
      assertThat(s.get("/v1/jobs/" + id + "/accounts?cursor=abc").statusCode()).isEqualTo(400);
      assertThat(s.get("/v1/jobs/no-such-job/accounts").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void anAccountWhoseOauthItemWaitsForASignInGetsItsTemplateOnceTheTenantSignsIn(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { },
        c -> ConfigLoader.put(c, "oauth.watchIntervalMs", 20))) {
      String template = s.cyclr.addTemplate(new JsonObject().put("Name", "Salesforce Only")
          .put("Connectors", new JsonArray().add(2))).getString("Id");
      JsonObject job = new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
          .put("template", byId(template)).put("activate", HOURLY)
          .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
          .put("items", new JsonArray().add(new JsonObject().put("account", "sf-1")));
      String id = s.submit(job);
      JsonObject done = s.awaitJob(id);
      assertThat(done.getString("status")).as("the sign-in does not hold the job").isEqualTo("SUCCEEDED");
      assertThat(accounts(s, id, null)).extracting(a -> a.getString("status")).containsExactly("WAITING");
      assertThat(s.cyclr.cycles("sf-1")).as("no template before the tenant signed in").isEmpty();
      // The sign-in watch of items (item status AUTHENTICATED) is what moves such an account on.
      assertThat(io.onboarder.job.AccountReadiness.READY).contains("AUTHENTICATED");
      String url = s.items(id, null).get(0).getJsonObject("oauth").getString("url");
      TestService.await(s.http.getAbs(url).followRedirects(false).send());
      awaitAccounts(s, id, all("ACTIVE"), "sf-1 to turn ACTIVE once signed in");
      assertThat(s.cyclr.stats().cyclesInstalled()).isEqualTo(1);
      assertThat(s.cyclr.stats().activations()).isEqualTo(1);
    }
  }
}
