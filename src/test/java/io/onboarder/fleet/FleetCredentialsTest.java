package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.onboarder.time.EventLoopVirtualClock;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An API-key tenant whose key the third party stopped taking, end to end against the emulator, the fleet loop on a
 * virtual clock: reconciles find the drift and leave it as it is (no sign-in link, no install, no credentials sent
 * again: only reads, however many reconciles), the plan says why, history and webhook tell it once; a spec with a
 * new key plans REINSTALL "new credentials", whose apply gives Cyclr the key (on the same install) and repairs it.
 */
class FleetCredentialsTest {
  private static final String REFUSED = "credentials refused: supply a new authValue";
  private static final long DAY_MS = 86_400_000L;

  @TempDir
  Path dir;
  Vertx vertx;
  TestService s;
  FleetClient api;
  WebhookReceiver receiver;
  final EventLoopVirtualClock clock = new EventLoopVirtualClock();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    String secret = WebhookReceiver.newSecret();
    receiver = WebhookReceiver.start(vertx, secret);
    s = TestService.start(vertx, dir, e -> { }, WebhookReceiver.serviceConfig(receiver, secret), clock);
    api = new FleetClient(s, TestService.TOKEN);
  }

  @AfterEach
  void stop() {
    s.close();
    receiver.close();
    TestService.await(vertx.close());
  }

  /** Two API-key tenants; {@code key0} is kc-0's key. Reconciled daily, repaired by itself (the default). */
  private static JsonObject fleet(String key0) {
    JsonObject f = FleetClient.fleet("kc-", 2);
    f.getJsonArray("tenants").getJsonObject(0).put("authValue", key0);
    return f.put("policy", new JsonObject().put("reconcileIntervalSeconds", 86_400)
        .put("rollout", new JsonObject().put("pauseSeconds", 0).put("steps", new JsonArray().add(100))));
  }

  private JsonObject view() {
    return json(api.get("/v1/fleets/keyed"), 200);
  }

  private JsonObject converged() {
    return s.poll(this::view, f -> f.getString("status").equals("CONVERGED"), Duration.ofSeconds(30), "CONVERGED");
  }

  private JsonObject reconcile() {
    return TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS, new JsonObject()
        .put("name", "keyed"), new DeliveryOptions().addHeader(FleetService.ACTION, "reconcile"))).body();
  }

  private JsonObject line(String planId, String account) {
    return json(api.get("/v1/fleets/keyed/plans/" + planId + "/actions?limit=200"), 200).getJsonArray("items")
        .stream().map(o -> (JsonObject) o).filter(a -> a.getString("account").equals(account)).findFirst()
        .orElseThrow();
  }

  private List<String> history(String account) {
    return json(api.get("/v1/accounts/" + account + "/history"), 200).getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("kind")).toList();
  }

  private List<String> deliveries() {
    return json(api.get("/v1/webhooks/deliveries?limit=200"), 200).getJsonArray("deliveries").stream()
        .map(o -> (JsonObject) o).filter(d -> "keyed".equals(d.getString("fleet"))).map(d -> d.getString("type"))
        .toList();
  }

  /** The emulator's requests by route since {@code before}, those that grew. */
  private Map<String, Long> since(Map<String, Long> before) {
    Map<String, Long> grew = new HashMap<>();
    s.cyclr.stats().requestsByRoute().forEach((route, n) -> {
      long d = n - before.getOrDefault(route, 0L);
      if (d > 0) {
        grew.put(route, d);
      }
    });
    return grew;
  }

  @Test
  void refusedCredentialsAreLeftAloneUntilNewOnesComeAndThenRepaired() {
    json(api.put("keyed", fleet("key-old")), 201);
    json(api.post("/v1/fleets/keyed/plan", null), 200);
    json(api.post("/v1/fleets/keyed/apply", null), 202);
    converged();
    long installId = s.cyclr.accountConnectors("kc-0").get(0).getLong("Id");

    // The third party stops taking kc-0's key; then three reconciles, the last one due on the clock.
    s.cyclr.refuseCredentials((int) installId);
    Map<String, Long> before = new HashMap<>(s.cyclr.stats().requestsByRoute());
    JsonObject first = reconcile();
    assertThat(first.getString("status")).isEqualTo("DRIFTED");
    assertThat(first.getJsonObject("drift")).isEqualTo(new JsonObject().put("DEAUTHENTICATED", 1));
    assertThat(first.getValue("repair")).as("nothing to repair: only new credentials would").isNull();
    JsonObject line = line(first.getString("planId"), "kc-0");
    assertThat(line.getString("action")).isEqualTo("NONE");
    assertThat(line.getString("reason")).isEqualTo(REFUSED);
    assertThat(line.getString("drift")).isEqualTo("DEAUTHENTICATED");
    assertThat(reconcile().getValue("repair")).isNull();
    String last = view().getString("lastReconcileAt");
    clock.advance(DAY_MS);
    s.poll(this::view, f -> !last.equals(f.getString("lastReconcileAt")), Duration.ofSeconds(30),
        "the reconcile due a day later");
    assertThat(since(before)).as("three reconciles of two tenants: an account and an install list each, no more")
        .isEqualTo(Map.of("GET /v1.0/accounts/{id}", 6L, "GET /v1.0/account/connectors", 6L));

    JsonObject drifted = view();
    assertThat(drifted.getString("status")).isEqualTo("DRIFTED");
    assertThat(drifted.getJsonObject("tenants")).isEqualTo(new JsonObject().put("CONNECTED", 1).put("DRIFTED", 1));
    JsonObject tenant = json(api.get("/v1/fleets/keyed/tenants?state=DRIFTED"), 200).getJsonArray("items")
        .getJsonObject(0);
    assertThat(tenant.getString("account")).isEqualTo("kc-0");
    assertThat(tenant.getBoolean("authenticated")).isFalse();
    assertThat(history("kc-0")).containsExactly("connector.installed", "drift.detected", "credential.lost");
    s.poll(this::deliveries, d -> d.contains("fleet.drifted"), Duration.ofSeconds(30), "fleet.drifted");
    assertThat(deliveries()).as("told once").containsOnlyOnce("fleet.drifted");

    // The same key again changes nothing; a new key is planned as new credentials and repairs the tenant.
    json(api.put("keyed", fleet("key-old").put("description", "same keys")), 200);
    JsonObject same = json(api.post("/v1/fleets/keyed/plan", null), 200);
    assertThat(line(same.getString("planId"), "kc-0").getString("reason")).isEqualTo(REFUSED);
    assertThat(json(api.put("keyed", fleet("key-new")), 200).getLong("generation")).isEqualTo(3);
    JsonObject plan = json(api.post("/v1/fleets/keyed/plan", null), 200);
    assertThat(plan.getJsonObject("summary").getLong("REINSTALL")).isEqualTo(1);
    assertThat(plan.getJsonObject("summary").getLong("NONE")).isEqualTo(1);
    JsonObject renew = line(plan.getString("planId"), "kc-0");
    assertThat(renew.getString("action")).isEqualTo("REINSTALL");
    assertThat(renew.getString("reason")).isEqualTo("new credentials");
    json(api.post("/v1/fleets/keyed/apply", null), 202);
    JsonObject repaired = converged();
    assertThat(repaired.getJsonObject("tenants")).isEqualTo(new JsonObject().put("CONNECTED", 2));
    assertThat(s.cyclr.accountConnectors("kc-0")).as("the same install, authenticated: no duplicate")
        .extracting(ac -> ac.getLong("Id") + ":" + ac.getBoolean("Authenticated"))
        .containsExactly(installId + ":true");
    assertThat(s.cyclr.stats().requests("PUT /v1.0/account/connectors/{id}")).isEqualTo(1);
    assertThat(history("kc-0")).containsExactly("connector.installed", "drift.detected", "credential.lost",
        "connector.installed", "drift.repaired");
    JsonObject again = reconcile();
    assertThat(again.getString("status")).isEqualTo("CONVERGED");
    assertThat(again.getJsonObject("summary").getLong("NONE")).isEqualTo(2);
    assertThat(again.getJsonObject("drift")).as("the drift counts, as the reconcile found them").isEmpty();
  }
}
