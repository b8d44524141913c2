package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.OutputUnit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running node held to openapi.json: a sample of real calls over every route family has each answer (status,
 * media type, body) checked against what the document says; the fleet apply body is refused by the document's
 * rules (vertx-openapi); and the streamed job intake and the document's JobRequest schema agree on bad bodies.
 */
class OpenApiConformanceTest {
  private static final OpenApiSchemas SCHEMAS = OpenApiSchemas.load();
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestService s;
  private final List<String> wrong = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    s = TestService.start(vertx, dir, e -> e.setAutoCreateAccounts(false), TestService::relayLinks);
  }

  @AfterAll
  static void stop() {
    if (s != null) {
      s.close();
    }
    TestService.await(vertx.close());
  }

  /** A call, its answer checked against the document; {@code headers} are name, value pairs. */
  private HttpResponse<Buffer> call(HttpMethod method, String path, boolean token, String type, Buffer body,
                                    String... headers) {
    HttpRequest<Buffer> req = s.http.requestAbs(method, s.base() + path).timeout(30_000);
    if (token) {
      req.putHeader("Authorization", bearer());
    }
    if (type != null) {
      req.putHeader("Content-Type", type);
    }
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    HttpResponse<Buffer> r = TestService.await(body == null ? req.send() : req.sendBuffer(body));
    wrong.addAll(SCHEMAS.check(method, path, r.statusCode(), r.getHeader("Content-Type"), r.bodyAsString()));
    return r;
  }

  private HttpResponse<Buffer> get(String path, String... headers) {
    return call(HttpMethod.GET, path, true, null, null, headers);
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) {
    return call(HttpMethod.POST, path, true, body == null ? null : "application/json",
        body == null ? null : body.toBuffer());
  }

  @Test
  void everyAnswerOfASampleOfCallsFitsItsDocumentedSchema() {
    // The events these calls cause, held to asyncapi.json's message of their address.
    java.util.Map<String, String> messageOf = java.util.Map.of("onboarder.events.item", "itemEvent",
        "onboarder.events.job", "jobSummary", "onboarder.events.oauth", "oauthEvent",
        "onboarder.events.account", "accountEvent", "onboarder.events.fleet", "fleetEvent");
    java.util.Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
    List<io.vertx.core.eventbus.MessageConsumer<Object>> consumers = new ArrayList<>();
    messageOf.forEach((address, message) -> consumers.add(s.vertx.eventBus().consumer(address, m -> {
      seen.merge(address, 1, Integer::sum);
      OutputUnit fits = SCHEMAS.validateMessage(message, m.body());
      if (!fits.getValid()) {
        wrong.add(address + " event does not fit " + message + ": " + fits.getErrors() + "\nbody: " + m.body());
      }
    })));
    consumers.forEach(c -> TestService.await(c.completion()));
    assertThat(call(HttpMethod.GET, "/openapi.json", false, null, null).bodyAsJsonObject().getString("openapi"))
        .isEqualTo("3.1.0");
    assertThat(call(HttpMethod.GET, "/asyncapi.json", false, null, null).bodyAsJsonObject().getString("asyncapi"))
        .isEqualTo("3.0.0");
    call(HttpMethod.GET, "/health/live", false, null, null);
    call(HttpMethod.GET, "/health/ready", false, null, null);
    call(HttpMethod.GET, "/metrics", false, null, null);

    // Jobs: submit, idempotent repeat, refusals, reads, controls, the event stream.
    JsonObject job = ApiTestSupport.validJob("conf-1", "conf-2");
    HttpResponse<Buffer> created = call(HttpMethod.POST, "/v1/jobs", true, "application/json", job.toBuffer(),
        "Idempotency-Key", "conformance-1");
    assertThat(created.statusCode()).isEqualTo(202);
    String id = created.bodyAsJsonObject().getString("id");
    assertThat(call(HttpMethod.POST, "/v1/jobs", true, "application/json", job.toBuffer(), "Idempotency-Key",
        "conformance-1").statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.POST, "/v1/jobs", true, "application/json", Buffer.buffer("{\"items\": []}"))
        .statusCode()).isEqualTo(400);
    assertThat(call(HttpMethod.POST, "/v1/jobs", true, "application/xml", Buffer.buffer("<job/>")).statusCode())
        .isEqualTo(415);
    assertThat(call(HttpMethod.POST, "/v1/jobs", false, "application/json", job.toBuffer()).statusCode())
        .isEqualTo(401);
    call(HttpMethod.POST, "/v1/jobs?connectorId=1", true, "text/csv", Buffer.buffer("account,authValue\nconf-3,k\n"));
    s.awaitJob(id);
    get("/v1/jobs");
    get("/v1/jobs?limit=0");
    get("/v1/jobs/" + id);
    get("/v1/jobs/no-such-job");
    get("/v1/jobs/" + id + "/items?limit=1");
    get("/v1/jobs/" + id + "/items", "Accept", "text/csv");
    get("/v1/jobs/" + id + "/items", "Accept", "application/x-ndjson");
    get("/v1/jobs/" + id + "/accounts");
    get("/v1/jobs/" + id + "/sign-ins");
    get("/v1/jobs/" + id + "/events");
    post("/v1/jobs/" + id + "/cancel", null);
    post("/v1/jobs/" + id + "/retry", null);
    post("/v1/jobs/" + id + "/items/1/link", null);
    post("/v1/jobs/" + id + "/items/999/link/revoke", null);

    // Fleets: create, read, plan, apply, the controls a converged fleet refuses, delete.
    IntStream.range(0, 3).forEach(i -> s.cyclr.addAccount("conf-f" + i, "Tenant " + i));
    JsonArray tenants = new JsonArray();
    IntStream.range(0, 3).forEach(i -> tenants.add(new JsonObject().put("account", "conf-f" + i).put("authValue", "k")));
    JsonObject spec = new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants)
        .put("policy", new JsonObject().put("rollout", new JsonObject().put("pauseSeconds", 0)));
    assertThat(call(HttpMethod.PUT, "/v1/fleets/conf", true, "application/json", spec.toBuffer()).statusCode())
        .isEqualTo(201);
    get("/v1/fleets");
    get("/v1/fleets/conf");
    get("/v1/fleets/conf/tenants");
    get("/v1/fleets/conf/sign-ins");
    String planId = post("/v1/fleets/conf/plan", null).bodyAsJsonObject().getString("planId");
    get("/v1/fleets/conf/plans/" + planId + "/actions");
    get("/v1/fleets/conf/plans/" + planId + "/actions", "Accept", "text/csv");
    assertThat(post("/v1/fleets/conf/apply", new JsonObject().put("planId", planId)).statusCode()).isEqualTo(202);
    s.poll(() -> get("/v1/fleets/conf").bodyAsJsonObject().getString("status"), "CONVERGED"::equals,
        java.time.Duration.ofSeconds(30), "fleet converged");
    post("/v1/fleets/conf/pause", null);
    post("/v1/fleets/conf/resume", null);
    post("/v1/fleets/conf/rollback", null);
    call(HttpMethod.DELETE, "/v1/fleets/conf?confirm=1", true, null, null);
    assertThat(call(HttpMethod.DELETE, "/v1/fleets/conf?confirm=3", true, null, null).statusCode()).isEqualTo(200);
    get("/v1/fleets/conf");

    get("/v1/accounts/conf-1/history");
    get("/v1/webhooks/deliveries");
    post("/v1/webhooks/deliveries/msg_0123456789abcdef0123456789abcdef/retry", null);
    call(HttpMethod.GET, "/connect/" + "A".repeat(43), false, null, null);
    call(HttpMethod.GET, "/connect/" + "A".repeat(43) + "/done", false, null, null);

    consumers.forEach(c -> TestService.await(c.unregister()));
    assertThat(seen).as("events seen").containsKeys("onboarder.events.item", "onboarder.events.job",
        "onboarder.events.fleet");
    assertThat(wrong).as("answers and events that do not fit openapi.json and asyncapi.json").isEmpty();
  }

  @Test
  void aFleetApplyBodyAgainstTheDocumentIsA400WithItsPointer() {
    JsonObject typo = ApiTestSupport.assertValidation(call(HttpMethod.POST, "/v1/fleets/whatever/apply", true,
        "application/json", new JsonObject().put("planId", 7).toBuffer()), "/planId");
    assertThat(typo.getString("type")).isEqualTo("urn:cyclr-onboarder:problem:validation");
    ApiTestSupport.assertProblem(call(HttpMethod.POST, "/v1/fleets/whatever/apply", true, "application/json",
        Buffer.buffer("[\"planId\"]")), 400);
    ApiTestSupport.assertProblem(call(HttpMethod.POST, "/v1/fleets/whatever/apply", true, "application/json",
        Buffer.buffer("{\"planId\": ")), 400);
    ApiTestSupport.assertProblem(call(HttpMethod.POST, "/v1/fleets/whatever/apply", true, "application/json",
        new JsonObject().put("planId", "p").put("plan", "typo").toBuffer()), 400);
    ApiTestSupport.assertProblem(call(HttpMethod.POST, "/v1/fleets/whatever/apply", true, "application/json",
        new JsonObject().put("planId", "p").toBuffer()), 404);
    ApiTestSupport.assertProblem(call(HttpMethod.POST, "/v1/fleets/NOT_A_NAME/apply", true, null, null), 404);
    assertThat(wrong).as("answers that do not fit openapi.json").isEmpty();
  }

  /**
   * The document's paging bounds are the routes': for every GET with a {@code limit}, its documented maximum is
   * answered and one more is a 400 (the routes check their query parameters themselves).
   */
  @Test
  void everyDocumentedLimitIsTheRoutesLimit() {
    String job = call(HttpMethod.POST, "/v1/jobs", true, "application/json",
        ApiTestSupport.validJob("limits-1").toBuffer()).bodyAsJsonObject().getString("id");
    JsonObject paths = SCHEMAS.doc.getJsonObject("paths");
    int checked = 0;
    for (String template : paths.fieldNames()) {
      JsonObject op = paths.getJsonObject(template).getJsonObject("get");
      JsonObject limit = op == null ? null : op.getJsonArray("parameters", new JsonArray()).stream()
          .map(p -> (JsonObject) p).filter(p -> "limit".equals(p.getString("name"))).findFirst().orElse(null);
      if (limit == null || template.contains("{name}")) {
        continue; // fleets' routes answer 404 for an unknown fleet before they look at the query
      }
      int max = limit.getJsonObject("schema").getInteger("maximum");
      String path = template.replace("{id}", job).replace("{account}", "limits-1");
      assertThat(get(path + "?limit=" + max).statusCode()).as("%s limit=%d", template, max).isEqualTo(200);
      assertThat(get(path + "?limit=" + (max + 1)).statusCode()).as("%s limit=%d", template, max + 1)
          .isEqualTo(400);
      assertThat(get(path + "?limit=0").statusCode()).as("%s limit=0", template).isEqualTo(400);
      checked++;
    }
    call(HttpMethod.PUT, "/v1/fleets/limits", true, "application/json", new JsonObject()
        .put("connector", new JsonObject().put("id", 1)).put("tenants", items("limits-2")).toBuffer());
    assertThat(get("/v1/fleets/limits/tenants?limit=200").statusCode()).isEqualTo(200);
    assertThat(get("/v1/fleets/limits/tenants?limit=201").statusCode()).isEqualTo(400);
    assertThat(checked).as("GET routes with a limit").isGreaterThanOrEqualTo(5);
    assertThat(wrong).as("answers that do not fit openapi.json").isEmpty();
  }

  /** Bad job bodies the schema can state: the intake (400 or 422) and the JobRequest schema both refuse them. */
  @Test
  void theStreamedIntakeAndTheJobRequestSchemaAgreeOnBadBodies() {
    JsonObject connector = new JsonObject().put("id", 1);
    List<JsonObject> bad = new ArrayList<>(List.of(
        new JsonObject().put("connector", connector).putNull("items"),
        new JsonObject().put("connector", connector).put("items", new JsonArray()),
        new JsonObject().put("connector", connector).put("items", "tenant-1"),
        new JsonObject().put("connector", connector).put("items", new JsonArray().add(5)),
        new JsonObject().put("items", new JsonArray().add(new JsonObject().put("account", "no-connector"))),
        new JsonObject().put("connector", new JsonObject().put("id", 0)).put("items", items("a")),
        new JsonObject().put("connector", new JsonObject().put("id", "2")).put("items", items("a")),
        new JsonObject().put("connector", new JsonObject().put("id", 1.5)).put("items", items("a")),
        new JsonObject().put("connector", new JsonObject().put("name", " ")).put("items", items("a")),
        new JsonObject().put("connector", new JsonObject().put("name", "X").put("version", "")).put("items", items("a")),
        new JsonObject().put("connector", new JsonObject()).put("items", items("a")),
        new JsonObject().put("oauth", new JsonObject().put("targetOrigin", "ftp://example.com")),
        new JsonObject().put("oauth", new JsonObject().put("targetOrigin", "app.example.com")),
        new JsonObject().put("oauth", "https://app.example.com"),
        new JsonObject().put("options", new JsonObject().put("toleratedFailurePercent", 101)),
        new JsonObject().put("options", new JsonObject().put("toleratedFailurePercent", "5")),
        new JsonObject().put("options", new JsonObject().put("dryRun", "yes")),
        new JsonObject().put("installName", "x".repeat(201)),
        new JsonObject().put("description", "line\u0001break"),
        new JsonObject().put("template", new JsonObject().put("id", "t").put("name", "n")),
        new JsonObject().put("template", new JsonObject()),
        new JsonObject().put("template", new JsonObject().put("id", "t")).put("activate", new JsonObject().put("interval", 7)),
        new JsonObject().put("template", new JsonObject().put("id", "t")).put("activate", new JsonObject()),
        new JsonObject().put("template", new JsonObject().put("id", "t"))
            .put("activate", new JsonObject().put("interval", 60).put("every", 2)),
        new JsonObject().put("activate", new JsonObject().put("interval", 60)),
        new JsonObject().put("signIn", new JsonObject().put("remindAfterHours", new JsonArray().add(0))),
        new JsonObject().put("signIn", new JsonObject().put("expireAfterHours", 721)),
        new JsonObject().put("signIn", new JsonObject().put("remindAfter", 48))));
    for (JsonObject item : List.of(new JsonObject().put("account", ""), new JsonObject().put("account", " lead"),
        new JsonObject().put("account", "tenänt"), new JsonObject().put("account", "t".repeat(201)),
        new JsonObject().put("account", 42), new JsonObject().put("authValue", "k"),
        new JsonObject().put("account", "a").put("authValue", "k".repeat(8193)),
        new JsonObject().put("account", "a").put("properties", new JsonArray().add(new JsonObject().put("name", "R"))),
        new JsonObject().put("account", "a").put("properties", new JsonArray().add(new JsonObject().put("name", " ")
            .put("value", "v"))),
        new JsonObject().put("account", "a").put("properties", new JsonArray(IntStream.range(0, 101)
            .mapToObj(i -> new JsonObject().put("name", "p" + i).put("value", "v")).toList())),
        new JsonObject().put("account", "a").put("connector", new JsonObject().put("id", -3)),
        new JsonObject().put("account", "a").put("installName", "i".repeat(201)))) {
      bad.add(new JsonObject().put("connector", connector).put("items", new JsonArray().add(item)));
    }
    for (JsonObject body : bad) {
      if (!body.containsKey("items")) {
        body.put("connector", body.getValue("connector", connector)).put("items", items("a"));
      }
      HttpResponse<Buffer> intake = call(HttpMethod.POST, "/v1/jobs", true, "application/json", body.toBuffer());
      OutputUnit schema = SCHEMAS.validate("/components/schemas/JobRequest", body);
      assertThat(intake.statusCode()).as("the intake on %s: %s", body, intake.bodyAsString()).isIn(400, 422);
      assertThat(schema.getValid()).as("the JobRequest schema on %s", body).isFalse();
    }
    for (JsonObject good : List.of(SCHEMAS.doc.getJsonObject("components").getJsonObject("schemas")
            .getJsonObject("JobRequest").getJsonObject("example"),
        ApiTestSupport.validJob("agree-1"),
        new JsonObject().put("template", new JsonObject().put("name", "Sync")).put("connector", connector)
            .put("activate", new JsonObject().put("runOnce", true).put("startTime", "2030-01-31T09:00:00Z"))
            .put("signIn", new JsonObject().put("remindAfterHours", new JsonArray().add(0.5).add(48))
                .put("expireAfterHours", 336))
            .put("options", new JsonObject().put("dryRun", true)).put("items", items("agree-2")))) {
      assertThat(SCHEMAS.validate("/components/schemas/JobRequest", good).getValid()).as("schema on %s", good)
          .isTrue();
      HttpResponse<Buffer> intake = call(HttpMethod.POST, "/v1/jobs", true, "application/json", good.toBuffer());
      assertThat(intake.statusCode()).as("the intake on %s: %s", good, intake.bodyAsString()).isEqualTo(202);
    }
    assertThat(wrong).as("answers that do not fit openapi.json").isEmpty();
  }

  private static JsonArray items(String account) {
    return new JsonArray().add(new JsonObject().put("account", account).put("authValue", "k"));
  }
}
