package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.emulator.TenantChanges;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.onboarder.time.EventLoopVirtualClock;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet watched, end to end against the emulator, its loop on a virtual clock: the rollout's pause between steps
 * is honoured to the millisecond; {@code autoApply} applies a new spec (and new tenants) without a call; the fleet's
 * webhooks arrive signed, once per change; tenants show their cycle ACTIVE or SETUP_REQUIRED; an account's history
 * shows the fleet's installs, the drift found and its repair.
 */
class FleetWatchTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static FleetClient api;
  static TenantChanges changes;
  static WebhookReceiver receiver;
  /** The fleet loop's clock: moved by the tests; its timers run on the fleet service's context. */
  static final EventLoopVirtualClock clock = new EventLoopVirtualClock();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    String secret = WebhookReceiver.newSecret();
    receiver = WebhookReceiver.start(vertx, secret);
    s = TestService.start(vertx, dir, e -> { }, WebhookReceiver.serviceConfig(receiver, secret), clock);
    api = new FleetClient(s, TestService.TOKEN);
    changes = TenantChanges.at(vertx, s.cyclr);
  }

  @AfterAll
  static void stop() {
    changes.close();
    s.close();
    receiver.close();
    TestService.await(vertx.close());
  }

  /** API-key tenants of connector 1; steps and pause as given; reconciles only when asked (a day apart). */
  static JsonObject fleet(String prefix, int n, JsonObject policy) {
    JsonObject f = FleetClient.fleet(prefix, n);
    return f.put("policy", policy.put("reconcileIntervalSeconds", 86_400));
  }

  static JsonObject rollout(int pauseSeconds, Integer... steps) {
    return new JsonObject().put("rollout", new JsonObject().put("pauseSeconds", pauseSeconds)
        .put("steps", new JsonArray(List.of((Object[]) steps))));
  }

  static JsonObject view(String name) {
    return json(api.get("/v1/fleets/" + name), 200);
  }

  static JsonObject await(String name, String what, java.util.function.Predicate<JsonObject> done) {
    return s.poll(() -> view(name), done, Duration.ofSeconds(30), name + " " + what);
  }

  static List<String> stepJobs(String name, String planId) {
    return json(api.get("/v1/fleets/" + name + "/plans/" + planId + "/actions?limit=200"), 200).getJsonArray("items")
        .stream().map(o -> ((JsonObject) o).getString("jobId")).filter(j -> j != null).distinct().toList();
  }

  static JsonObject reconcile(String name) {
    return TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS, new JsonObject().put("name", name),
        new DeliveryOptions().addHeader(FleetService.ACTION, "reconcile"))).body();
  }

  static List<JsonObject> history(String account) {
    return json(api.get("/v1/accounts/" + account + "/history"), 200).getJsonArray("items").stream()
        .map(o -> (JsonObject) o).toList();
  }

  @Test
  void theNextStepStartsWhenThePauseIsOverNotBefore() {
    json(api.put("paced", fleet("p-", 4, rollout(600, 50, 100))), 201);
    String planId = json(api.post("/v1/fleets/paced/plan", null), 200).getString("planId");
    json(api.post("/v1/fleets/paced/apply", null), 202);
    JsonObject waiting = await("paced", "pausing after step 1",
        f -> f.getJsonObject("rollout").getString("nextStepAt") != null);
    long due = clock.currentTimeMillis() + 600_000;
    assertThat(waiting.getString("status")).isEqualTo("APPLYING");
    assertThat(waiting.getJsonObject("rollout").getString("nextStepAt"))
        .as("the pause runs on the fleet's clock").isEqualTo(Instant.ofEpochMilli(due).toString());
    assertThat(stepJobs("paced", planId)).hasSize(1);
    assertThat(s.cyclr.accountConnectors("p-2")).as("step 2 waits").isEmpty();

    clock.advance(599_999);
    assertThat(TestService.await(s.app.store().applies().claimDue("probe", 1, clock.currentTimeMillis(), 8, null)))
        .as("1 ms before the pause ends, step 2 is not due").noneMatch(f -> f.name().equals("paced"));
    clock.advance(1); // the pause is over: the timer the apply set wakes the fleet loop
    JsonObject done = await("paced", "CONVERGED", f -> f.getString("status").equals("CONVERGED"));
    assertThat(done.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(4);
    assertThat(stepJobs("paced", planId)).hasSize(2);
    IntStream.range(0, 4).forEach(i -> assertThat(s.cyclr.accountConnectors("p-" + i)).hasSize(1));
  }

  @Test
  void autoApplyInstallsTheSpecAndNewTenantsWithoutACall() {
    JsonObject policy = rollout(0, 100).put("autoApply", true);
    json(api.put("auto", fleet("a-", 3, policy)), 201);
    JsonObject first = await("auto", "generation 1 applied", f -> Long.valueOf(1).equals(f.getLong("appliedGeneration"))
        && f.getString("status").equals("CONVERGED"));
    assertThat(first.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(3);

    json(api.put("auto", fleet("a-", 5, policy.copy())), 200);
    JsonObject second = await("auto", "generation 2 applied", f -> Long.valueOf(2).equals(f.getLong(
        "appliedGeneration")) && f.getString("status").equals("CONVERGED"));
    assertThat(second.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(5);
    IntStream.range(0, 5).forEach(i -> assertThat(s.cyclr.accountConnectors("a-" + i))
        .as("a-%d installed once", i).hasSize(1));
  }

  @Test
  void aFleetsWebhooksArriveSignedOncePerChange() {
    json(api.put("hooked", fleet("w-", 2, rollout(0, 100).put("autoRepair", false))), 201);
    json(api.post("/v1/fleets/hooked/plan", null), 200);
    json(api.post("/v1/fleets/hooked/apply", null), 202);
    await("hooked", "CONVERGED", f -> f.getString("status").equals("CONVERGED"));
    WebhookReceiver.Received converged = s.poll(() -> fleetHooks("hooked"), l -> l.size() == 1,
        Duration.ofSeconds(30), "fleet.converged").get(0);
    assertThat(converged.signatureValid()).isTrue();
    assertThat(converged.json().getString("type")).isEqualTo("fleet.converged");
    assertThat(converged.json().getJsonObject("data").getJsonObject("summary").getLong("INSTALL")).isEqualTo(2);

    long id = s.cyclr.accountConnectors("w-1").get(0).getLong("Id");
    TestService.await(changes.deleteInstall("w-1", id));
    assertThat(reconcile("hooked").getString("status")).isEqualTo("DRIFTED");
    assertThat(reconcile("hooked").getString("status")).as("the same drift again").isEqualTo("DRIFTED");
    assertThat(deliveries("hooked")).as("written with the status: one per change")
        .containsExactly("fleet.drifted", "fleet.converged");
    WebhookReceiver.Received drifted = s.poll(() -> fleetHooks("hooked"), l -> l.size() == 2,
        Duration.ofSeconds(30), "fleet.drifted").get(1);
    assertThat(drifted.signatureValid()).isTrue();
    assertThat(drifted.json().getJsonObject("data")).isEqualTo(new JsonObject().put("fleet", "hooked")
        .put("generation", 1).put("type", "fleet.drifted").put("summary", new JsonObject()
            .put("CONNECTOR_MISSING", 1)));
  }

  private static List<WebhookReceiver.Received> fleetHooks(String fleet) {
    return receiver.received.stream().filter(r -> r.json().getString("type").startsWith("fleet.")
        && fleet.equals(r.json().getJsonObject("data").getString("fleet"))).toList();
  }

  private static List<String> deliveries(String fleet) {
    return json(api.get("/v1/webhooks/deliveries?limit=200"), 200).getJsonArray("deliveries").stream()
        .map(o -> (JsonObject) o).filter(d -> fleet.equals(d.getString("fleet"))).map(d -> d.getString("type"))
        .toList();
  }

  @Test
  void tenantsShowTheirCycleActiveOrWaitingForTheTenantsSetUp() {
    json(api.put("cycled", fleet("c-", 2, rollout(0, 100)).put("template", new JsonObject()
        .put("name", "API Key Sync")).put("activate", new JsonObject().put("interval", 60))), 201);
    json(api.put("mapped", fleet("m-", 1, rollout(0, 100)).put("template", new JsonObject()
        .put("name", "Mapped Sync")).put("activate", new JsonObject().put("interval", 60))), 201);
    for (String name : List.of("cycled", "mapped")) {
      json(api.post("/v1/fleets/" + name + "/plan", null), 200);
      json(api.post("/v1/fleets/" + name + "/apply", null), 202);
    }
    JsonObject cycled = await("cycled", "CONVERGED", f -> f.getString("status").equals("CONVERGED"));
    assertThat(cycled.getJsonObject("tenants")).isEqualTo(new JsonObject().put("ACTIVE", 2));
    JsonObject tenant = json(api.get("/v1/fleets/cycled/tenants"), 200).getJsonArray("items").getJsonObject(0);
    assertThat(tenant.getString("cycleId")).isNotNull();
    assertThat(tenant.getString("cycleStatus")).isEqualTo("Active");

    JsonObject mapped = await("mapped", "CONVERGED", f -> f.getString("status").equals("CONVERGED"));
    assertThat(mapped.getJsonObject("tenants")).isEqualTo(new JsonObject().put("SETUP_REQUIRED", 1));
    JsonObject again = json(api.post("/v1/fleets/mapped/plan", null), 200);
    assertThat(again.getJsonObject("summary").getLong("NONE")).as("activating again changes nothing").isEqualTo(1);
    JsonObject line = json(api.get("/v1/fleets/mapped/plans/" + again.getString("planId") + "/actions"), 200)
        .getJsonArray("items").getJsonObject(0);
    assertThat(line.getString("reason")).isEqualTo("waiting for the tenant to set up the cycle");
    assertThat(view("mapped").getJsonObject("tenants")).isEqualTo(new JsonObject().put("SETUP_REQUIRED", 1));
  }

  @Test
  void anAccountsHistoryShowsTheFleetsInstallsTheDriftFoundAndItsRepair() {
    json(api.put("healed", fleet("hl-", 2, rollout(0, 100))), 201);
    json(api.post("/v1/fleets/healed/plan", null), 200);
    json(api.post("/v1/fleets/healed/apply", null), 202);
    await("healed", "CONVERGED", f -> f.getString("status").equals("CONVERGED"));
    assertThat(history("hl-0")).extracting(e -> e.getString("kind") + "@" + e.getString("fleet"))
        .containsExactly("connector.installed@healed");

    long id = s.cyclr.accountConnectors("hl-1").get(0).getLong("Id");
    TestService.await(changes.deleteInstall("hl-1", id));
    String repairJob = reconcile("healed").getJsonObject("repair").getJsonArray("jobIds").getString(0);
    s.poll(() -> history("hl-1"), h -> h.size() == 4, Duration.ofSeconds(30), "the repair in hl-1's history");
    List<JsonObject> h = history("hl-1");
    assertThat(h).extracting(e -> e.getString("kind") + "@" + e.getString("fleet")).containsExactly(
        "connector.installed@healed", "drift.detected@healed", "connector.installed@healed", "drift.repaired@healed");
    assertThat(h.get(1).getJsonObject("detail").getString("drift")).isEqualTo("CONNECTOR_MISSING");
    assertThat(h.get(3).getString("jobId")).isEqualTo(repairJob);
    assertThat(h.get(3).getJsonObject("detail").getString("drift")).isEqualTo("CONNECTOR_MISSING");
    assertThat(s.cyclr.accountConnectors("hl-1")).as("reinstalled once").hasSize(1);
  }
}
