package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.assertProblem;
import static io.onboarder.api.ApiTestSupport.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.support.TestService;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/jobs/{id}/items} as a report: every item in one streamed answer, CSV or NDJSON,
 * with exactly what the paged JSON API shows, and never an auth value.
 */
class ItemReportTest {
  @TempDir
  static Path dir;
  static ApiTestSupport.Owned svc;
  static TestService s;
  static String jobId;

  @BeforeAll
  static void start() {
    svc = ApiTestSupport.Owned.start(dir, c -> { });
    s = svc.s;
    // 2,500 items (three store pages): API-key installs, a few OAuth sign-ins, a few failures.
    StringBuilder csv = new StringBuilder("account,authValue,connectorId,installName\n");
    for (int i = 1; i <= 2_500; i++) {
      String connector = i % 500 == 0 ? "5" : i % 100 == 0 ? "2" : "1";
      csv.append("rep-").append(i).append(",secret-value-").append(i).append(',').append(connector)
          .append(i % 7 == 0 ? ",\"Name, with comma\"" : ",").append('\n');
    }
    HttpResponse<Buffer> r = ApiTestSupport.send(s, HttpMethod.POST,
        "/v1/jobs?targetOrigin=https://app.example.com", bearer(), "text/csv", Buffer.buffer(csv.toString()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    jobId = r.bodyAsJsonObject().getString("id");
    s.awaitJob(jobId, java.time.Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (svc != null) {
      svc.close();
    }
  }

  static HttpResponse<Buffer> report(String accept, String query) {
    return TestService.await(s.http.getAbs(s.base() + "/v1/jobs/" + jobId + "/items" + query)
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Accept", accept).send());
  }

  /** A minimal RFC 4180 reader for the test's own checks. */
  static List<List<String>> parseCsv(String text) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(f.toString());
        f.setLength(0);
      } else if (c == '\r') {
        continue;
      } else if (c == '\n') {
        row.add(f.toString());
        f.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
      } else {
        f.append(c);
      }
    }
    return rows;
  }

  static String text(Object v) {
    return v == null ? "" : String.valueOf(v);
  }

  @Test
  void theCsvReportHoldsEveryItemExactlyAsTheApiShowsIt() {
    HttpResponse<Buffer> r = report("text/csv", "");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/csv");
    assertThat(r.getHeader("Content-Disposition")).contains("job-" + jobId + "-items.csv");
    List<List<String>> rows = parseCsv(r.bodyAsString());
    assertThat(rows.get(0)).containsExactly("itemId", "account", "connectorId", "installName", "status", "attempts",
        "accountConnectorId", "url", "expiresAt", "errorCode", "errorMessage", "errorHttpStatus");
    List<JsonObject> api = s.items(jobId, null);
    assertThat(rows).hasSize(api.size() + 1);
    assertThat(api).hasSize(2_500);
    for (int i = 0; i < api.size(); i++) {
      JsonObject item = api.get(i);
      JsonObject oauth = item.getJsonObject("oauth");
      JsonObject error = item.getJsonObject("error");
      assertThat(rows.get(i + 1)).as("row %d", i + 1).containsExactly(text(item.getValue("id")),
          item.getString("account"), text(item.getValue("connectorId")), text(item.getValue("installName")),
          item.getString("status"), text(item.getValue("attempts")), text(item.getValue("accountConnectorId")),
          oauth == null ? "" : text(oauth.getValue("url")), oauth == null ? "" : text(oauth.getValue("expiresAt")),
          error == null ? "" : text(error.getValue("code")), error == null ? "" : text(error.getValue("message")),
          error == null ? "" : text(error.getValue("httpStatus")));
    }
    assertThat(rows.stream().map(row -> row.get(4))).contains("INSTALLED", "OAUTH_PENDING", "FAILED");
    assertThat(r.bodyAsString()).doesNotContain("secret-value-");
  }

  @Test
  void theNdjsonReportIsTheApiItemJsonOnePerLine() {
    HttpResponse<Buffer> r = report("application/x-ndjson", "");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/x-ndjson");
    List<JsonObject> lines = r.bodyAsString().lines().map(JsonObject::new).toList();
    assertThat(lines).isEqualTo(s.items(jobId, null));
    assertThat(r.bodyAsString()).doesNotContain("secret-value-");
  }

  @Test
  void aStatusFilterKeepsOnlyThoseItems() {
    List<List<String>> rows = parseCsv(report("text/csv", "?status=FAILED").bodyAsString());
    assertThat(rows).hasSize(1 + 5);
    assertThat(rows.subList(1, rows.size())).allSatisfy(row -> {
      assertThat(row.get(4)).isEqualTo("FAILED");
      assertThat(row.get(9)).isEqualTo("CONNECTOR_NOT_INSTALLABLE");
    });
    assertProblem(report("text/csv", "?status=NOPE"), 400);
  }

  @Test
  void anUnknownJobIs404AndJsonStaysPaged() {
    HttpResponse<Buffer> r = TestService.await(s.http.getAbs(s.base() + "/v1/jobs/no-such-job/items")
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Accept", "text/csv").send());
    assertProblem(r, 404);
    JsonObject page = TestService.await(s.http.getAbs(s.base() + "/v1/jobs/" + jobId + "/items?limit=10")
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Accept", "application/json").send()).bodyAsJsonObject();
    assertThat(page.getJsonArray("items")).hasSize(10);
    assertThat(page.getString("next")).isNotNull();
    assertThat(new JsonArray()).isEmpty();
  }
  @Test
  void csvCellsThatASpreadsheetWouldRunAsFormulasAreNeutralisedUnlessAskedNotTo() {
    List<String> accounts = List.of("=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "plain-acct");
    JsonArray items = new JsonArray();
    accounts.forEach(a -> items.add(new JsonObject().put("account", a).put("authValue", "k")
        .put("installName", "=HYPERLINK(\"http://evil.example\")")));
    String id = s.submit(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
    s.awaitJob(id);
    java.util.function.Function<String, List<List<String>>> csv = query -> {
      HttpResponse<Buffer> r = TestService.await(s.http.getAbs(s.base() + "/v1/jobs/" + id + "/items" + query)
          .bearerTokenAuthentication(TestService.TOKEN).putHeader("Accept", "text/csv").send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      return parseCsv(r.bodyAsString()).subList(1, accounts.size() + 1);
    };

    List<List<String>> escaped = csv.apply("");
    assertThat(escaped.stream().map(row -> row.get(1))).containsExactlyInAnyOrder("'=1+2", "'+SUM(A1:A9)", "'-2+3",
        "'@cmd", "plain-acct");
    assertThat(escaped).allSatisfy(row -> assertThat(row.get(3)).isEqualTo("'=HYPERLINK(\"http://evil.example\")"));
    assertThat(escaped).allSatisfy(row -> assertThat(row.get(2)).isEqualTo("1"));
    List<List<String>> raw = csv.apply("?escapeFormulas=false");
    assertThat(raw.stream().map(row -> row.get(1))).containsExactlyInAnyOrderElementsOf(accounts);
    assertProblem(TestService.await(s.http.getAbs(s.base() + "/v1/jobs/" + id + "/items?escapeFormulas=maybe")
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Accept", "text/csv").send()), 400);
  }

  @Test
  void neutralisingTouchesOnlyTextThatStartsLikeAFormula() {
    for (String risky : new String[] {"=A1", "+1", "-1", "@x", "\tx", "\rx"}) {
      assertThat(ItemReport.neutralised(risky)).isEqualTo("'" + risky);
    }
    assertThat(ItemReport.neutralised("a=b")).isEqualTo("a=b");
    assertThat(ItemReport.neutralised("")).isEqualTo("");
    assertThat(ItemReport.neutralised(-5)).isEqualTo(-5);
    assertThat(ItemReport.neutralised(null)).isNull();
  }
}
