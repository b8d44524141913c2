package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.assertProblem;
import static io.onboarder.api.ApiTestSupport.bearer;
import static io.onboarder.api.ApiTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/jobs} as a stream, in its three formats (docs/http-api.md, "Big tenant lists"): what a CSV
 * says is exactly what gets installed; a bad row anywhere, a client that goes away or a bound crossed
 * leaves nothing behind (checked in the database itself); big bodies are written in batches and
 * committed once.
 */
class StreamingIntakeTest {
  @TempDir
  static Path dir;
  static ApiTestSupport.Owned svc;
  static TestService s;

  @BeforeAll
  static void start() {
    svc = ApiTestSupport.Owned.start(dir.resolve("svc"), c -> {
      ConfigLoader.put(c, "api.maxItemsPerJob", 20_000);
      ConfigLoader.put(c, "gateway.maxConcurrency", 32);
    });
    s = svc.s;
  }

  @AfterAll
  static void stop() {
    if (svc != null) {
      svc.close();
    }
  }

  static HttpResponse<Buffer> post(String query, String type, String body) {
    return send(s, HttpMethod.POST, "/v1/jobs" + query, bearer(), type, Buffer.buffer(body));
  }

  /** Rows and jobs in the database, including hidden (INTAKE) ones. */
  static long[] stored() {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + s.dbDir.resolve("onboarder.db"));
         Statement st = c.createStatement()) {
      long items;
      try (ResultSet r = st.executeQuery("SELECT COUNT(*) FROM items")) {
        items = r.getLong(1);
      }
      try (ResultSet r = st.executeQuery("SELECT COUNT(*) FROM jobs")) {
        return new long[] {r.getLong(1), items};
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static String csvRows(String prefix, int n) {
    StringBuilder b = new StringBuilder("account,authValue\r\n");
    for (int i = 1; i <= n; i++) {
      b.append(prefix).append('-').append(i).append(",key-").append(i).append("\r\n");
    }
    return b.toString();
  }

  @Test
  void aCsvWithPropertiesQuotedFieldsAndABomInstallsExactlyWhatItSays() {
    String csv = "\uFEFFaccount,authValue,installName,connectorId,prop:Region\r\n"
        + "csv-a,\"key,with,commas\",\"Sales \"\"EU\"\"\",,\"eu-west,\r\neu-central\"\r\n"
        + "csv-b,plain-key,,6,us\r\n";
    HttpResponse<Buffer> r = post("?connectorId=1&installName=Default%20Name", "text/csv; charset=utf-8", csv);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    String id = r.bodyAsJsonObject().getString("id");
    assertThat(r.getHeader("Location")).isEqualTo("/v1/jobs/" + id);
    s.awaitJob(id);
    assertThat(s.job(id).getString("status")).as("failed items: %s", s.items(id, "FAILED")).isEqualTo("SUCCEEDED");

    JsonObject a = s.cyclr.accountConnectors("csv-a").get(0);
    assertThat(a.getString("Name")).isEqualTo("Sales \"EU\"");
    assertThat(a.getJsonObject("Connector").getLong("Id")).isEqualTo(1L);
    assertThat(a.getJsonArray("Properties")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("Name", "Region").put("Value", "eu-west,\r\neu-central")));
    JsonObject b = s.cyclr.accountConnectors("csv-b").get(0);
    assertThat(b.getString("Name")).as("job-level install name from the query").isEqualTo("Default Name");
    assertThat(b.getJsonObject("Connector").getLong("Id")).as("per-row connector").isEqualTo(6L);
    assertThat(b.getJsonArray("Properties")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("Name", "Region").put("Value", "us")));
    assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
  }

  @Test
  void aBadRowNearTheEndRejectsTheWholeJobWithItsLineAndLeavesNothingBehind() {
    long[] before = stored();
    // Several batches are written before the bad row arrives: they must all go.
    String csv = csvRows("late", 9_999) + " bad-account,key\r\n";
    HttpResponse<Buffer> r = post("?connectorId=1", "text/csv", csv);
    JsonObject p = assertProblem(r, 400);
    assertThat(p.getString("detail")).startsWith("line 10001, column 1 (account): ");
    JsonObject e = p.getJsonArray("errors").getJsonObject(0);
    assertThat(e.getString("pointer")).isEqualTo("/items/9999/account");
    assertThat(e.getInteger("line")).isEqualTo(10001);
    assertThat(e.getInteger("column")).isEqualTo(1);
    assertThat(stored()).as("jobs and items in the database").containsExactly(before);
    assertThat(s.cyclr.accountConnectors("late-1")).isEmpty();
  }

  @Test
  void aMissingAccountColumnIsA400OnLine1() {
    JsonObject p = assertProblem(post("?connectorId=1", "text/csv", "tenant,authValue\nt-1,k\n"), 400);
    assertThat(p.getString("detail")).contains("line 1").contains("'account'");
  }

  @Test
  void badQueryParametersAreNamed() {
    JsonObject p = assertProblem(post("?connectorId=abc&dryRun=maybe", "text/csv", "account\nt-1\n"), 400);
    assertThat(p.getJsonArray("errors").stream().map(o -> ((JsonObject) o).getString("parameter")))
        .contains("connectorId", "dryRun");
  }

  @Test
  void aClientThatDisconnectsMidBodyLeavesNothingBehind() {
    long[] before = stored();
    HttpClient client = svc.vertx.createHttpClient();
    try {
      String rows = csvRows("gone", 12_000);
      Future<HttpClientRequest> req = client.request(new RequestOptions().setMethod(HttpMethod.POST)
          .setAbsoluteURI(s.base() + "/v1/jobs?connectorId=1")
          .putHeader("Authorization", bearer())
          .putHeader("Content-Type", "text/csv"));
      TestService.await(req.compose(q -> {
        q.setChunked(true);
        // Most of the body (several batches), then the connection is cut.
        return q.write(rows.substring(0, rows.length() * 3 / 4)).compose(v -> svc.vertx.timer(300))
            .compose(v -> q.connection().close());
      }));
      s.poll(StreamingIntakeTest::stored, now -> now[0] == before[0] && now[1] == before[1],
          Duration.ofSeconds(20), "the abandoned upload to be deleted");
      assertThat(ApiTestSupport.get(s, "/v1/jobs?limit=200").bodyAsJsonObject().getJsonArray("jobs").stream()
          .map(j -> ((JsonObject) j).getLong("total"))).doesNotContain(12_000L);
    } finally {
      client.close();
    }
  }

  @Test
  void ndjsonTakesTheJobFromLine1AndOneItemPerLine() {
    String body = "{\"connector\": {\"id\": 1}, \"installName\": \"From NDJSON\"}\n"
        + "{\"account\": \"nd-1\", \"authValue\": \"k1\"}\n"
        + "{\"account\": \"nd-2\", \"authValue\": \"k2\", \"installName\": \"Own name\"}\n";
    HttpResponse<Buffer> r = post("", "application/x-ndjson", body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    assertThat(s.awaitJob(r.bodyAsJsonObject().getString("id")).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(s.cyclr.accountConnectors("nd-1").get(0).getString("Name")).isEqualTo("From NDJSON");
    assertThat(s.cyclr.accountConnectors("nd-2").get(0).getString("Name")).isEqualTo("Own name");

    JsonObject p = assertProblem(post("", "application/x-ndjson", "{\"connector\": {\"id\": 1}}\n{\"account\": \"ok\"}\n"
        + "{\"account\": 5}\n"), 400);
    assertThat(p.getString("detail")).startsWith("line 3: ");
    assertThat(p.getJsonArray("errors").getJsonObject(0).getString("pointer")).isEqualTo("/items/1/account");
  }

  @Test
  void aBigJsonBodyIsWrittenInBatchesAndCommittedOnceInSubmissionOrder() {
    JsonObject job = TestService.apiKeyJob("big", 10_000);
    // Job fields after the items are fine too.
    JsonObject reordered = new JsonObject().put("items", job.getJsonArray("items")).put("connector",
        new JsonObject().put("id", 1)).put("options", new JsonObject().put("dryRun", true));
    HttpResponse<Buffer> r = post("", "application/json", reordered.encode());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    String id = r.bodyAsJsonObject().getString("id");
    assertThat(r.bodyAsJsonObject().getInteger("total")).isEqualTo(10_000);
    List<JsonObject> items = s.items(id, null);
    assertThat(items).hasSize(10_000);
    assertThat(items.get(0).getString("account")).isEqualTo("big-0001");
    assertThat(items.get(9_999).getString("account")).isEqualTo("big-10000");
    s.awaitJob(id, Duration.ofSeconds(120));
  }

  @Test
  void idempotencyKeysWorkForStreamedBodies() {
    String csv = csvRows("idem", 5_000);
    HttpResponse<Buffer> first = send(s, HttpMethod.POST, "/v1/jobs?connectorId=1&dryRun=true", bearer(), "text/csv",
        Buffer.buffer(csv), "stream-key-1");
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(202);
    HttpResponse<Buffer> again = send(s, HttpMethod.POST, "/v1/jobs?connectorId=1&dryRun=true", bearer(), "text/csv",
        Buffer.buffer(csv), "stream-key-1");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getString("id")).isEqualTo(first.bodyAsJsonObject().getString("id"));
    long[] before = stored();
    HttpResponse<Buffer> other = send(s, HttpMethod.POST, "/v1/jobs?connectorId=1&dryRun=true", bearer(), "text/csv",
        Buffer.buffer(csv.replace("idem-4999,", "idem-x,")), "stream-key-1");
    assertProblem(other, 409);
    assertThat(stored()).containsExactly(before);
    s.awaitJob(first.bodyAsJsonObject().getString("id"), Duration.ofSeconds(120));
  }

  @Test
  void moreItemsThanAJobMayHoldIsA422AndNothingIsStored() {
    long[] before = stored();
    JsonObject p = assertProblem(post("?connectorId=1", "text/csv", csvRows("many", 20_001)), 422);
    assertThat(p.getJsonArray("errors").getJsonObject(0).getString("pointer")).isEqualTo("/items");
    assertThat(stored()).containsExactly(before);
  }

  @Test
  void intakeAboveTheNodesByteBoundIsA503WithRetryAfter() {
    try (ApiTestSupport.Owned tight = ApiTestSupport.Owned.start(dir.resolve("tight"),
        c -> ConfigLoader.put(c, "api.maxIntakeBytes", 100_000))) {
      HttpClient client = tight.vertx.createHttpClient();
      try {
        // A first upload that has declared 90,000 bytes and sends them slowly holds its share…
        HttpClientRequest slow = TestService.await(client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setAbsoluteURI(tight.s.base() + "/v1/jobs?connectorId=1")
            .putHeader("Authorization", bearer()).putHeader("Content-Type", "text/csv")
            .putHeader("Content-Length", "90000")));
        TestService.await(slow.write("account\n"));
        // …so a second one that would pass the bound is turned away at once, with a hint when to retry
        // (asked until the first one's headers have surely arrived).
        String body = csvRows("second", 1_000);
        HttpResponse<Buffer> r = tight.s.poll(() -> TestService.await(tight.s.http
                .postAbs(tight.s.base() + "/v1/jobs?connectorId=1&dryRun=true")
                .bearerTokenAuthentication(TestService.TOKEN).putHeader("Content-Type", "text/csv")
                .sendBuffer(Buffer.buffer(body))),
            resp -> resp.statusCode() == 503, Duration.ofSeconds(10), "a 503");
        assertProblem(r, 503);
        assertThat(r.getHeader("Retry-After")).isNotBlank();
        slow.reset();
      } finally {
        client.close();
      }
    }
  }

  @Test
  void aClientThatAsksBeforeSendingItsBodyIsToldToGoOn() {
    HttpClient client = svc.vertx.createHttpClient();
    try {
      String body = csvRows("expect", 3);
      Future<Integer> status = client.request(new RequestOptions().setMethod(HttpMethod.POST)
              .setAbsoluteURI(s.base() + "/v1/jobs?connectorId=1&dryRun=true")
              .putHeader("Authorization", bearer()).putHeader("Content-Type", "text/csv")
              .putHeader("Content-Length", String.valueOf(body.length())).putHeader("Expect", "100-continue"))
          .compose(req -> {
            // The body goes only once the server said 100 Continue (curl waits a second otherwise).
            req.continueHandler(v -> req.end(body));
            return req.sendHead().compose(v -> req.response()).map(r -> r.statusCode());
          });
      assertThat(TestService.await(status.timeout(5, java.util.concurrent.TimeUnit.SECONDS))).isEqualTo(202);
    } finally {
      client.close();
    }
  }

  @Test
  void theEventBusStillTakesAJsonObject() {
    JsonObject reply = TestService.await(s.vertx.eventBus().<JsonObject>request("onboarder.jobs.submit",
        TestService.apiKeyJob("bus", 3), new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(30_000))).body();
    assertThat(s.awaitJob(reply.getString("id")).getString("status")).isEqualTo("SUCCEEDED");
  }
}
