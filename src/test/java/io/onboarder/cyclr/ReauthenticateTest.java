package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose API-key item finds its install unauthenticated gives it the item's key
 * ({@code PUT /v1.0/account/connectors/{id}}) instead of reporting it installed: the same refused key fails the
 * item with {@code CREDENTIALS_REFUSED}, another one authenticates the same install (no second install).
 */
@ExtendWith(VertxExtension.class)
class ReauthenticateTest {

  private static JsonObject job(String key) {
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("createAccounts", true)
        .put("items", new JsonArray().add(new JsonObject().put("account", "ra-1").put("authValue", key)));
  }

  @Test
  void aRefusedKeyFailsTheItemAndANewOneAuthenticatesTheSameInstall(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir, e -> { }, c -> { })) {
      s.awaitJob(s.submit(job("key-1")));
      JsonObject install = s.cyclr.accountConnectors("ra-1").get(0);
      s.cyclr.refuseCredentials(install.getInteger("Id"));

      String again = s.submit(job("key-1"));
      assertThat(s.awaitJob(again).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      List<JsonObject> failed = s.items(again, "FAILED");
      assertThat(failed).hasSize(1);
      assertThat(failed.get(0).getJsonObject("error").getString("code")).isEqualTo("CREDENTIALS_REFUSED");
      assertThat(failed.get(0).encode()).doesNotContain("key-1");

      String renewed = s.submit(job("key-2"));
      assertThat(s.awaitJob(renewed).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.items(renewed, "ALREADY_INSTALLED")).hasSize(1);
      assertThat(s.cyclr.accountConnectors("ra-1")).extracting(ac -> ac.getLong("Id") + ":"
          + ac.getBoolean("Authenticated")).containsExactly(install.getLong("Id") + ":true");
      assertThat(s.cyclr.stats().requests("PUT /v1.0/account/connectors/{id}")).isEqualTo(2);
      assertThat(s.cyclr.stats().installs()).isEqualTo(1);
    }
  }
}
