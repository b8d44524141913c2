package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.ITEM_STATUSES;
import static io.onboarder.api.ApiTestSupport.assertProblem;
import static io.onboarder.api.ApiTestSupport.assertProblemJson;
import static io.onboarder.api.ApiTestSupport.bearer;
import static io.onboarder.api.ApiTestSupport.get;
import static io.onboarder.api.ApiTestSupport.item;
import static io.onboarder.api.ApiTestSupport.post;
import static io.onboarder.api.ApiTestSupport.postJob;
import static io.onboarder.api.ApiTestSupport.validJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The success paths and state conflicts of the HTTP API, and the event-bus trigger (docs/http-api.md, docs/events.md). */
@ExtendWith(VertxExtension.class)
class HttpApiContractTest {
  @TempDir
  static Path dir;
  static TestService s;

  @BeforeAll
  static void start(Vertx vertx) {
    s = TestService.start(vertx, dir, e -> { }, c -> { });
  }

  @AfterAll
  static void stop() {
    if (s != null) {
      s.close();
    }
  }

  private static String uniq(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static HttpResponse<Buffer> postWithKey(String key, JsonObject body) {
    return TestService.await(s.http.postAbs(s.base() + "/v1/jobs").putHeader("Authorization", bearer())
        .putHeader("Content-Type", "application/json").putHeader("Idempotency-Key", key).sendBuffer(body.toBuffer()));
  }

  static void assertSummary(JsonObject j, int total) {
    assertThat(j.fieldNames()).as("summary %s", j)
        .contains("id", "status", "createdAt", "finishedAt", "total", "counts");
    assertThat(j.getString("id")).isNotBlank();
    assertThat(j.getString("status")).isIn("PENDING", "RUNNING", "SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");
    assertThat(Instant.parse(j.getString("createdAt"))).isBefore(Instant.now().plusSeconds(5));
    assertThat(j.getValue("total")).isEqualTo(total);
    JsonObject counts = j.getJsonObject("counts");
    assertThat(counts.fieldNames()).as("counts %s", counts).containsExactlyInAnyOrder(ITEM_STATUSES);
    long sum = 0;
    for (String status : ITEM_STATUSES) {
      assertThat(counts.getValue(status)).as("count %s", status).isInstanceOf(Number.class);
      sum += counts.getLong(status);
    }
    assertThat(sum).as("counts add up to total in %s", j).isEqualTo(total);
    if (TestService.TERMINAL.contains(j.getString("status"))) {
      assertThat(Instant.parse(j.getString("finishedAt"))).isAfterOrEqualTo(Instant.parse(j.getString("createdAt")));
    }
  }

  // ---- submit --------------------------------------------------------------------------------

  @Test
  void submitAnswers202WithLocationAndSummary() {
    String a = uniq("sub");
    HttpResponse<Buffer> r = postJob(s, validJob(a + "-1", a + "-2", a + "-3"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    JsonObject summary = r.bodyAsJsonObject();
    assertSummary(summary, 3);
    String id = summary.getString("id");
    assertThat(r.getHeader("Location")).isEqualTo("/v1/jobs/" + id);
    assertThat(summary.getString("status")).isIn("PENDING", "RUNNING");
    assertThat(summary.containsKey("finishedAt")).isTrue();
    assertThat(summary.getValue("finishedAt")).isNull();

    HttpResponse<Buffer> byLocation = get(s, r.getHeader("Location"));
    assertThat(byLocation.statusCode()).isEqualTo(200);
    assertThat(byLocation.getHeader("Content-Type")).startsWith("application/json");
    assertSummary(byLocation.bodyAsJsonObject(), 3);
    assertThat(byLocation.bodyAsJsonObject().getString("id")).isEqualTo(id);

    JsonObject done = s.awaitJob(id);
    assertSummary(done, 3);
    assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(done.getJsonObject("counts").getLong("INSTALLED")).isEqualTo(3);
    assertThat(done.getString("finishedAt")).isNotNull();
  }

  @Test
  void jsonSubtypeContentTypeWithCharsetIsAccepted() {
    HttpResponse<Buffer> r = TestService.await(s.http.postAbs(s.base() + "/v1/jobs")
        .putHeader("Authorization", "bearer " + TestService.TOKEN)
        .putHeader("Content-Type", "Application/JSON; charset=utf-8")
        .sendBuffer(validJob(uniq("ct")).toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    s.awaitJob(r.bodyAsJsonObject().getString("id"));
  }

  // ---- idempotency -----------------------------------------------------------------------------

  @Test
  void sameIdempotencyKeyAndSameBodyReturnsTheSameJobWith200() {
    String key = uniq("key");
    JsonObject job = validJob(uniq("idem") + "-1", uniq("idem") + "-2");
    HttpResponse<Buffer> first = postWithKey(key, job);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(202);
    String id = first.bodyAsJsonObject().getString("id");

    HttpResponse<Buffer> again = postWithKey(key, job);
    assertThat(again.statusCode()).as(again.bodyAsString()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getString("id")).isEqualTo(id);
    assertThat(again.getHeader("Location")).isEqualTo("/v1/jobs/" + id);
    assertSummary(again.bodyAsJsonObject(), 2);

    // The same body re-serialised (other key order, whitespace) is still the same request.
    JsonObject reordered = new JsonObject().put("items", job.getJsonArray("items").copy())
        .put("connector", job.getJsonObject("connector").copy());
    HttpResponse<Buffer> pretty = postWithKey(key, new JsonObject(reordered.encodePrettily()));
    assertThat(pretty.statusCode()).as(pretty.bodyAsString()).isEqualTo(200);
    assertThat(pretty.bodyAsJsonObject().getString("id")).isEqualTo(id);

    // After the job finished, too.
    s.awaitJob(id);
    HttpResponse<Buffer> late = postWithKey(key, job);
    assertThat(late.statusCode()).isEqualTo(200);
    assertThat(late.bodyAsJsonObject().getString("id")).isEqualTo(id);
    assertThat(late.bodyAsJsonObject().getString("status")).isEqualTo("SUCCEEDED");

    // Without a key, the same body is a new job.
    HttpResponse<Buffer> noKey = postJob(s, job);
    assertThat(noKey.statusCode()).isEqualTo(202);
    assertThat(noKey.bodyAsJsonObject().getString("id")).isNotEqualTo(id);
    s.awaitJob(noKey.bodyAsJsonObject().getString("id"));
  }

  @Test
  void sameIdempotencyKeyWithDifferentBodyIs409() {
    String key = uniq("key");
    String a = uniq("conf");
    JsonObject job = validJob(a + "-1");
    HttpResponse<Buffer> first = postWithKey(key, job);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(202);

    assertProblem(postWithKey(key, validJob(a + "-2")), 409);
    // A different auth value is a different body too.
    JsonObject otherSecret = job.copy();
    otherSecret.getJsonArray("items").getJsonObject(0).put("authValue", "another-key");
    assertProblem(postWithKey(key, otherSecret), 409);
    JsonObject dryRun = job.copy().put("options", new JsonObject().put("dryRun", true));
    assertProblem(postWithKey(key, dryRun), 409);
    s.awaitJob(first.bodyAsJsonObject().getString("id"));
  }

  // ---- listing and paging --------------------------------------------------------------------

  @Test
  void listsRecentJobs() {
    String first = s.submit(validJob(uniq("list")));
    String second = s.submit(validJob(uniq("list")));
    HttpResponse<Buffer> r = get(s, "/v1/jobs");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    JsonArray jobs = r.bodyAsJsonObject().getJsonArray("jobs");
    List<String> ids = jobs.stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertThat(ids).contains(first, second).doesNotHaveDuplicates();
    jobs.forEach(o -> assertSummary((JsonObject) o, ((JsonObject) o).getInteger("total")));
    // Most recent first.
    assertThat(ids.indexOf(second)).isLessThan(ids.indexOf(first));

    JsonArray one = get(s, "/v1/jobs?limit=1").bodyAsJsonObject().getJsonArray("jobs");
    assertThat(one).hasSize(1);
    assertThat(one.getJsonObject(0).getString("id")).isEqualTo(second);
    s.awaitJob(first);
    s.awaitJob(second);
  }

  @Test
  void itemsPageWithCursorsAndFilterByStatus() {
    String a = uniq("page");
    JsonArray items = new JsonArray();
    for (int i = 1; i <= 5; i++) {
      items.add(item(a + "-ok-" + i));
    }
    for (int i = 1; i <= 2; i++) {
      // An unknown connector: these items fail.
      items.add(item(a + "-bad-" + i).put("connector", new JsonObject().put("id", 987654)));
    }
    String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
    JsonObject done = s.awaitJob(id);
    assertSummary(done, 7);
    assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
    assertThat(done.getJsonObject("counts").getLong("INSTALLED")).isEqualTo(5);
    assertThat(done.getJsonObject("counts").getLong("FAILED")).isEqualTo(2);

    List<JsonObject> all = page(id, "limit=2", 2);
    assertThat(all).hasSize(7);
    assertThat(all.stream().map(i -> i.getString("id"))).doesNotHaveDuplicates();
    Set<String> accounts = new HashSet<>();
    all.forEach(i -> accounts.add(i.getString("account")));
    assertThat(accounts).hasSize(7).contains(a + "-ok-1", a + "-ok-5", a + "-bad-1", a + "-bad-2");
    for (JsonObject i : all) {
      assertThat(i.fieldNames()).contains("id", "account", "connectorId", "status", "attempts", "error")
          .doesNotContain("authValue");
    }

    List<JsonObject> failed = page(id, "status=FAILED&limit=1", 1);
    assertThat(failed).hasSize(2).allSatisfy(i -> {
      assertThat(i.getString("status")).isEqualTo("FAILED");
      assertThat(i.getString("account")).startsWith(a + "-bad-");
      assertThat(i.getJsonObject("error").getString("code")).isEqualTo("CONNECTOR_NOT_FOUND");
      assertThat(i.getJsonObject("error").getString("message")).isNotBlank();
    });
    List<JsonObject> installed = page(id, "status=INSTALLED&limit=2", 2);
    assertThat(installed).hasSize(5).allSatisfy(i -> {
      assertThat(i.getString("status")).isEqualTo("INSTALLED");
      assertThat(i.getValue("error")).isNull();
      assertThat(i.getLong("connectorId")).isEqualTo(1L);
      assertThat(i.getLong("accountConnectorId")).isNotNull();
    });
    assertThat(page(id, "status=CANCELLED", 100)).isEmpty();
  }

  /** Follows {@code next} until null; every page holds at most {@code limit} items. */
  private static List<JsonObject> page(String id, String query, int limit) {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      HttpResponse<Buffer> r = get(s, "/v1/jobs/" + id + "/items?" + query + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.fieldNames()).contains("items", "next");
      JsonArray items = body.getJsonArray("items");
      assertThat(items.size()).isLessThanOrEqualTo(limit);
      items.forEach(o -> all.add((JsonObject) o));
      String next = body.getString("next");
      if (next != null) {
        assertThat(items).as("a page with a next cursor is full").hasSize(limit);
      }
      cursor = next;
      assertThat(++pages).as("pages").isLessThan(100);
    } while (cursor != null);
    return all;
  }

  // ---- cancel and retry conflicts ------------------------------------------------------------

  @Test
  void cancelOfAFinishedJobIs409() {
    String id = s.submit(validJob(uniq("cancel")));
    assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
    JsonObject p = assertProblem(post(s, "/v1/jobs/" + id + "/cancel"), 409);
    assertThat(p.getString("detail")).contains(id);
    assertThat(s.job(id).getString("status")).isEqualTo("SUCCEEDED");
  }

  @Test
  void retryOfAJobWithNoFailedItemsIs409() {
    String id = s.submit(validJob(uniq("retry")));
    assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
    assertProblem(post(s, "/v1/jobs/" + id + "/retry"), 409);
    assertThat(s.job(id).getString("status")).isEqualTo("SUCCEEDED");
  }

  @Test
  void retryReRunsFailedItems() {
    String a = uniq("rerun");
    String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", new JsonArray()
        .add(item(a + "-1"))
        .add(item(a + "-2").put("connector", new JsonObject().put("id", 987654)))));
    assertThat(s.awaitJob(id).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
    HttpResponse<Buffer> r = post(s, "/v1/jobs/" + id + "/retry");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertSummary(r.bodyAsJsonObject(), 2);
    assertThat(r.bodyAsJsonObject().getString("id")).isEqualTo(id);
    JsonObject again = s.awaitJob(id);
    assertThat(again.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
    assertThat(s.items(id, "FAILED")).singleElement()
        .satisfies(i -> assertThat(i.getInteger("attempts")).isGreaterThanOrEqualTo(1));
    assertThat(s.cyclr.stats().installsFor(a + "-1")).isEqualTo(1);
  }

  @Test
  void concurrentSubmitsWithTheSameKeyMakeOneJob() {
    String key = uniq("race");
    String a = uniq("race");
    JsonObject job = validJob(a + "-1", a + "-2");
    List<io.vertx.core.Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(s.http.postAbs(s.base() + "/v1/jobs").putHeader("Authorization", bearer())
          .putHeader("Content-Type", "application/json").putHeader("Idempotency-Key", key)
          .sendBuffer(job.toBuffer()));
    }
    TestService.await(io.vertx.core.Future.join(answers));
    List<HttpResponse<Buffer>> rs = answers.stream().map(io.vertx.core.Future::result).toList();
    assertThat(rs.stream().map(HttpResponse::statusCode)).as("%s", rs.stream().map(HttpResponse::bodyAsString).toList())
        .containsOnly(200, 202).containsOnlyOnce(202);
    Set<String> ids = new HashSet<>();
    rs.forEach(r -> ids.add(r.bodyAsJsonObject().getString("id")));
    assertThat(ids).hasSize(1);
    s.awaitJob(ids.iterator().next());
    assertThat(s.cyclr.stats().installsFor(a + "-1")).isEqualTo(1);
    assertThat(s.cyclr.stats().installsFor(a + "-2")).isEqualTo(1);
  }

  @Test
  void cancelAndRetryOfARunningJob() {
    // A slow Cyclr keeps the job RUNNING while we act on it.
    try (ApiTestSupport.Owned slow = ApiTestSupport.Owned.start(dir.resolve("slow"), e -> e.setLatencyMs(300),
        c -> { })) {
      TestService ss = slow.s;
      String a = uniq("slow");
      JsonArray items = new JsonArray();
      for (int i = 1; i <= 40; i++) {
        items.add(item(a + "-" + i));
      }
      String id = ss.submit(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));

      // Once a BUG (the old JobVerticle.retry(), store.retryFailed(id).map(n -> ...)) answered 200 with the
      // summary even when n == 0, while a finished job with no FAILED items gets 409. Expected: 409 in both cases.
      HttpResponse<Buffer> retry = ApiTestSupport.post(ss, "/v1/jobs/" + id + "/retry");
      assertThat(ss.job(id).getString("status")).as("still running").isIn("PENDING", "RUNNING");

      HttpResponse<Buffer> cancel = ApiTestSupport.post(ss, "/v1/jobs/" + id + "/cancel");
      assertThat(cancel.statusCode()).as(cancel.bodyAsString()).isEqualTo(200);
      assertSummary(cancel.bodyAsJsonObject(), 40);
      JsonObject done = ss.awaitJob(id);
      assertThat(done.getString("status")).isEqualTo("CANCELLED");
      assertThat(done.getJsonObject("counts").getLong("CANCELLED")).isPositive();
      assertThat(done.getJsonObject("counts").getLong("PENDING")).isZero();
      assertThat(done.getJsonObject("counts").getLong("RUNNING")).isZero();
      assertProblem(ApiTestSupport.post(ss, "/v1/jobs/" + id + "/cancel"), 409);
      // Checked last so that the cancel behaviour above is verified even while this bug stands.
      assertProblem(retry, 409);
    }
  }

  // ---- event bus -----------------------------------------------------------------------------

  @Test
  void submitOverTheEventBusRepliesWithASummary() {
    String a = uniq("bus");
    JsonObject job = validJob(a + "-1", a + "-2");
    Message<JsonObject> reply = TestService.await(
        s.vertx.eventBus().<JsonObject>request("onboarder.jobs.submit", job));
    JsonObject summary = reply.body();
    assertSummary(summary, 2);
    String id = summary.getString("id");
    assertThat(get(s, "/v1/jobs/" + id).bodyAsJsonObject().getString("id")).isEqualTo(id);
    assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");

    // onboarder.jobs.get answers the same job.
    JsonObject got = TestService.await(s.vertx.eventBus()
        .<JsonObject>request("onboarder.jobs.get", new JsonObject().put("id", id))).body();
    assertThat(got.getString("id")).isEqualTo(id);
    assertSummary(got, 2);
  }

  @Test
  void eventBusIdempotencyKeyInTheBodyReturnsTheSameJob() {
    String a = uniq("busidem");
    JsonObject job = validJob(a + "-1").put("idempotencyKey", uniq("k"));
    String id = TestService.await(s.vertx.eventBus().<JsonObject>request("onboarder.jobs.submit", job)).body()
        .getString("id");
    String again = TestService.await(s.vertx.eventBus().<JsonObject>request("onboarder.jobs.submit", job)).body()
        .getString("id");
    assertThat(again).isEqualTo(id);
    JsonObject different = validJob(a + "-2").put("idempotencyKey", job.getString("idempotencyKey"));
    ReplyException conflict = replyFailure(different);
    assertThat(conflict.failureCode()).isEqualTo(409);
    s.awaitJob(id);
  }

  @Test
  void invalidSubmitOverTheEventBusFailsWith400AndProblemJson() {
    JsonObject bad = validJob("");
    ReplyException e = replyFailure(bad);
    assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(e.failureCode()).isEqualTo(400);
    JsonObject problem = new JsonObject(e.getMessage());
    assertProblemJson(problem, 400);
    ApiTestSupport.assertErrorsName(problem, "/items/0/account");

    // Not a JSON object at all.
    ReplyException notObject = replyFailure("just a string");
    assertThat(notObject.failureCode()).isEqualTo(400);
    assertProblemJson(new JsonObject(notObject.getMessage()), 400);

    ReplyException badKey = replyFailure(validJob("x-1").put("idempotencyKey", 42));
    assertThat(badKey.failureCode()).isEqualTo(400);
    assertProblemJson(new JsonObject(badKey.getMessage()), 400);

    ReplyException unknown = replyFailure("onboarder.jobs.get", new JsonObject().put("id", UUID.randomUUID().toString()));
    assertThat(unknown.failureCode()).isEqualTo(404);
    assertProblemJson(new JsonObject(unknown.getMessage()), 404);
  }

  private static ReplyException replyFailure(Object body) {
    return replyFailure("onboarder.jobs.submit", body);
  }

  private static ReplyException replyFailure(String address, Object body) {
    Throwable t = catchThrowable(() -> s.vertx.eventBus()
        .request(address, body, new DeliveryOptions().setSendTimeout(10_000))
        .await(20, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ReplyException.class);
    return (ReplyException) t;
  }
}
