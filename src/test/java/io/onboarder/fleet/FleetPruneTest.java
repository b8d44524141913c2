package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static io.onboarder.fleet.FleetClient.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.emulator.TenantChanges;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Removing what a fleet installed, against the emulator (docs/fleets.md): prune takes from tenants that left the
 * spec exactly the connector and cycle this fleet installed, only within {@code maxPrunePercent} unless the count is
 * confirmed; {@code DELETE ?uninstall=true} offboards the whole fleet the same way, then forgets it; a rollback
 * removes the cycles the halted apply installed as well as its connectors; each removal is in the account's history.
 */
class FleetPruneTest {
  static final String APP = "https://app.example.com";
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static FleetClient api;
  static TenantChanges changes;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), c -> { });
    api = new FleetClient(s, TestService.TOKEN);
    changes = TenantChanges.at(vertx, s.cyclr);
  }

  @AfterAll
  static void stop() {
    changes.close();
    s.close();
    TestService.await(vertx.close());
  }

  /** A fleet of {@code accounts} (created at Cyclr) on connector 1, with the API-key template activated if asked. */
  static JsonObject fleet(List<String> accounts, boolean template) {
    JsonArray tenants = new JsonArray();
    accounts.forEach(a -> {
      s.cyclr.addAccount(a, a);
      tenants.add(new JsonObject().put("account", a).put("authValue", "key-" + a));
    });
    JsonObject f = new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants)
        .put("policy", new JsonObject().put("prune", true)
            .put("rollout", new JsonObject().put("pauseSeconds", 0).put("steps", new JsonArray().add(100))));
    if (template) {
      f.put("template", new JsonObject().put("name", "API Key Sync"))
          .put("activate", new JsonObject().put("interval", 60)).put("oauth", new JsonObject().put("targetOrigin", APP));
    }
    return f;
  }

  static JsonObject applied(String name) {
    json(api.post("/v1/fleets/" + name + "/plan", null), 200);
    json(api.post("/v1/fleets/" + name + "/apply", null), 202);
    return awaitStatus(name, "CONVERGED");
  }

  static JsonObject awaitStatus(String name, String status) {
    return s.poll(() -> json(api.get("/v1/fleets/" + name), 200), f -> f.getString("status").equals(status),
        Duration.ofSeconds(30), name + " " + status);
  }

  /** A job of someone else's (not the fleet's) installing connector {@code connector} (with the template) in it. */
  static void installedBySomeoneElse(String account, long connector, boolean template) {
    JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", connector)).put("items",
        new JsonArray().add(new JsonObject().put("account", account).put("authValue", "other")));
    if (template) {
      job.put("template", new JsonObject().put("name", "API Key Sync"))
          .put("activate", new JsonObject().put("interval", 60)).put("oauth", new JsonObject().put("targetOrigin", APP));
    }
    assertThat(s.awaitJob(s.submit(job)).getString("status")).isEqualTo("SUCCEEDED");
  }

  static List<Long> connectors(String account) {
    return s.cyclr.accountConnectors(account).stream().map(c -> c.getJsonObject("Connector").getLong("Id")).toList();
  }

  static List<JsonObject> history(String account) {
    return json(api.get("/v1/accounts/" + account + "/history?limit=200"), 200).getJsonArray("items").stream()
        .map(o -> (JsonObject) o).toList();
  }

  static long deletes(String route) {
    return s.cyclr.stats().requests(route);
  }

  @Test
  void pruneRemovesOnlyWhatTheFleetInstalledAndOnlyWithinItsLimitOrConfirmed() {
    // p-1's connector 1 is someone else's (the fleet only adds the cycle); p-2 has connector 1 and the cycle from
    // someone else (the fleet installs nothing); p-3 has someone else's connector 6 besides the fleet's.
    List<String> all = List.of("p-0", "p-1", "p-2", "p-3");
    JsonObject spec = fleet(all, true);
    installedBySomeoneElse("p-1", 1, false);
    installedBySomeoneElse("p-2", 1, true);
    installedBySomeoneElse("p-3", 6, false);
    json(api.put("pruning", spec), 201);
    applied("pruning");
    assertThat(s.cyclr.cycles("p-1")).hasSize(1);
    assertThat(s.cyclr.cycles("p-2")).as("reused, not a second one").hasSize(1);
    String p2Cycle = s.cyclr.cycles("p-2").get(0).getString("Id");

    // p-1, p-2, p-3 leave the spec. p-2 had nothing of the fleet's: it is not even a line to prune.
    spec.put("tenants", new JsonArray().add(spec.getJsonArray("tenants").getJsonObject(0)));
    json(api.put("pruning", spec), 200);
    JsonObject plan = json(api.post("/v1/fleets/pruning/plan", null), 200);
    assertThat(plan.getJsonObject("summary").getLong("UNINSTALL")).isEqualTo(2);
    assertThat(plan.getJsonObject("summary").getLong("NONE")).isEqualTo(1);
    List<JsonObject> lines = json(api.get("/v1/fleets/pruning/plans/" + plan.getString("planId")
        + "/actions?action=UNINSTALL"), 200).getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
    assertThat(lines).extracting(l -> l.getString("account")).containsExactly("p-1", "p-3");
    assertThat(lines.get(0).getString("reason")).contains("prune removes what this fleet installed");

    // 2 of 3 tenants (67 %) is over maxPrunePercent (5 %): refused, with the count and how to confirm.
    long cycleDeletes = deletes("DELETE /v1.0/cycles/{id}");
    JsonObject refused = problem(api.post("/v1/fleets/pruning/apply", null), 409);
    assertThat(refused.getString("detail")).contains("uninstall 2 of the 3 tenants", "maxPrunePercent",
        "?confirmPrune=2");
    assertThat(problem(api.post("/v1/fleets/pruning/apply?confirmPrune=3", null), 409).getString("detail"))
        .contains("confirmPrune=3 does not match", "uninstalls 2");
    problem(api.post("/v1/fleets/pruning/apply?confirmPrune=two", null), 400);
    assertThat(json(api.get("/v1/fleets/pruning"), 200).getString("status")).isEqualTo("CONVERGED");
    assertThat(deletes("DELETE /v1.0/cycles/{id}")).as("nothing removed yet").isEqualTo(cycleDeletes);

    JsonObject going = json(api.post("/v1/fleets/pruning/apply?confirmPrune=2", null), 202);
    assertThat(going.getJsonArray("jobIds")).as("no job step: prune is its own stage").isEmpty();
    JsonObject done = awaitStatus("pruning", "CONVERGED");
    assertThat(done.getJsonObject("rollout").getJsonObject("uninstall")).isEqualTo(new JsonObject()
        .put("removed", 3).put("alreadyGone", 0).put("failed", 0));

    assertThat(connectors("p-1")).as("someone else's connector stays").containsExactly(1L);
    assertThat(s.cyclr.cycles("p-1")).as("the fleet's cycle is gone").isEmpty();
    assertThat(connectors("p-2")).containsExactly(1L);
    assertThat(s.cyclr.cycles("p-2")).extracting(c -> c.getString("Id")).containsExactly(p2Cycle);
    assertThat(connectors("p-3")).as("only someone else's connector 6 is left").containsExactly(6L);
    assertThat(s.cyclr.cycles("p-3")).isEmpty();
    assertThat(connectors("p-0")).containsExactly(1L);
    assertThat(s.cyclr.cycles("p-0")).hasSize(1);

    JsonObject uninstalled = history("p-3").stream().filter(e -> e.getString("kind").equals("connector.uninstalled"))
        .findFirst().orElseThrow();
    assertThat(uninstalled.getString("fleet")).isEqualTo("pruning");
    assertThat(uninstalled.getJsonObject("detail").getString("reason")).isEqualTo("prune");
    assertThat(history("p-3")).extracting(e -> e.getString("kind")).contains("cycle.uninstalled");
    assertThat(history("p-1")).extracting(e -> e.getString("kind")).contains("cycle.uninstalled")
        .doesNotContain("connector.uninstalled");
    assertThat(history("p-2")).extracting(e -> e.getString("kind")).doesNotContain("cycle.uninstalled",
        "connector.uninstalled");

    JsonObject again = json(api.post("/v1/fleets/pruning/plan", null), 200);
    assertThat(again.getJsonObject("summary").getLong("UNINSTALL")).as("the pruned are forgotten").isZero();
    assertThat(json(api.get("/v1/fleets/pruning/tenants"), 200).getJsonArray("items")).hasSize(1);
  }

  @Test
  void aPruneWithinTheLimitNeedsNoConfirmation() {
    List<String> accounts = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "w-" + (i < 10 ? "0" : "") + i)
        .toList();
    JsonObject spec = fleet(accounts, false);
    json(api.put("within", spec), 201);
    applied("within");
    JsonArray kept = new JsonArray();
    spec.getJsonArray("tenants").stream().skip(1).forEach(kept::add);
    json(api.put("within", spec.put("tenants", kept)), 200);
    // 1 of 20 is 5 %, within maxPrunePercent (5).
    assertThat(json(api.post("/v1/fleets/within/plan", null), 200).getJsonObject("summary").getLong("UNINSTALL"))
        .isEqualTo(1);
    json(api.post("/v1/fleets/within/apply", null), 202);
    awaitStatus("within", "CONVERGED");
    assertThat(connectors("w-00")).isEmpty();
    assertThat(connectors("w-01")).containsExactly(1L);
  }

  @Test
  void deleteWithUninstallOffboardsTheWholeFleetThenForgetsIt() {
    JsonObject spec = fleet(List.of("x-0", "x-1", "x-2"), false);
    installedBySomeoneElse("x-1", 6, false);
    json(api.put("leaving", spec), 201);
    applied("leaving");
    // One install is already gone at Cyclr: a 404 counts as removed.
    TestService.await(changes.deleteInstall("x-2", s.cyclr.accountConnectors("x-2").get(0).getLong("Id")));

    JsonObject missing = problem(api.send(HttpMethod.DELETE, "/v1/fleets/leaving?uninstall=true", null, null), 409);
    assertThat(missing.getString("detail")).contains("confirm=3");
    assertThat(problem(api.send(HttpMethod.DELETE, "/v1/fleets/leaving?uninstall=true&confirm=2", null, null), 409)
        .getString("detail")).contains("confirm=3", "2 is not it");
    problem(api.send(HttpMethod.DELETE, "/v1/fleets/leaving?uninstall=maybe&confirm=3", null, null), 400);
    ReplyException onBus = TestService.await(vertx.eventBus().request(Addresses.FLEETS, new JsonObject()
            .put("name", "leaving").put("uninstall", true).put("confirm", 4),
        new DeliveryOptions().addHeader(FleetService.ACTION, "delete")).map(m -> (ReplyException) null)
        .recover(err -> io.vertx.core.Future.succeededFuture((ReplyException) err)));
    assertThat(onBus.failureCode()).isEqualTo(409);

    var accepted = api.send(HttpMethod.DELETE, "/v1/fleets/leaving?uninstall=true&confirm=3", null, null);
    JsonObject answer = json(accepted, 202);
    assertThat(answer.getString("status")).isEqualTo("DELETING");
    assertThat(accepted.getHeader("Location")).isEqualTo("/v1/fleets/leaving");
    s.poll(() -> api.get("/v1/fleets/leaving").statusCode(), c -> c == 404, Duration.ofSeconds(30), "forgotten");

    assertThat(connectors("x-0")).isEmpty();
    assertThat(connectors("x-1")).as("someone else's connector stays").containsExactly(6L);
    assertThat(connectors("x-2")).isEmpty();
    assertThat(history("x-2")).filteredOn(e -> e.getString("kind").equals("connector.uninstalled"))
        .singleElement().satisfies(e -> {
          assertThat(e.getString("fleet")).isEqualTo("leaving");
          assertThat(e.getJsonObject("detail").getString("reason")).isEqualTo("delete");
          assertThat(e.getJsonObject("detail").getBoolean("alreadyGone")).isTrue();
        });
  }

  @Test
  void rollbackRemovesTheCyclesAndConnectorsTheHaltedApplyInstalledAndNothingElse() {
    JsonObject spec = fleet(List.of("k-0", "k-1", "k-2", "k-3"), true);
    spec.getJsonObject("policy").getJsonObject("rollout").put("steps", new JsonArray().add(50).add(100));
    // k-0 has no account: step 1 (k-0, k-1) fails 1 of 2 and halts. k-1 already had connector 6 of someone else's.
    TestService.await(changes.deleteAccount("k-0"));
    installedBySomeoneElse("k-1", 6, false);
    json(api.put("undo", spec), 201);
    json(api.post("/v1/fleets/undo/plan", null), 200);
    json(api.post("/v1/fleets/undo/apply", null), 202);
    awaitStatus("undo", "HALTED");
    assertThat(s.cyclr.cycles("k-1")).hasSize(1);
    assertThat(connectors("k-1")).containsExactlyInAnyOrder(1L, 6L);

    long cycleDeletes = deletes("DELETE /v1.0/cycles/{id}");
    JsonObject result = json(api.post("/v1/fleets/undo/rollback", null), 200);
    assertThat(result.getLong("removed")).as("k-1's cycle and connector").isEqualTo(2);
    assertThat(result.getLong("failed")).isZero();
    assertThat(result.getString("status")).isEqualTo("PENDING");
    assertThat(s.cyclr.cycles("k-1")).isEmpty();
    assertThat(connectors("k-1")).containsExactly(6L);
    assertThat(deletes("DELETE /v1.0/cycles/{id}") - cycleDeletes).as("refused while active, then after "
        + "deactivating it").isEqualTo(2);
    assertThat(connectors("k-2")).as("never touched").isEmpty();
    assertThat(history("k-1")).extracting(e -> e.getString("kind")).contains("cycle.uninstalled",
        "connector.uninstalled");
    assertThat(history("k-1")).filteredOn(e -> e.getString("kind").endsWith(".uninstalled"))
        .allSatisfy(e -> assertThat(e.getJsonObject("detail").getString("reason")).isEqualTo("rollback"));
  }
}
