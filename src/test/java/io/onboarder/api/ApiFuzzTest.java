package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throws ~2,000 seeded, always-invalid requests at the API, 32 at a time: every answer must be a
 * 4xx problem+json (never a 5xx, never a hang), and afterwards the service is still ready and
 * nothing reached Cyclr. Every generated request breaks at least one rule on purpose, and no
 * mutation ever introduces a valid value, so none may be accepted.
 *
 * <p>Reproduce a failure with {@code -Dfuzz.seed=<seed>} (printed in the failure message).
 */
@ExtendWith(VertxExtension.class)
class ApiFuzzTest {
  private static final int REQUESTS = 2000;
  private static final int CONCURRENCY = 32;
  private static final int MAX_BODY = 64 * 1024;
  private static final int MAX_ITEMS = 20;
  /** Stop early once this many answers were bad: enough to diagnose, and bounded in time if requests hang. */
  private static final int MAX_FAILURES = 50;
  private static final String[] CONTROL = {"\u0000", "\u0001", "\t", "\n", "\r", "\r\n", "\u001b", "\u007f",
      "\u0085", "\u009f", "\u2028", "\u2029"};

  /** One generated request and what may answer it. */
  record Req(int n, String kind, HttpMethod method, String uri, Map<String, String> headers, Buffer body,
             Set<Integer> allowed) {
    String describe() {
      String b = body == null ? "<none>" : body.length() > 300
          ? body.getString(0, 300, "ISO-8859-1") + "…(" + body.length() + " bytes)" : body.toString(StandardCharsets.ISO_8859_1);
      String u = uri.length() > 200 ? uri.substring(0, 200) + "…(" + uri.length() + ")" : uri;
      Map<String, String> h = new TreeMap<>();
      headers.forEach((k, v) -> h.put(k, v.length() > 100 ? v.substring(0, 100) + "…(" + v.length() + ")" : v));
      return "#" + n + " [" + kind + "] " + method + " " + u + " " + h + " body=" + b;
    }
  }

  // BUG: fails until GET /v1/jobs answers 400 (not 500) to a malformed percent-encoded query, e.g.
  // /v1/jobs?limit=%G1 (see HttpApiValidationTest.malformedPercentEncodingInQuery_400).
  @Test
  void everyBadRequestGetsA4xxProblemAndNothingReachesCyclr(Vertx vertx, @TempDir Path dir) {
    long seed = Long.getLong("fuzz.seed", 0x5EEDC0DEL);
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "api.maxBodyBytes", MAX_BODY);
      ConfigLoader.put(c, "api.maxItemsPerJob", MAX_ITEMS);
    })) {
      Gen gen = new Gen(new Random(seed));
      List<Req> reqs = new ArrayList<>(REQUESTS);
      for (int i = 0; i < REQUESTS; i++) {
        reqs.add(gen.next(i));
      }

      WebClient client = WebClient.create(vertx, new WebClientOptions(),
          new PoolOptions().setHttp1MaxSize(CONCURRENCY));
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      Map<String, AtomicInteger> statuses = new java.util.concurrent.ConcurrentSkipListMap<>();
      AtomicInteger next = new AtomicInteger();
      int port = s.app.httpPort();
      List<Future<Void>> workers = new ArrayList<>();
      for (int w = 0; w < CONCURRENCY; w++) {
        workers.add(worker(client, port, reqs, next, failures, statuses));
      }
      try {
        Future.join(workers).await(120, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("fuzz run did not finish; bad answers so far: " + failures, e);
      } finally {
        client.close();
      }

      failures.stream().limit(200).forEach(f -> System.out.println("ApiFuzzTest failure " + f));
      Map<String, Long> byKind = new TreeMap<>();
      failures.forEach(f -> byKind.merge(f.substring(f.indexOf('[') + 1, f.indexOf(']')).replaceAll("\\[.*", "")
          + " -> " + f.substring(f.indexOf("-> ") + 3, f.indexOf("-> ") + 6), 1L, Long::sum));
      assertThat(failures).as("seed %d; %d of %d requests answered badly %s, e.g.:%n%s", seed, failures.size(),
          REQUESTS, byKind, String.join("\n", failures.stream().limit(15).toList())).isEmpty();
      assertThat(next.get()).as("requests sent").isGreaterThanOrEqualTo(REQUESTS);

      HttpResponse<Buffer> ready = TestService.await(s.http.getAbs(s.base() + "/health/ready").send());
      assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
      assertThat(s.cyclr.stats().installs()).as("installs at Cyclr").isZero();
      assertThat(s.cyclr.stats().requests()).as("requests at Cyclr: %s", s.cyclr.stats()).isZero();
      JsonArray jobs = s.get("/v1/jobs?limit=200").bodyAsJsonObject().getJsonArray("jobs");
      assertThat(jobs).as("jobs accepted").isEmpty();
      // Still serving normally: a valid job goes through.
      String id = s.submit(ApiTestSupport.validJob("after-fuzz-1"));
      assertThat(s.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      System.out.println("ApiFuzzTest seed " + seed + " answers by kind/status: " + statuses);
    }
  }

  private static Future<Void> worker(WebClient client, int port, List<Req> reqs, AtomicInteger next,
                                     ConcurrentLinkedQueue<String> failures, Map<String, AtomicInteger> statuses) {
    int i = next.getAndIncrement();
    if (i >= reqs.size() || failures.size() >= MAX_FAILURES) {
      return Future.succeededFuture();
    }
    Req r = reqs.get(i);
    Future<HttpResponse<Buffer>> answer;
    try {
      HttpRequest<Buffer> req = client.request(r.method(), port, "127.0.0.1", r.uri()).timeout(5_000);
      r.headers().forEach(req::putHeader);
      answer = r.body() == null ? req.send() : req.sendBuffer(r.body());
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.transform(ar -> {
      if (ar.failed()) {
        failures.add(r.describe() + "\n    -> no answer: " + ar.cause());
      } else {
        HttpResponse<Buffer> resp = ar.result();
        statuses.computeIfAbsent(r.kind() + "/" + resp.statusCode(), k -> new AtomicInteger()).incrementAndGet();
        String problem = check(r, resp);
        if (problem != null) {
          failures.add(r.describe() + "\n    -> " + resp.statusCode() + " " + resp.getHeader("Content-Type") + " "
              + abbreviate(resp.bodyAsString()) + ": " + problem);
        }
      }
      return worker(client, port, reqs, next, failures, statuses);
    });
  }

  /** Null when the answer is fine, else what is wrong with it. */
  private static String check(Req r, HttpResponse<Buffer> resp) {
    int status = resp.statusCode();
    if (status < 400 || status > 499) {
      return "not a 4xx";
    }
    if (!r.allowed().isEmpty() && !r.allowed().contains(status)) {
      return "expected one of " + r.allowed();
    }
    String type = resp.getHeader("Content-Type");
    if (type == null || !type.startsWith("application/problem+json")) {
      return "not application/problem+json";
    }
    if (r.method() == HttpMethod.HEAD) {
      return null; // no body to check
    }
    try {
      JsonObject p = resp.bodyAsJsonObject();
      if (p == null) {
        return "no body";
      }
      ApiTestSupport.assertProblemJson(p, status);
      if (status == 400 && p.containsKey("errors")) {
        ApiTestSupport.assertErrorsName(p, "");
      }
      return null;
    } catch (RuntimeException | AssertionError e) {
      return "bad problem body: " + e.getMessage();
    }
  }

  private static String abbreviate(String s) {
    return s == null ? "<no body>" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  // ---- the generator ---------------------------------------------------------------------------

  /** Generates always-invalid requests from one seeded Random. */
  static final class Gen {
    private final Random rnd;

    Gen(Random rnd) {
      this.rnd = rnd;
    }

    Req next(int n) {
      int k = rnd.nextInt(100);
      if (k < 14) {
        return badAuth(n);
      } else if (k < 24) {
        return jobBody(n, "random-bytes", randomBytes(rnd.nextInt(3000)));
      } else if (k < 34) {
        return jobBody(n, "json-fragments", Buffer.buffer(fragments()));
      } else if (k < 38) {
        Buffer body = Buffer.buffer(hostileJson());
        return new Req(n, "hostile-json", HttpMethod.POST, "/v1/jobs", jsonHeaders(), body,
            body.length() > MAX_BODY ? Set.of(413) : Set.of(400, 422));
      } else if (k < 70) {
        return mutated(n);
      } else if (k < 78) {
        return wrongContentType(n);
      } else if (k < 90) {
        return randomRoute(n);
      } else if (k < 95) {
        return badQuery(n);
      } else if (k < 97) {
        return huge(n);
      } else {
        return badIdempotencyKey(n);
      }
    }

    // -- kinds --

    private Req badAuth(int n) {
      Map<String, String> h = new LinkedHashMap<>();
      String auth = pick(null, "", "Bearer", "Bearer ", "Bearer wrong", "Basic dGVzdC10b2tlbg==", TestService.TOKEN,
          "Bearer " + TestService.TOKEN.toUpperCase(), "Bearer " + TestService.TOKEN + "-", "Token " + TestService.TOKEN,
          "Bearer\t" + TestService.TOKEN + "x", "Bearer " + visible(rnd.nextInt(3000)), visible(rnd.nextInt(50)));
      if (auth != null) {
        h.put("Authorization", auth);
      }
      h.put("Content-Type", pick("application/json", "text/plain", "application/problem+json"));
      String random = randomV1Path();
      String path = pick("/v1/jobs", "/v1/jobs/" + uuid(), "/v1/jobs/" + uuid() + "/items",
          "/v1/jobs/x/cancel", "/v1/jobs/x/retry", random);
      HttpMethod m = pick(HttpMethod.GET, HttpMethod.POST, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE,
          HttpMethod.PATCH, HttpMethod.OPTIONS);
      // Even a valid job must be refused without the right token.
      Buffer body = rnd.nextBoolean() ? validJob().toBuffer() : null;
      // A path that is not even valid percent-encoding may be refused (400) before auth is looked at.
      return new Req(n, "bad-auth", m, path, h, body, path == random ? Set.of(400, 401) : Set.of(401));
    }

    private Req jobBody(int n, String kind, Buffer body) {
      return new Req(n, kind, HttpMethod.POST, "/v1/jobs", jsonHeaders(), body,
          body.length() > MAX_BODY ? Set.of(413) : Set.of(400));
    }

    private Req mutated(int n) {
      JsonObject job = validJob();
      int mutations = 1 + rnd.nextInt(3);
      List<String> applied = new ArrayList<>();
      boolean tooMany = false;
      for (int i = 0; i < mutations; i++) {
        String m = mutate(job);
        applied.add(m);
        tooMany |= m.equals("too-many-items");
      }
      if (rnd.nextInt(4) == 0) {
        job.put("x-unknown-" + rnd.nextInt(100), randomWrongValue()); // noise: ignored fields
      }
      Buffer body = job.toBuffer();
      Set<Integer> allowed = body.length() > MAX_BODY ? Set.of(413) : tooMany ? Set.of(400, 422) : Set.of(400);
      return new Req(n, "mutated" + applied, HttpMethod.POST, "/v1/jobs", jsonHeaders(), body, allowed);
    }

    private Req wrongContentType(int n) {
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Authorization", "Bearer " + TestService.TOKEN);
      String type = pick(null, "", "text/plain", "text/json", "application/xml", "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=zz", "application/jsonp", "application/json-patch", "json", "*/*",
          "application/octet-stream", "application", "; application/json", "text/plain; application/json",
          "application/xjson", visible(rnd.nextInt(40)).replace("json", "j"));
      if (type != null) {
        h.put("Content-Type", type);
      }
      // A valid body: only the content type is wrong.
      return new Req(n, "content-type", HttpMethod.POST, "/v1/jobs", h, validJob().toBuffer(), Set.of(415));
    }

    private Req randomRoute(int n) {
      HttpMethod m = pick(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH,
          HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.valueOf("BREW"),
          HttpMethod.valueOf("PROPFIND"));
      String path = randomV1Path();
      if (rnd.nextBoolean()) {
        path += "?" + randomQuery();
      }
      if (isValidRoute(m, path)) {
        m = HttpMethod.DELETE;
      }
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Authorization", "Bearer " + TestService.TOKEN);
      Buffer body = null;
      if (rnd.nextBoolean()) {
        h.put("Content-Type", pick("application/json", "text/plain"));
        body = Buffer.buffer(fragments());
      }
      return new Req(n, "route", m, path, h, body, Set.of());
    }

    private Req badQuery(int n) {
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Authorization", "Bearer " + TestService.TOKEN);
      String bad = pick("limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=1e3", "limit=%00",
          "limit=99999999999999999999", "limit=%G1", "cursor=x", "cursor=-5", "cursor=%ZZ", "cursor=12345678901234567890",
          "status=nope", "status=", "status=failed", "status=%00", "status=" + visible(30).replace("&", "").replace("#", ""));
      String query = rnd.nextBoolean() ? bad + "&" + randomQuery() : randomQuery() + "&" + bad;
      String path = rnd.nextInt(4) == 0 ? "/v1/jobs" : "/v1/jobs/" + pick(uuid(), "x",
          "a".repeat(64)) + "/items";
      if (path.equals("/v1/jobs")) {
        // The list takes only limit, and the first one counts: make it bad.
        query = "limit=" + pick("0", "201", "-3", "x", "", "%G1") + "&" + query;
      }
      return new Req(n, "query", HttpMethod.GET, path + "?" + query, h, null, Set.of(400, 404));
    }

    private Req huge(int n) {
      JsonObject job = validJob();
      String big = rnd.nextBoolean() ? "x".repeat(MAX_BODY + rnd.nextInt(MAX_BODY)) : visible(MAX_BODY + 100);
      job.put("description", big);
      return new Req(n, "huge", HttpMethod.POST, "/v1/jobs", jsonHeaders(), job.toBuffer(), Set.of(413));
    }

    private Req badIdempotencyKey(int n) {
      Map<String, String> h = jsonHeaders();
      h.put("Idempotency-Key", pick("", " ", "a b", "k".repeat(201 + rnd.nextInt(500)), "tab\there",
          "a\"b c"));
      // A valid body: only the key is wrong, so no job may be created.
      return new Req(n, "idempotency-key", HttpMethod.POST, "/v1/jobs", h, validJob().toBuffer(), Set.of(400));
    }

    // -- valid job and mutations --

    JsonObject validJob() {
      JsonObject job = new JsonObject();
      job.put("connector", rnd.nextBoolean() ? new JsonObject().put("id", 1 + rnd.nextInt(7))
          : new JsonObject().put("name", "Example Connector").put("version", "1.0"));
      if (rnd.nextBoolean()) {
        job.put("installName", "Fuzz " + rnd.nextInt(1000));
      }
      if (rnd.nextBoolean()) {
        job.put("description", "fuzzed job");
      }
      if (rnd.nextBoolean()) {
        job.put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com").put("callbackMessage", "done"));
      }
      if (rnd.nextBoolean()) {
        job.put("options", new JsonObject().put("dryRun", rnd.nextBoolean()).put("createAccounts", rnd.nextBoolean())
            .put("toleratedFailurePercent", rnd.nextInt(101)));
      }
      JsonArray items = new JsonArray();
      int count = 1 + rnd.nextInt(4);
      for (int i = 0; i < count; i++) {
        JsonObject item = new JsonObject().put("account", "fuzz-" + rnd.nextInt(100000));
        if (rnd.nextBoolean()) {
          item.put("authValue", "key-" + rnd.nextInt());
        }
        if (rnd.nextBoolean()) {
          item.put("properties", new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu")));
        }
        if (rnd.nextInt(4) == 0) {
          item.put("connector", new JsonObject().put("id", 1));
        }
        if (rnd.nextInt(4) == 0) {
          item.put("installName", "item " + i);
        }
        items.add(item);
      }
      job.put("items", items);
      return job;
    }

    /** Breaks one rule (never adds a valid value); returns what it did. */
    String mutate(JsonObject job) {
      JsonArray items = job.getValue("items") instanceof JsonArray a ? a : null;
      JsonObject item = null;
      if (items != null && !items.isEmpty()) {
        int idx = rnd.nextInt(items.size());
        if (items.getValue(idx) instanceof JsonObject o) {
          item = o;
        }
      }
      int k = rnd.nextInt(item == null ? 12 : 24);
      switch (k) {
        case 0 -> {
          job.put("connector", pick(null, "x", 2, new JsonArray(), new JsonObject(), true));
          return "connector-type";
        }
        case 1 -> {
          job.put("connector", new JsonObject().put("id", badId()));
          return "connector-id";
        }
        case 2 -> {
          job.put("connector", new JsonObject().put("name", badName()));
          return "connector-name";
        }
        case 3 -> {
          job.put("connector", new JsonObject().put("name", "Salesforce").put("version", badVersion()));
          return "connector-version";
        }
        case 4 -> {
          job.remove("connector");
          if (items != null) {
            items.forEach(o -> {
              if (o instanceof JsonObject io) {
                io.remove("connector");
              }
            });
          }
          return "no-connector";
        }
        case 5 -> {
          job.put(pick("installName", "description"), badText(2001));
          return "job-text";
        }
        case 6 -> {
          job.put("oauth", pick("https://app.example.com", 1, new JsonArray(), false));
          return "oauth-type";
        }
        case 7 -> {
          JsonObject oauth = job.getValue("oauth") instanceof JsonObject o ? o : new JsonObject();
          job.put("oauth", oauth);
          if (rnd.nextBoolean()) {
            oauth.put("targetOrigin", pick("ftp://x", "/relative", "javascript:alert(1)", "app.example.com", "http://",
                "https://", "data:,x", "file:///etc/passwd", "//app.example.com", 42, true, new JsonObject(),
                "https://exa mple.com", "https://app.example.com/\u0000", "h" + "t".repeat(2001)));
          } else {
            oauth.put(pick("callbackMessage", "username", "targetOrigin"), badText(2001));
          }
          return "oauth-field";
        }
        case 8 -> {
          job.put("options", pick("dryRun", 1, new JsonArray(), true));
          return "options-type";
        }
        case 9 -> {
          JsonObject options = job.getValue("options") instanceof JsonObject o ? o : new JsonObject();
          job.put("options", options);
          switch (rnd.nextInt(3)) {
            case 0 -> options.put("dryRun", pick("true", 1, 0, new JsonObject(), "false"));
            case 1 -> options.put("createAccounts", pick("yes", 1, new JsonArray()));
            default -> options.put("toleratedFailurePercent", pick(-1, 100.5, 101, 1e9, "50", true, new JsonArray()));
          }
          return "options-field";
        }
        case 10 -> {
          job.put("items", pick(null, new JsonArray(), new JsonObject(), "tenant", 3, true));
          return "items-type";
        }
        case 11 -> {
          JsonArray many = new JsonArray();
          int count = MAX_ITEMS + 1 + rnd.nextInt(200);
          for (int i = 0; i < count; i++) {
            many.add(new JsonObject().put("account", "many-" + i));
          }
          job.put("items", many);
          return "too-many-items";
        }
        default -> {
          return mutateItem(items, item, k);
        }
      }
    }

    private String mutateItem(JsonArray items, JsonObject item, int k) {
      switch (k) {
        case 12 -> {
          items.set(rnd.nextInt(items.size()), pick(null, "tenant", 5, new JsonArray(), false));
          return "item-type";
        }
        case 13, 14, 15 -> {
          Object bad = pick(null, 12, true, new JsonObject(), new JsonArray(), "", " ", "a".repeat(201 + rnd.nextInt(300)),
              "tenant" + control(), control() + "tenant", " tenant", "tenant ", "ten" + control() + "ant", "\t");
          if (bad == null && rnd.nextBoolean()) {
            item.remove("account");
          } else {
            item.put("account", bad);
          }
          return "account";
        }
        case 16, 17 -> {
          item.put("authValue", pick(1, true, new JsonObject(), new JsonArray().add("k"), 1.5,
              "k".repeat(8 * 1024 + 1 + rnd.nextInt(100)), "\u00e9".repeat(4097)));
          return "authValue";
        }
        case 18, 19 -> {
          Object props = switch (rnd.nextInt(9)) {
            case 0 -> pick("Region=eu", 1, new JsonObject().put("name", "Region").put("value", "eu"), true);
            case 1 -> new JsonArray().add(pick(null, "Region", 1, new JsonArray()));
            case 2 -> new JsonArray().add(new JsonObject().put("name", "Region"));
            case 3 -> new JsonArray().add(new JsonObject().put("value", "eu"));
            case 4 -> new JsonArray().add(new JsonObject().put("name", pick(1, "", " ", null, "n".repeat(201)))
                .put("value", "eu"));
            case 5 -> new JsonArray().add(new JsonObject().put("name", "Region")
                .put("value", pick(1, null, true, new JsonObject(), "v".repeat(2001))));
            case 6 -> new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu").put("x", 1));
            case 7 -> {
              JsonArray a = new JsonArray();
              for (int i = 0; i < 101; i++) {
                a.add(new JsonObject().put("name", "p" + i).put("value", "v"));
              }
              yield a;
            }
            default -> new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu"))
                .add(pick(null, 7, "x"));
          };
          item.put("properties", props);
          return "properties";
        }
        case 20, 21 -> {
          item.put("connector", switch (rnd.nextInt(4)) {
            case 0 -> pick(null, "Salesforce", 2, new JsonArray(), new JsonObject(), false);
            case 1 -> new JsonObject().put("id", badId());
            case 2 -> new JsonObject().put("name", badName());
            default -> new JsonObject().put("name", "Salesforce").put("version", badVersion());
          });
          return "item-connector";
        }
        default -> {
          item.put("installName", badText(201));
          return "item-installName";
        }
      }
    }

    private Object badId() {
      return pick(0, -1, 1.5, "2", true, new JsonObject(), new JsonArray().add(1), 1e300, -0.0,
          new java.math.BigInteger("99999999999999999999999"), Long.MIN_VALUE, 9.5e15, "");
    }

    private Object badName() {
      return pick("", " ", "\t", 5, true, new JsonArray(), new JsonObject(), "n".repeat(201 + rnd.nextInt(50)),
          "Sales" + control() + "force", null);
    }

    private Object badVersion() {
      return pick("", "  ", 1, 1.0, true, new JsonObject(), "v".repeat(51), "1." + control());
    }

    /** A value no text field accepts: not a string, too long, or with a control character. */
    private Object badText(int tooLong) {
      return pick(1, 0, true, false, new JsonObject(), new JsonArray(), 2.5, "t".repeat(tooLong + rnd.nextInt(100)),
          "a" + control() + "b", control());
    }

    private Object randomWrongValue() {
      return pick(null, 1, "x", true, new JsonArray(), new JsonObject().put("a", 1), visible(20));
    }

    // -- raw material --

    private Buffer randomBytes(int n) {
      byte[] b = new byte[n];
      rnd.nextBytes(b);
      if (n > 0 && rnd.nextBoolean()) {
        b[0] = (byte) "{[\"1".charAt(rnd.nextInt(4));
      }
      return Buffer.buffer(b);
    }

    /** Random JSON-ish token soup; never mentions "items", so even a parseable object is invalid. */
    private String fragments() {
      String[] tokens = {"{", "}", "[", "]", ":", ",", "\"a\"", "\"account\"", "\"connector\"", "\"id\"", "1", "-1",
          "0.5", "1e5", "null", "true", "false", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "NaN", "Infinity", "'x'",
          "/*c*/", "\"\u0001\"", " ", "\n", "\"authValue\"", "\"oauth\"", "{}", "[]", "\"\\\"", "\\", "\u00ff", "\uFEFF"};
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(40);
      if (rnd.nextBoolean()) {
        sb.append('{');
      }
      for (int i = 0; i < len; i++) {
        sb.append(tokens[rnd.nextInt(tokens.length)]);
      }
      return sb.toString();
    }

    /** Structurally nasty JSON: deep nesting, huge numbers, duplicate keys, odd encodings. */
    private String hostileJson() {
      return switch (rnd.nextInt(8)) {
        case 0 -> "{\"items\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        case 1 -> "{\"connector\":{\"id\":" + "9".repeat(2000 + rnd.nextInt(2000)) + "},\"items\":[{\"account\":\"a\"}]}";
        case 2 -> "{\"connector\":{\"id\":1e99999},\"items\":[{\"account\":\"a\"}]}";
        case 3 -> "{\"connector\":{\"id\":1},\"items\":[{\"account\":\"a\"}],\"items\":[]}";
        case 4 -> "{\"connector\":{\"id\":1},\"items\":[{\"account\":\"a\\ud800\\udc00" + "\"}]," + "\"x\":"
            + "{\"y\":".repeat(3000) + "1" + "}".repeat(3000) + "}";
        case 5 -> "{\"connector\":{\"id\":1},\"items\":[{\"account\":\"" + "\\u0000".repeat(50) + "\"}]}";
        case 6 -> "{\"connector\":{\"id\":1},\"items\":[" + "{\"account\":\"\"},".repeat(1000) + "{}]}";
        default -> "{\"connector\":{\"id\":1},\"items\":[{\"account\":\"a\",\"properties\":[" + "{\"name\":\"p\",\"value\":\"v\"},".repeat(150)
            + "{\"name\":\"p\",\"value\":\"v\"}]}], \"description\": \"" + "\\n".repeat(10) + "\"}";
      };
    }

    private String randomV1Path() {
      StringBuilder sb = new StringBuilder("/v1");
      int depth = 1 + rnd.nextInt(4);
      for (int i = 0; i < depth; i++) {
        sb.append('/').append(segment());
      }
      return sb.toString();
    }

    /** A non-empty path segment with no dot segments (so nothing normalises onto a valid route). */
    private String segment() {
      return switch (rnd.nextInt(10)) {
        case 0, 1 -> "jobs";
        case 2 -> pick("items", "cancel", "retry", "health", "metrics");
        case 3 -> uuid();
        case 4 -> pick("%2F", "%00", "%ZZ", "%", "%2", "%C0%AF", "%E2%80%A8", "%FF", "a%2Fb", "%20", "+", "*", ";x=1");
        case 5 -> "a".repeat(1 + rnd.nextInt(2000));
        default -> {
          String alphabet = "abcXYZ019-_~!$&'()*+,;=:@";
          StringBuilder s = new StringBuilder();
          int len = 1 + rnd.nextInt(20);
          for (int i = 0; i < len; i++) {
            if (rnd.nextInt(5) == 0) {
              s.append(String.format("%%%02X", pickByte()));
            } else {
              s.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
          }
          yield s.toString();
        }
      };
    }

    /** A byte to percent-encode: never an unreserved character (which would be decoded and normalised). */
    private int pickByte() {
      while (true) {
        int b = rnd.nextInt(256);
        boolean unreserved = Character.isLetterOrDigit(b) && b < 128 || b == '-' || b == '.' || b == '_' || b == '~';
        if (!unreserved) {
          return b;
        }
      }
    }

    private String randomQuery() {
      StringBuilder sb = new StringBuilder();
      int n = 1 + rnd.nextInt(4);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append('&');
        }
        sb.append(pick("limit", "cursor", "status", "x", "limit[]", "", "%ZZ", "a%00b")).append('=')
            .append(pick("1", "-1", "abc", "", "%G1", "%", "FAILED", "9".repeat(30), "%00", "a+b", "%E2%82%AC", "x=y"));
      }
      return sb.toString();
    }

    private static boolean isValidRoute(HttpMethod m, String uri) {
      String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
      // GET /v1/jobs (list) is the only route that could succeed without an existing job id.
      return m == HttpMethod.GET && (path.equals("/v1/jobs") || path.equals("/v1/jobs/"));
    }

    private Map<String, String> jsonHeaders() {
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Authorization", "Bearer " + TestService.TOKEN);
      h.put("Content-Type", pick("application/json", "application/json; charset=utf-8", "application/problem+json",
          "APPLICATION/JSON"));
      return h;
    }

    private String control() {
      return CONTROL[rnd.nextInt(CONTROL.length)];
    }

    /** Visible ASCII (no CR/LF), safe in a header. */
    private String visible(int n) {
      StringBuilder sb = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        sb.append((char) (0x21 + rnd.nextInt(0x7E - 0x21 + 1)));
      }
      return sb.toString();
    }

    /** A job id that exists nowhere, from the seeded Random (so a seed replays exactly). */
    private String uuid() {
      return new UUID(rnd.nextLong(), rnd.nextLong()).toString();
    }

    @SafeVarargs
    private <T> T pick(T... options) {
      return options[rnd.nextInt(options.length)];
    }
  }
}
