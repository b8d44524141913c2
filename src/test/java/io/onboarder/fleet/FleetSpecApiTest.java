package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static io.onboarder.fleet.FleetClient.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.job.JobService;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PUT/GET/DELETE /v1/fleets} and the bus's {@code put/get/list/tenants/delete} (docs/fleets.md, "The
 * spec"): created 201, updated or unchanged 200, the generation as ETag, If-Match 412, the three body
 * formats with the job rules and pointers under /tenants, owners and admins as for jobs.
 */
class FleetSpecApiTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  static FleetClient alice;
  static FleetClient bob;
  static FleetClient ops;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    s = TestService.start(vertx, dir, e -> { },
        c -> ConfigLoader.put(c, "api.tokens", "alice:tok-a,bob:tok-b,ops:tok-ops:admin"));
    alice = new FleetClient(s, "tok-a");
    bob = new FleetClient(s, "tok-b");
    ops = new FleetClient(s, "tok-ops");
  }

  @AfterAll
  static void stop() {
    s.close();
    TestService.await(vertx.close());
  }

  @Test
  void putCreatesThenUpdatesOnlyOnAChangeAndIfMatchGuardsConcurrentEdits() {
    HttpResponse<Buffer> created = alice.put("acme", FleetClient.fleet("t-", 25)
        .put("policy", new JsonObject().put("reconcileIntervalSeconds", 60)
            .put("rollout", new JsonObject().put("steps", new JsonArray().add(5).add(50).add(100)))));
    JsonObject fleet = json(created, 201);
    assertThat(created.getHeader("ETag")).isEqualTo("\"1\"");
    assertThat(created.getHeader("Location")).isEqualTo("/v1/fleets/acme");
    assertThat(fleet.getString("name")).isEqualTo("acme");
    assertThat(fleet.getLong("generation")).isEqualTo(1);
    assertThat(fleet.getValue("appliedGeneration")).isNull();
    assertThat(fleet.getString("status")).isEqualTo("PENDING");
    assertThat(fleet.getJsonObject("tenants").getLong("PENDING")).isEqualTo(25);
    assertThat(fleet.getJsonObject("rollout").getJsonArray("steps").encode()).isEqualTo("[5,50,100]");
    JsonObject policy = fleet.getJsonObject("spec").getJsonObject("policy");
    assertThat(policy.getInteger("reconcileIntervalSeconds")).isEqualTo(60);
    assertThat(policy.getBoolean("autoRepair")).as("default").isTrue();
    assertThat(policy.getJsonObject("rollout").getInteger("pauseSeconds")).as("default").isEqualTo(600);
    assertThat(fleet.encode()).doesNotContain("key-t-");

    JsonObject same = json(alice.put("acme", FleetClient.fleet("t-", 25).put("policy", policy)), 200);
    assertThat(same.getLong("generation")).as("nothing changed").isEqualTo(1);
    HttpResponse<Buffer> changed = alice.put("acme", FleetClient.fleet("t-", 30).put("policy", policy),
        "If-Match", "\"1\"");
    assertThat(json(changed, 200).getLong("generation")).isEqualTo(2);
    assertThat(changed.getHeader("ETag")).isEqualTo("\"2\"");
    problem(alice.put("acme", FleetClient.fleet("t-", 31), "If-Match", "\"1\""), 412);
    problem(alice.put("fresh", FleetClient.fleet("t-", 3), "If-Match", "\"1\""), 412);
    problem(alice.put("acme", FleetClient.fleet("t-", 31), "If-Match", "soon"), 400);

    HttpResponse<Buffer> got = alice.get("/v1/fleets/acme");
    assertThat(json(got, 200).getLong("total")).isEqualTo(30);
    assertThat(got.getHeader("ETag")).isEqualTo("\"2\"");
    for (String field : new String[] {"lastReconcileAt", "nextReconcileAt", "drift", "rollout", "appliedGeneration"}) {
      assertThat(json(got, 200).containsKey(field)).as(field).isTrue();
    }
  }

  @Test
  void everyBodyFormatIsCheckedByTheJobRulesWithPointersUnderTenants() {
    JsonObject bad = FleetClient.fleet("v-", 3);
    bad.getJsonArray("tenants").getJsonObject(1).put("account", "");
    bad.put("policy", new JsonObject().put("reconcileIntervalSeconds", 5).put("rollout",
        new JsonObject().put("steps", new JsonArray().add(10).add(5))));
    JsonObject p = problem(alice.put("checked", bad), 400);
    assertThat(p.getJsonArray("errors").encode()).contains("/tenants/1/account", "/policy/reconcileIntervalSeconds",
        "/policy/rollout/steps/1");
    problem(alice.put("Bad_Name", FleetClient.fleet("v-", 1)), 400);
    problem(alice.put("empty", new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("tenants", new JsonArray())), 400);
    JsonObject noConnector = new JsonObject().put("tenants", new JsonArray().add(new JsonObject().put("account", "a")));
    assertThat(problem(alice.put("noconn", noConnector), 400).encode()).contains("/tenants/0/connector");
    JsonObject twice = FleetClient.fleet("d-", 3);
    twice.getJsonArray("tenants").add(new JsonObject().put("account", "d-1"));
    assertThat(problem(alice.put("twice", twice), 400).getString("detail")).contains("one tenant per account");
    assertThat(alice.get("/v1/fleets/twice").statusCode()).isEqualTo(404);

    String ndjson = "{\"connector\":{\"id\":1},\"createAccounts\":true,\"policy\":{\"prune\":true}}\n"
        + "{\"account\":\"n-1\",\"authValue\":\"k1\"}\n{\"account\":\"n-2\",\"authValue\":\"k2\"}\n";
    JsonObject nd = json(alice.send(HttpMethod.PUT, "/v1/fleets/nd", "application/x-ndjson", Buffer.buffer(ndjson)),
        201);
    assertThat(nd.getLong("total")).isEqualTo(2);
    assertThat(nd.getJsonObject("spec").getBoolean("createAccounts")).isTrue();
    assertThat(nd.getJsonObject("spec").getJsonObject("policy").getBoolean("prune")).isTrue();

    String csv = "account,authValue,prop:Region\nc-1,k1,eu\nc-2,k2,us\nc-3,k3,eu\n";
    JsonObject c = json(alice.send(HttpMethod.PUT, "/v1/fleets/csv?connectorId=1&steps=50,100&autoApply=true",
        "text/csv", Buffer.buffer(csv)), 201);
    assertThat(c.getLong("total")).isEqualTo(3);
    assertThat(c.getJsonObject("rollout").getJsonArray("steps").encode()).isEqualTo("[50,100]");
    assertThat(c.getJsonObject("spec").getJsonObject("policy").getBoolean("autoApply")).isTrue();
    JsonObject badCsv = problem(alice.send(HttpMethod.PUT, "/v1/fleets/csv2?connectorId=1", "text/csv",
        Buffer.buffer("account\nok\n \n")), 400);
    assertThat(badCsv.getJsonArray("errors").getJsonObject(0).getInteger("line")).isEqualTo(3);
    problem(alice.send(HttpMethod.PUT, "/v1/fleets/x", "text/plain", Buffer.buffer("a")), 415);
  }

  @Test
  void callersSeeTheirOwnFleetsAdminsSeeAllAndTenantsPageByAccount() throws Exception {
    json(bob.put("bobs", FleetClient.fleet("b-", 205)), 201);
    problem(alice.get("/v1/fleets/bobs"), 404);
    problem(alice.get("/v1/fleets/bobs/sign-ins"), 404);
    assertThat(json(bob.get("/v1/fleets/bobs/sign-ins"), 200).getLong("issued")).as("never applied").isZero();
    assertThat(json(ops.get("/v1/fleets/bobs/sign-ins"), 200).getValue("medianSecondsToSignIn")).isNull();
    problem(alice.put("bobs", FleetClient.fleet("a-", 1)), 409);
    assertThat(json(alice.get("/v1/fleets"), 200).getJsonArray("fleets").stream()
        .map(f -> ((JsonObject) f).getString("name"))).doesNotContain("bobs");
    assertThat(json(ops.get("/v1/fleets"), 200).getJsonArray("fleets").stream()
        .map(f -> ((JsonObject) f).getString("name"))).contains("bobs");

    JsonObject page1 = json(bob.get("/v1/fleets/bobs/tenants?limit=200"), 200);
    assertThat(page1.getJsonArray("items")).hasSize(200);
    JsonObject first = page1.getJsonArray("items").getJsonObject(0);
    assertThat(first.fieldNames()).contains("account", "state", "accountConnectorId", "authenticated", "cycleId",
        "cycleStatus", "lastCheckedAt", "url");
    JsonObject page2 = json(bob.get("/v1/fleets/bobs/tenants?limit=200&cursor=" + page1.getString("next")), 200);
    assertThat(page2.getJsonArray("items")).hasSize(5);
    assertThat(page2.getValue("next")).isNull();
    assertThat(json(bob.get("/v1/fleets/bobs/tenants?state=FAILED"), 200).getJsonArray("items")).isEmpty();
    problem(bob.get("/v1/fleets/bobs/tenants?state=BROKEN"), 400);
    problem(bob.get("/v1/fleets/bobs/tenants?limit=500"), 400);
    problem(bob.get("/v1/fleets/bobs/tenants?cursor=%%%"), 400);

    // Auth values are sealed at rest.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("onboarder.db"));
         Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT auth_value FROM fleet_tenants")) {
      while (rs.next()) {
        assertThat(rs.getString(1)).doesNotContain("key-");
      }
    }

    problem(bob.send(HttpMethod.DELETE, "/v1/fleets/bobs?confirm=3", null, null), 409);
    problem(alice.send(HttpMethod.DELETE, "/v1/fleets/bobs?confirm=205", null, null), 404);
    JsonObject deleted = json(bob.send(HttpMethod.DELETE, "/v1/fleets/bobs?confirm=205", null, null), 200);
    assertThat(deleted.getBoolean("deleted")).isTrue();
    problem(bob.get("/v1/fleets/bobs"), 404);
  }

  @Test
  void theBusOffersTheSameOperations() {
    DeliveryOptions put = new DeliveryOptions().addHeader(FleetService.ACTION, "put");
    JsonObject answer = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS, new JsonObject()
        .put("name", "bus").put("fleet", FleetClient.fleet("e-", 4)), put)).body();
    assertThat(answer.getLong("generation")).isEqualTo(1);
    assertThat(answer.getBoolean("created")).isTrue();
    JsonObject got = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.FLEETS,
        new JsonObject().put("name", "bus"), new DeliveryOptions().addHeader(FleetService.ACTION, "get"))).body();
    assertThat(got.getLong("total")).isEqualTo(4);
    // A caller named in the header sees only its own.
    Throwable hidden = vertx.eventBus().request(Addresses.FLEETS, new JsonObject().put("name", "bus"),
        new DeliveryOptions().addHeader(FleetService.ACTION, "get").addHeader(JobService.CALLER, "alice"))
        .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).toCompletionStage().toCompletableFuture()
        .join();
    assertThat(((ReplyException) hidden).failureCode()).isEqualTo(404);
    Throwable unknown = vertx.eventBus().request(Addresses.FLEETS, new JsonObject(),
        new DeliveryOptions().addHeader(FleetService.ACTION, "explode"))
        .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).toCompletionStage().toCompletableFuture()
        .join();
    assertThat(((ReplyException) unknown).failureCode()).isEqualTo(400);
  }
}
