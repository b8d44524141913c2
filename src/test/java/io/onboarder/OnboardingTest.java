package io.onboarder;

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

@ExtendWith(VertxExtension.class)
class OnboardingTest {

  @Test
  void installsApiKeyConnectorIntoEveryAccountOnce(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      String id = s.submit(TestService.apiKeyJob("t", 30));
      JsonObject job = s.awaitJob(id);
      List<JsonObject> items = s.items(id, null);
      assertThat(job.getString("status")).as(items.toString()).isEqualTo("SUCCEEDED");
      assertThat(job.getJsonObject("counts").getLong("INSTALLED")).isEqualTo(30);
      assertThat(s.cyclr.stats().installs()).isEqualTo(30);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void resubmittedJobInstallsNothing(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = TestService.apiKeyJob("again", 10);
      s.awaitJob(s.submit(job));
      String second = s.submit(job);
      JsonObject done = s.awaitJob(second);
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonObject("counts").getLong("ALREADY_INSTALLED")).as(s.items(second, null).toString())
          .isEqualTo(10);
      assertThat(s.cyclr.stats().installs()).isEqualTo(10);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
    }
  }

  @Test
  void oauthConnectorByNameGetsSignInLink(Vertx vertx, @TempDir Path dir) {
    try (TestService s = TestService.start(vertx, dir)) {
      JsonObject job = new JsonObject()
          .put("connector", new JsonObject().put("name", "Salesforce"))
          .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
          .put("items", new JsonArray().add(new JsonObject().put("account", "o-1")));
      String id = s.submit(job);
      JsonObject done = s.awaitJob(id);
      List<JsonObject> items = s.items(id, null);
      assertThat(done.getString("status")).as(items.toString()).isEqualTo("SUCCEEDED");
      assertThat(items.get(0).getString("status")).isEqualTo("OAUTH_PENDING");
    }
  }
}
