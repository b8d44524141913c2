package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callers are separated: a job (and its idempotency key) belongs to the token name that created it;
 * other callers see nothing of it, admins see everything, and plain tokens share one caller.
 */
@ExtendWith(VertxExtension.class)
class CallersTest {

  private static HttpResponse<Buffer> as(TestService s, String token, String method, String path, JsonObject body,
                                         String key) {
    var req = s.http.requestAbs(io.vertx.core.http.HttpMethod.valueOf(method), s.base() + path)
        .bearerTokenAuthentication(token).putHeader("Content-Type", "application/json");
    if (key != null) {
      req.putHeader("Idempotency-Key", key);
    }
    return TestService.await(body == null ? req.send() : req.sendBuffer(body.toBuffer()));
  }

  @Test
  void eachCallerSeesOnlyItsOwnJobsAndKeysWhileAdminsSeeAll(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { },
        c -> ConfigLoader.put(c, "api.tokens", "alice:tok-a,bob:tok-b,ops:tok-ops:admin,plain-1,plain-2"))) {
      JsonObject job = TestService.apiKeyJob("callers", 2);
      HttpResponse<Buffer> created = as(s, "tok-a", "POST", "/v1/jobs", job, "same-key");
      assertThat(created.statusCode()).isEqualTo(202);
      String id = created.bodyAsJsonObject().getString("id");
      s.poll(() -> as(s, "tok-a", "GET", "/v1/jobs/" + id, null, null).bodyAsJsonObject().getString("status"),
          TestService.TERMINAL::contains, java.time.Duration.ofSeconds(20), "job to finish");

      // Bob: not found everywhere, and his identical key makes his own job.
      for (String path : new String[] {"/v1/jobs/" + id, "/v1/jobs/" + id + "/items", "/v1/jobs/" + id + "/sign-ins"}) {
        assertThat(as(s, "tok-b", "GET", path, null, null).statusCode()).isEqualTo(404);
      }
      assertThat(as(s, "tok-b", "POST", "/v1/jobs/" + id + "/items/1/link/revoke", null, null).statusCode())
          .isEqualTo(404);
      assertThat(as(s, "tok-a", "GET", "/v1/jobs/" + id + "/sign-ins", null, null).bodyAsJsonObject()
          .getLong("issued")).as("her funnel: API-key items need no sign-in").isZero();
      assertThat(as(s, "tok-ops", "GET", "/v1/jobs/" + id + "/sign-ins", null, null).statusCode()).isEqualTo(200);
      assertThat(as(s, "tok-b", "POST", "/v1/jobs/" + id + "/cancel", null, null).statusCode()).isEqualTo(404);
      assertThat(as(s, "tok-b", "POST", "/v1/jobs/" + id + "/retry", null, null).statusCode()).isEqualTo(404);
      assertThat(as(s, "tok-b", "GET", "/v1/jobs", null, null).bodyAsJsonObject().getJsonArray("jobs")).isEmpty();
      HttpResponse<Buffer> bobs = as(s, "tok-b", "POST", "/v1/jobs", job, "same-key");
      assertThat(bobs.statusCode()).isEqualTo(202);
      assertThat(bobs.bodyAsJsonObject().getString("id")).isNotEqualTo(id);

      // Alice's key again: her job; with another body: 409 without echoing the key.
      assertThat(as(s, "tok-a", "POST", "/v1/jobs", job, "same-key").bodyAsJsonObject().getString("id"))
          .isEqualTo(id);
      HttpResponse<Buffer> conflict = as(s, "tok-a", "POST", "/v1/jobs", TestService.apiKeyJob("other", 1),
          "same-key");
      assertThat(conflict.statusCode()).isEqualTo(409);
      assertThat(conflict.bodyAsString()).doesNotContain("same-key");

      // The admin sees both; plain tokens are one caller and see neither.
      assertThat(as(s, "tok-ops", "GET", "/v1/jobs/" + id, null, null).statusCode()).isEqualTo(200);
      assertThat(as(s, "tok-ops", "GET", "/v1/jobs", null, null).bodyAsJsonObject().getJsonArray("jobs"))
          .hasSize(2);
      assertThat(as(s, "plain-1", "GET", "/v1/jobs/" + id, null, null).statusCode()).isEqualTo(404);
      String shared = as(s, "plain-1", "POST", "/v1/jobs", TestService.apiKeyJob("plain", 1), null)
          .bodyAsJsonObject().getString("id");
      assertThat(as(s, "plain-2", "GET", "/v1/jobs/" + shared, null, null).statusCode()).isEqualTo(200);
      // Job responses are never cached or sniffed.
      HttpResponse<Buffer> get = as(s, "tok-a", "GET", "/v1/jobs/" + id, null, null);
      assertThat(get.getHeader("Cache-Control")).isEqualTo("no-store");
    }
  }
}
