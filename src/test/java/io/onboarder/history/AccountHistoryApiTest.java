package io.onboarder.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/accounts/{account}/history} end to end, against the emulator: a tenant's install, its sign-in link
 * issued, opened and used, and a template's cycle installed and activated, in the order they happened; callers see
 * their own entries, admins all; no auth value or sign-in token ever shows.
 */
@ExtendWith(VertxExtension.class)
class AccountHistoryApiTest {
  private static final String APP = "https://app.example.com";

  private static HttpResponse<Buffer> as(TestService s, String token, HttpMethod method, String url, JsonObject body) {
    var req = s.http.requestAbs(method, url.startsWith("http") ? url : s.base() + url).followRedirects(false)
        .bearerTokenAuthentication(token);
    return TestService.await(body == null ? req.send() : req.sendJsonObject(body));
  }

  private static List<String> kinds(JsonObject page) {
    return page.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("kind")).toList();
  }

  private static String submitAs(TestService s, String token, JsonObject job) {
    HttpResponse<Buffer> r = as(s, token, HttpMethod.POST, "/v1/jobs", job);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    String id = r.bodyAsJsonObject().getString("id");
    s.poll(() -> as(s, token, HttpMethod.GET, "/v1/jobs/" + id, null).bodyAsJsonObject().getString("status"),
        TestService.TERMINAL::contains, Duration.ofSeconds(30), "job " + id + " to finish");
    return id;
  }

  @Test
  void supportSeesWhatHappenedToATenantInOrderAndCallersOnlyTheirOwn(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "oauth.watchIntervalMs", 600_000);
      ConfigLoader.put(c, "api.tokens", "alice:tok-a,bob:tok-b,ops:tok-ops:admin");
    })) {
      // Alice signs tenant h-1 up to Salesforce (a sign-in) and gives it the API-key template, activated.
      String signIn = submitAs(s, "tok-a", new JsonObject().put("connector", new JsonObject().put("name", "Salesforce"))
          .put("oauth", new JsonObject().put("targetOrigin", APP))
          .put("items", new JsonArray().add(new JsonObject().put("account", "h-1"))));
      JsonObject item = as(s, "tok-a", HttpMethod.GET, "/v1/jobs/" + signIn + "/items", null).bodyAsJsonObject()
          .getJsonArray("items").getJsonObject(0);
      String link = item.getJsonObject("oauth").getString("url");
      assertThat(as(s, "tok-a", HttpMethod.GET, link, null).statusCode()).isEqualTo(200);
      assertThat(as(s, "tok-a", HttpMethod.GET, link, null).statusCode()).as("a reload").isEqualTo(200);
      String atCyclr = as(s, "tok-a", HttpMethod.POST, link, null).getHeader("Location");
      assertThat(as(s, "tok-a", HttpMethod.GET, atCyclr, null).getHeader("Location")).isEqualTo(link + "/done");
      assertThat(as(s, "tok-a", HttpMethod.GET, link + "/done", null).statusCode()).isEqualTo(303);
      String template = submitAs(s, "tok-a", new JsonObject().put("connector", new JsonObject().put("id", 1))
          .put("template", new JsonObject().put("name", "API Key Sync")).put("activate", new JsonObject()
              .put("interval", 60)).put("oauth", new JsonObject().put("targetOrigin", APP))
          .put("items", new JsonArray().add(new JsonObject().put("account", "h-1").put("authValue", "sk-live-42"))));
      // Bob installs into the same Cyclr account, his own job.
      String bobs = submitAs(s, "tok-b", TestService.apiKeyJob("bob", 1).put("items", new JsonArray()
          .add(new JsonObject().put("account", "h-1").put("authValue", "sk-bob-7"))));

      HttpResponse<Buffer> alices = as(s, "tok-a", HttpMethod.GET, "/v1/accounts/h-1/history", null);
      assertThat(alices.statusCode()).isEqualTo(200);
      JsonObject page = alices.bodyAsJsonObject();
      assertThat(kinds(page)).containsExactly("connector.installed", "link.issued", "link.opened",
          "sign_in.completed", "connector.installed", "cycle.installed", "cycle.activated");
      JsonObject first = page.getJsonArray("items").getJsonObject(0);
      assertThat(first.fieldNames()).containsExactlyInAnyOrder("at", "kind", "jobId", "fleet", "detail");
      assertThat(first.getString("jobId")).isEqualTo(signIn);
      assertThat(page.getJsonArray("items").getJsonObject(6).getString("jobId")).isEqualTo(template);
      assertThat(page.getString("next")).isNull();
      assertThat(alices.bodyAsString()).doesNotContain("sk-live-42", "sk-bob-7", "/connect/", "token=");

      JsonObject bobsPage = as(s, "tok-b", HttpMethod.GET, "/v1/accounts/h-1/history", null).bodyAsJsonObject();
      assertThat(kinds(bobsPage)).containsExactly("connector.installed");
      assertThat(bobsPage.getJsonArray("items").getJsonObject(0).getString("jobId")).isEqualTo(bobs);
      JsonObject all = as(s, "tok-ops", HttpMethod.GET, "/v1/accounts/h-1/history?limit=5", null).bodyAsJsonObject();
      assertThat(kinds(all)).hasSize(5);
      JsonObject rest = as(s, "tok-ops", HttpMethod.GET, "/v1/accounts/h-1/history?limit=5&cursor="
          + all.getString("next"), null).bodyAsJsonObject();
      assertThat(kinds(rest)).containsExactly("cycle.installed", "cycle.activated", "connector.installed");
      assertThat(kinds(as(s, "tok-a", HttpMethod.GET, "/v1/accounts/nobody/history", null).bodyAsJsonObject()))
          .isEmpty();

      // Bad input: a clear 4xx problem.
      for (String bad : new String[] {"?limit=0", "?limit=abc", "?cursor=zz"}) {
        HttpResponse<Buffer> r = as(s, "tok-a", HttpMethod.GET, "/v1/accounts/h-1/history" + bad, null);
        assertThat(r.statusCode()).as(bad).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
      }
      assertThat(as(s, "wrong", HttpMethod.GET, "/v1/accounts/h-1/history", null).statusCode()).isEqualTo(401);

      // An account the service creates at Cyclr is history too (recorded beside the item, not in its transaction).
      String created = submitAs(s, "tok-a", TestService.apiKeyJob("h-new", 1)
          .put("options", new JsonObject().put("createAccounts", true)));
      List<String> fresh = s.poll(() -> kinds(as(s, "tok-a", HttpMethod.GET, "/v1/accounts/h-new-0001/history", null)
          .bodyAsJsonObject()), k -> k.size() == 2, Duration.ofSeconds(10), "account.created to be recorded");
      assertThat(fresh).containsExactlyInAnyOrder("account.created", "connector.installed");
      assertThat(kinds(as(s, "tok-b", HttpMethod.GET, "/v1/accounts/h-new-0001/history", null).bodyAsJsonObject()))
          .as("the job's owner's: " + created).isEmpty();
    }
  }
}
