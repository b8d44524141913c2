package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static io.onboarder.fleet.FleetClient.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.emulator.TenantChanges;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet end to end against the emulator (docs/fleets.md): the plan shows what is missing and changes
 * nothing; the apply runs in the rollout's steps as ordinary jobs with {@code fleet} and {@code step};
 * drift made behind the service's back (an install deleted, a grant revoked) is planned and repaired;
 * a stale plan is refused; a step over the failure threshold halts the fleet, and resume goes on; a fleet's
 * sign-in funnel sums its steps' relay links.
 */
class FleetApplyTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static FleetClient api;
  static TenantChanges changes;
  static final List<JsonObject> fleetEvents = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    // Accounts are not created by use: a tenant whose account is missing fails its install. Relay links on
    // (PUBLIC_URL): OAuth tenants get one; API-key tenants are not affected.
    s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), TestService::relayLinks);
    api = new FleetClient(s, TestService.TOKEN);
    changes = TenantChanges.at(vertx, s.cyclr);
    vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_FLEET, m -> fleetEvents.add(m.body()));
  }

  @AfterAll
  static void stop() {
    changes.close();
    s.close();
    TestService.await(vertx.close());
  }

  static JsonObject fleet(String prefix, int n) {
    IntStream.range(0, n).forEach(i -> s.cyclr.addAccount(String.format("%s%03d", prefix, i), "Tenant " + i));
    JsonArray tenants = new JsonArray();
    IntStream.range(0, n).forEach(i -> tenants.add(new JsonObject().put("account", String.format("%s%03d", prefix, i))
        .put("authValue", "key-" + i)));
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants)
        .put("policy", new JsonObject().put("rollout", new JsonObject().put("pauseSeconds", 0)));
  }

  static JsonObject plan(String name) {
    return json(api.post("/v1/fleets/" + name + "/plan", null), 200);
  }

  static JsonObject awaitStatus(String name, String status) {
    return s.poll(() -> json(api.get("/v1/fleets/" + name), 200), f -> f.getString("status").equals(status),
        Duration.ofSeconds(30), name + " " + status);
  }

  static List<JsonObject> actions(String name, String planId, String action) {
    return json(api.get("/v1/fleets/" + name + "/plans/" + planId + "/actions?limit=200"
        + (action == null ? "" : "&action=" + action)), 200).getJsonArray("items").stream()
        .map(o -> (JsonObject) o).toList();
  }

  @Test
  void planShowsInstallsApplyRunsInThreeStepsAndDriftIsRepaired() {
    json(api.put("rollout", fleet("r-", 200)), 201);
    JsonObject plan = plan("rollout");
    assertThat(plan.getJsonObject("summary").getLong("INSTALL")).isEqualTo(200);
    assertThat(plan.getLong("generation")).isEqualTo(1);
    assertThat(s.cyclr.accountConnectors("r-000")).as("a plan changes nothing at Cyclr").isEmpty();
    assertThat(actions("rollout", plan.getString("planId"), "INSTALL")).hasSize(200)
        .allSatisfy(a -> assertThat(a.getString("reason")).isEqualTo("not installed"));
    HttpResponse<Buffer> csv = api.send(HttpMethod.GET, "/v1/fleets/rollout/plans/" + plan.getString("planId")
        + "/actions", null, null, "Accept", "text/csv");
    assertThat(csv.bodyAsString().split("\r\n")).hasSize(201).contains("r-007,INSTALL,not installed,");

    JsonObject applied = json(api.post("/v1/fleets/rollout/apply", new JsonObject()
        .put("planId", plan.getString("planId"))), 202);
    assertThat(applied.getJsonArray("jobIds")).as("the first step starts at once").hasSize(1);
    JsonObject done = awaitStatus("rollout", "CONVERGED");
    assertThat(done.getLong("appliedGeneration")).isEqualTo(1);
    assertThat(done.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(200);

    List<JsonObject> lines = actions("rollout", plan.getString("planId"), null);
    List<String> jobs = lines.stream().map(l -> l.getString("jobId")).distinct().toList();
    assertThat(jobs).hasSize(3);
    int[] sizes = new int[3];
    for (int step = 1; step <= 3; step++) {
      JsonObject job = json(api.get("/v1/jobs/" + jobs.get(step - 1)), 200);
      assertThat(job.getString("fleet")).isEqualTo("rollout");
      assertThat(job.getInteger("step")).isEqualTo(step);
      assertThat(job.getString("status")).isEqualTo("SUCCEEDED");
      sizes[step - 1] = job.getInteger("total");
    }
    assertThat(sizes).as("1 %, 10 %, 100 % of 200").containsExactly(2, 18, 180);
    IntStream.range(0, 200).forEach(i -> assertThat(s.cyclr.accountConnectors(String.format("r-%03d", i)))
        .as("exactly one install").hasSize(1));
    problem(api.post("/v1/fleets/rollout/apply", new JsonObject().put("planId", plan.getString("planId"))), 409);

    // Nothing changed: a new plan has nothing to do.
    assertThat(plan("rollout").getJsonObject("summary").getLong("NONE")).isEqualTo(200);

    // Behind the service's back: an install deleted, a grant revoked.
    long deleted = s.cyclr.accountConnectors("r-005").get(0).getLong("Id");
    long revoked = s.cyclr.accountConnectors("r-007").get(0).getLong("Id");
    TestService.await(changes.deleteInstall("r-005", deleted));
    TestService.await(changes.deauthenticate("r-007", revoked));
    JsonObject drift = plan("rollout");
    assertThat(drift.getJsonObject("summary").getLong("REINSTALL")).isEqualTo(1);
    // r-007 is an API-key tenant: no sign-in can repair it, so no relink; it waits for new credentials
    // (FleetCredentialsTest), its drift recorded. A tenant that signs in is relinked (PlannerTest, the demo).
    assertThat(drift.getJsonObject("summary").getLong("RELINK")).isZero();
    JsonObject reinstall = actions("rollout", drift.getString("planId"), "REINSTALL").get(0);
    assertThat(reinstall.getString("account")).isEqualTo("r-005");
    assertThat(reinstall.getString("drift")).isEqualTo("CONNECTOR_MISSING");
    JsonObject refused = actions("rollout", drift.getString("planId"), "NONE").stream()
        .filter(a -> a.getString("account").equals("r-007")).findFirst().orElseThrow();
    assertThat(refused.getString("reason")).isEqualTo("credentials refused: supply a new authValue");
    assertThat(refused.getString("drift")).isEqualTo("DEAUTHENTICATED");
    assertThat(json(api.get("/v1/fleets/rollout/tenants?state=DRIFTED"), 200).getJsonArray("items")).hasSize(2);

    json(api.post("/v1/fleets/rollout/apply", null), 202);
    awaitStatus("rollout", "CONVERGED");
    assertThat(s.cyclr.accountConnectors("r-005")).as("reinstalled").hasSize(1);
    assertThat(plan("rollout").getJsonObject("summary").getLong("REINSTALL")).isZero();
  }

  @Test
  void aPlanWhoseGenerationOrLiveStateMovedIsRefused() {
    json(api.put("stale", fleet("s-", 4)), 201);
    JsonObject old = plan("stale");
    json(api.put("stale", fleet("s-", 5)), 200);
    assertThat(problem(api.post("/v1/fleets/stale/apply", new JsonObject().put("planId", old.getString("planId"))),
        409).getString("detail")).contains("generation");

    JsonObject first = plan("stale");
    json(api.post("/v1/fleets/stale/apply", new JsonObject().put("planId", first.getString("planId"))), 202);
    awaitStatus("stale", "CONVERGED");
    JsonObject before = plan("stale");
    long id = s.cyclr.accountConnectors("s-002").get(0).getLong("Id");
    TestService.await(changes.deleteInstall("s-002", id));
    plan("stale"); // sees the install gone: the live state moved
    assertThat(problem(api.post("/v1/fleets/stale/apply", new JsonObject().put("planId", before.getString("planId"))),
        409).getString("detail")).contains("live state");
    problem(api.post("/v1/fleets/stale/apply", new JsonObject().put("planId", "no-such-plan")), 404);
  }

  @Test
  void aStepOverTheFailureThresholdHaltsTheFleetAndResumeGoesOn() {
    JsonObject spec = fleet("h-", 20);
    // The first step's tenant (h-000) has no account at Cyclr: its install fails.
    TestService.await(changes.deleteAccount("h-000"));
    json(api.put("halting", spec), 201);
    JsonObject plan = plan("halting");
    assertThat(plan.getJsonObject("summary").getLong("INSTALL")).isEqualTo(20);
    json(api.post("/v1/fleets/halting/apply", null), 202);
    JsonObject halted = awaitStatus("halting", "HALTED");
    assertThat(halted.getJsonObject("rollout").getString("haltedReason")).contains("step 1", "1 of 1");
    assertThat(halted.getJsonObject("tenants").getLong("FAILED")).isEqualTo(1);
    assertThat(s.cyclr.accountConnectors("h-001")).as("later tenants are not touched").isEmpty();
    s.poll(() -> fleetEvents.stream().filter(e -> "halting".equals(e.getString("fleet"))
        && "fleet.halted".equals(e.getString("type"))).count(), n -> n == 1, Duration.ofSeconds(5), "fleet.halted");

    json(api.post("/v1/fleets/halting/resume", null), 200);
    JsonObject converged = awaitStatus("halting", "CONVERGED");
    assertThat(converged.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(19);
    assertThat(converged.getJsonObject("tenants").getLong("FAILED")).isEqualTo(1);
    assertThat(s.cyclr.accountConnectors("h-019")).hasSize(1);
    problem(api.post("/v1/fleets/halting/resume", null), 409);
  }

  @Test
  void rollbackRemovesOnlyWhatTheHaltedApplyInstalled() {
    JsonObject spec = fleet("b-", 8);
    spec.getJsonObject("policy").getJsonObject("rollout").put("steps", new JsonArray().add(50).add(100));
    // b-000 has no account: step 1 (b-000 .. b-003) fails 1 of 4 (25 % > 5 %).
    TestService.await(changes.deleteAccount("b-000"));
    // b-001 also has another connector, installed by someone else: never the fleet's to remove.
    s.awaitJob(s.submit(new JsonObject().put("connector", new JsonObject().put("id", 6)).put("items",
        new JsonArray().add(new JsonObject().put("account", "b-001").put("authValue", "other")))));
    json(api.put("rollback", spec), 201);
    plan("rollback");
    json(api.post("/v1/fleets/rollback/apply", null), 202);
    awaitStatus("rollback", "HALTED");
    assertThat(s.cyclr.accountConnectors("b-002")).hasSize(1);
    assertThat(s.cyclr.accountConnectors("b-001")).hasSize(2);
    problem(api.post("/v1/fleets/stale/rollback", null), 409);

    long deletesBefore = s.cyclr.stats().requests("DELETE /v1.0/account/connectors/{id}");
    JsonObject result = json(api.post("/v1/fleets/rollback/rollback", null), 200);
    assertThat(result.getLong("removed")).isEqualTo(3);
    assertThat(result.getLong("failed")).isZero();
    assertThat(result.getString("status")).isEqualTo("PENDING");
    assertThat(s.cyclr.accountConnectors("b-001")).as("the other connector stays").hasSize(1)
        .allSatisfy(c -> assertThat(c.getJsonObject("Connector").getLong("Id")).isEqualTo(6L));
    assertThat(s.cyclr.accountConnectors("b-002")).isEmpty();
    assertThat(s.cyclr.accountConnectors("b-003")).isEmpty();
    assertThat(s.cyclr.accountConnectors("b-004")).as("never touched").isEmpty();
    JsonObject after = json(api.get("/v1/fleets/rollback"), 200);
    assertThat(after.getJsonObject("tenants").getLong("REMOVED")).isEqualTo(3);
    assertThat(s.cyclr.stats().requests("DELETE /v1.0/account/connectors/{id}") - deletesBefore).isEqualTo(3);
  }

  @Test
  void aReconcileFindsDriftCountsItAndRepairsIt() {
    json(api.put("drifting", fleet("d-", 10)), 201);
    plan("drifting");
    json(api.post("/v1/fleets/drifting/apply", null), 202);
    JsonObject converged = awaitStatus("drifting", "CONVERGED");
    assertThat(converged.getString("nextReconcileAt")).as("not reconciled yet").isNull();
    long id = s.cyclr.accountConnectors("d-003").get(0).getLong("Id");
    TestService.await(changes.deleteInstall("d-003", id));

    JsonObject reconciled = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS,
        new JsonObject().put("name", "drifting"), new io.vertx.core.eventbus.DeliveryOptions()
            .addHeader(FleetService.ACTION, "reconcile"))).body();
    assertThat(reconciled.getString("status")).isEqualTo("DRIFTED");
    assertThat(reconciled.getJsonObject("drift").getLong("CONNECTOR_MISSING")).isEqualTo(1);
    assertThat(reconciled.getJsonObject("repair").getJsonArray("jobIds")).as("autoRepair applies at once").hasSize(1);
    s.poll(() -> fleetEvents.stream().filter(e -> "drifting".equals(e.getString("fleet"))
        && "fleet.drifted".equals(e.getString("type"))).count(), n -> n == 1, Duration.ofSeconds(5), "fleet.drifted");
    JsonObject repaired = awaitStatus("drifting", "CONVERGED");
    assertThat(s.cyclr.accountConnectors("d-003")).as("reinstalled").hasSize(1);
    assertThat(repaired.getString("lastReconcileAt")).isNotNull();
    assertThat(repaired.getString("nextReconcileAt")).isNotNull();
    assertThat(repaired.getJsonObject("drift").getLong("CONNECTOR_MISSING")).isEqualTo(1);

    JsonObject again = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS,
        new JsonObject().put("name", "drifting"), new io.vertx.core.eventbus.DeliveryOptions()
            .addHeader(FleetService.ACTION, "reconcile"))).body();
    assertThat(again.getString("status")).isEqualTo("CONVERGED");
    assertThat(again.getJsonObject("drift").isEmpty()).isTrue();
  }

  @Test
  void aFleetsSignInFunnelSumsTheRelayLinksOfAllItsSteps() {
    JsonArray tenants = new JsonArray();
    for (String account : List.of("o-0", "o-1", "o-2", "o-3")) {
      s.cyclr.addAccount(account, account);
      tenants.add(new JsonObject().put("account", account));
    }
    json(api.put("signing", new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("tenants", tenants)
        .put("policy", new JsonObject().put("rollout", new JsonObject().put("pauseSeconds", 0)
            .put("steps", new JsonArray().add(50).add(100))))), 201);
    assertThat(json(api.get("/v1/fleets/signing/sign-ins"), 200)).as("no apply yet").isEqualTo(new JsonObject()
        .put("issued", 0).put("opened", 0).put("started", 0).put("authenticated", 0).put("reminded", 0)
        .put("expired", 0).put("medianSecondsToSignIn", null));

    String planId = plan("signing").getString("planId");
    json(api.post("/v1/fleets/signing/apply", null), 202);
    List<String> links = s.poll(() -> json(api.get("/v1/fleets/signing/tenants?state=WAITING_SIGN_IN"), 200)
            .getJsonArray("items").stream().map(t -> ((JsonObject) t).getString("url")).toList(),
        l -> l.size() == 4, Duration.ofSeconds(30), "four tenants waiting with a link");
    assertThat(actions("signing", planId, null).stream().map(a -> a.getString("jobId")).distinct())
        .as("two step jobs").hasSize(2);
    String opener = links.get(0);
    String finisher = links.get(1);
    assertThat(send(HttpMethod.GET, opener).statusCode()).isEqualTo(200);
    assertThat(send(HttpMethod.GET, finisher).statusCode()).isEqualTo(200);
    assertThat(send(HttpMethod.GET, send(HttpMethod.POST, finisher).getHeader("Location")).statusCode())
        .isEqualTo(302);
    assertThat(send(HttpMethod.GET, finisher + "/done").statusCode()).isEqualTo(303);

    JsonObject funnel = s.poll(() -> json(api.get("/v1/fleets/signing/sign-ins"), 200),
        f -> f.getLong("authenticated") == 1, Duration.ofSeconds(10), "the sign-in counted");
    assertThat(funnel.copy().put("medianSecondsToSignIn", null)).as("two step jobs, summed").isEqualTo(
        new JsonObject().put("issued", 4).put("opened", 2).put("started", 1).put("authenticated", 1)
            .put("reminded", 0).put("expired", 0).put("medianSecondsToSignIn", null));
    assertThat(funnel.getDouble("medianSecondsToSignIn")).isNotNull().isGreaterThanOrEqualTo(0.0);
    assertThat(problem(api.get("/v1/fleets/no-such-fleet/sign-ins"), 404).getString("detail"))
        .contains("no-such-fleet");
  }

  private static HttpResponse<Buffer> send(HttpMethod method, String url) {
    return TestService.await(s.http.requestAbs(method, url).followRedirects(false).send());
  }
}
