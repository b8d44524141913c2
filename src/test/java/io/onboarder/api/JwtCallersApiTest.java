package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.BridgeClient;
import io.onboarder.support.TestIdentityProvider;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service with JWT callers from a local identity provider beside static tokens: a JWT caller's jobs, idempotency
 * keys, fleets and account history are its own (as a named token's are), an admin claim sees everything, the bridge
 * takes the same tokens, a rotated key works without a restart, and a refused token gets a 401 problem that names
 * neither the token nor the reason beyond "expired".
 */
@ExtendWith(VertxExtension.class)
class JwtCallersApiTest {

  private static HttpResponse<Buffer> as(TestService s, String token, HttpMethod method, String path, JsonObject body,
                                         String key) {
    var req = s.http.requestAbs(method, s.base() + path).bearerTokenAuthentication(token)
        .putHeader("Content-Type", "application/json");
    if (key != null) {
      req.putHeader("Idempotency-Key", key);
    }
    return TestService.await(body == null ? req.send() : req.sendBuffer(body.toBuffer()));
  }

  private static JsonObject job(String account) {
    return TestService.apiKeyJob("jwt", 1).put("items", new JsonArray()
        .add(new JsonObject().put("account", account).put("authValue", "sk-" + account)));
  }

  @Test
  void jwtCallersAreSeparatedLikeNamedTokensOverHttpAndTheBridge(Vertx vertx, @TempDir Path dir) throws Exception {
    try (TestIdentityProvider idp = TestIdentityProvider.start(vertx);
         TestService s = TestService.start(vertx, dir, e -> { }, c -> {
           ConfigLoader.put(c, "api.tokens", "ci:tok-ci,plain-1");
           ConfigLoader.put(c, "bridge.port", 0);
           ConfigLoader.put(c, "auth", new JsonObject().put("jwksUrl", idp.jwksUrl()).put("jwtIssuer", idp.issuer())
               .put("jwtAudience", "onboarder").put("adminClaim", "groups").put("adminValue", "onboarder-admins"));
         })) {
      String alice = idp.token("rsa-1", "system:serviceaccount:team-a:deployer");
      String bob = idp.token("ec-1", "system:serviceaccount:team-b:deployer");
      String ops = idp.sign("rsa-1", idp.claims("ops@example.com").put("groups", new JsonArray()
          .add("staff").add("onboarder-admins")));

      HttpResponse<Buffer> created = as(s, alice, HttpMethod.POST, "/v1/jobs", job("j-1"), "same-key");
      assertThat(created.statusCode()).isEqualTo(202);
      String id = created.bodyAsJsonObject().getString("id");
      assertThat(as(s, alice, HttpMethod.GET, "/v1/jobs/" + id, null, null).statusCode()).isEqualTo(200);
      // Bob, and the static tokens, see nothing of it; his identical key makes his own job.
      for (String other : new String[] {bob, "tok-ci", "plain-1"}) {
        assertThat(as(s, other, HttpMethod.GET, "/v1/jobs/" + id, null, null).statusCode()).isEqualTo(404);
        assertThat(as(s, other, HttpMethod.POST, "/v1/jobs/" + id + "/cancel", null, null).statusCode())
            .isEqualTo(404);
      }
      HttpResponse<Buffer> bobs = as(s, bob, HttpMethod.POST, "/v1/jobs", job("j-1"), "same-key");
      assertThat(bobs.statusCode()).isEqualTo(202);
      String bobsId = bobs.bodyAsJsonObject().getString("id");
      assertThat(bobsId).isNotEqualTo(id);
      assertThat(as(s, alice, HttpMethod.POST, "/v1/jobs", job("j-1"), "same-key").bodyAsJsonObject()
          .getString("id")).as("her key names her job").isEqualTo(id);
      assertThat(as(s, "tok-ci", HttpMethod.POST, "/v1/jobs", job("j-2"), null).statusCode())
          .as("static tokens keep working").isEqualTo(202);
      assertThat(as(s, ops, HttpMethod.GET, "/v1/jobs/" + id, null, null).statusCode()).as("admin").isEqualTo(200);
      assertThat(as(s, ops, HttpMethod.GET, "/v1/jobs", null, null).bodyAsJsonObject().getJsonArray("jobs"))
          .hasSize(3);
      assertThat(as(s, bob, HttpMethod.GET, "/v1/jobs", null, null).bodyAsJsonObject().getJsonArray("jobs"))
          .hasSize(1);

      // Account history: each sees the installs of its own job into the shared account.
      for (String job : new String[] {id, bobsId}) {
        String token = job.equals(id) ? alice : bob;
        s.poll(() -> as(s, token, HttpMethod.GET, "/v1/jobs/" + job, null, null).bodyAsJsonObject()
            .getString("status"), TestService.TERMINAL::contains, Duration.ofSeconds(30), "job " + job);
      }
      JsonArray history = as(s, alice, HttpMethod.GET, "/v1/accounts/j-1/history", null, null).bodyAsJsonObject()
          .getJsonArray("items");
      assertThat(history).isNotEmpty();
      assertThat(history.stream().map(h -> ((JsonObject) h).getString("jobId"))).containsOnly(id);

      // Fleets: bob's is not alice's.
      JsonObject fleet = new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants",
          new JsonArray().add(new JsonObject().put("account", "jf-0").put("authValue", "key-jf-0")));
      assertThat(as(s, bob, HttpMethod.PUT, "/v1/fleets/bobs", fleet, null).statusCode()).isEqualTo(201);
      assertThat(as(s, alice, HttpMethod.GET, "/v1/fleets/bobs", null, null).statusCode()).isEqualTo(404);
      assertThat(as(s, ops, HttpMethod.GET, "/v1/fleets/bobs", null, null).statusCode()).isEqualTo(200);

      // The bridge takes the same tokens and the same separation.
      try (BridgeClient c = new BridgeClient(s.app.bridgePort())) {
        JsonObject hers = c.request("onboarder.jobs.get", new JsonObject().put("id", id), alice);
        assertThat(hers.getJsonObject("body").getString("id")).isEqualTo(id);
        assertThat(c.request("onboarder.jobs.get", new JsonObject().put("id", id), bob).getInteger("failureCode"))
            .isEqualTo(404);
        assertThat(c.request("onboarder.jobs.get", new JsonObject().put("id", id), ops).getString("type"))
            .isEqualTo("message");
        assertThat(c.request("onboarder.jobs.list", new JsonObject(), idp.hmacWithPublicKey("rsa-1",
            idp.claims("mallory"))).getInteger("failureCode")).isEqualTo(401);
      }

      // The provider rotates to a new key: its tokens work at once, without a restart.
      idp.publish(idp.newKey("ec-2", "ES256"));
      String rotated = idp.token("ec-2", "system:serviceaccount:team-a:deployer");
      assertThat(as(s, rotated, HttpMethod.GET, "/v1/jobs/" + id, null, null).statusCode()).isEqualTo(200);

      // Refused tokens: 401 problem+json, Bearer error="invalid_token", no echo of the token.
      long now = System.currentTimeMillis() / 1000;
      String expired = idp.sign("rsa-1", idp.claims("system:serviceaccount:team-a:deployer").put("exp", now - 120));
      HttpResponse<Buffer> late = as(s, expired, HttpMethod.GET, "/v1/jobs/" + id, null, null);
      assertThat(late.statusCode()).isEqualTo(401);
      assertThat(late.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(late.getHeader("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
      assertThat(late.bodyAsJsonObject().getString("detail")).contains("expired");
      String wrongAudience = idp.sign("rsa-1", idp.claims("x").put("aud", "another-service"));
      HttpResponse<Buffer> refused = as(s, wrongAudience, HttpMethod.GET, "/v1/jobs", null, null);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.getHeader("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
      assertThat(refused.bodyAsString()).doesNotContain(wrongAudience.substring(0, 20), "another-service",
          "audience expected");
      assertThat(as(s, "not-a-token", HttpMethod.GET, "/v1/jobs", null, null).statusCode()).isEqualTo(401);
    }
  }
}
