package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The file gives defaults, the flat environment overrides them, and env names land on nested keys. */
@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {

  @Test
  void foldsFlatEnvNamesOntoNestedKeysAndEnvWinsOverTheFile() {
    JsonObject merged = new JsonObject()
        .put("http", new JsonObject().put("port", 8080))
        .put("cyclr", new JsonObject().put("apiUrl", "https://file.example").put("clientId", "from-file"))
        .put("HTTP_PORT", "9090")
        .put("CYCLR_CLIENT_SECRET", "from-env");

    JsonObject folded = ConfigLoader.foldEnv(merged);

    assertThat(folded.getJsonObject("http").getValue("port")).isEqualTo("9090");
    assertThat(folded.getJsonObject("cyclr").getString("clientSecret")).isEqualTo("from-env");
    assertThat(folded.getJsonObject("cyclr").getString("apiUrl")).as("file-only keys stay")
        .isEqualTo("https://file.example");
    assertThat(folded.getJsonObject("cyclr").getString("clientId")).isEqualTo("from-file");
    assertThat(folded.containsKey("HTTP_PORT")).as("flat env names are removed").isFalse();
    assertThat(folded.containsKey("CYCLR_CLIENT_SECRET")).isFalse();
    assertThat(merged.getValue("HTTP_PORT")).as("input left untouched").isEqualTo("9090");
    assertThat(merged.getJsonObject("http").getValue("port")).isEqualTo(8080);
  }

  @ParameterizedTest
  @EnumSource(ConfigKey.class)
  void everyEnvVarLandsOnItsNestedKey(ConfigKey key) {
    JsonObject folded = ConfigLoader.foldEnv(new JsonObject().put(key.env, "v-" + key.env));
    String[] parts = key.key.split("\\.");
    JsonObject parent = folded;
    for (int i = 0; i < parts.length - 1; i++) {
      parent = parent.getJsonObject(parts[i]);
      assertThat(parent).as("parent %s of %s", parts[i], key.key).isNotNull();
    }
    assertThat(parent.getValue(parts[parts.length - 1])).isEqualTo("v-" + key.env);
  }

  @Test
  void leavesUnrelatedEntriesAlone() {
    JsonObject folded = ConfigLoader.foldEnv(new JsonObject().put("PATH", "/usr/bin").put("custom", 1));
    assertThat(folded.getString("PATH")).isEqualTo("/usr/bin");
    assertThat(folded.getInteger("custom")).isEqualTo(1);
  }

  @Test
  void loadsTheJsonFileGivenItsPath(Vertx vertx, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, new JsonObject()
        .put("http", new JsonObject().put("port", 8181))
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.example").put("clientId", "c")
            .put("clientSecret", "s"))
        .put("api", new JsonObject().put("tokens", "t"))
        .put("gateway", new JsonObject().put("maxConcurrency", 7))
        .encodePrettily());

    // File only: whatever the build's environment holds must not change what the file says.
    JsonObject conf = ConfigLoader.load(vertx, file.toString(), false).await(5, TimeUnit.SECONDS);

    assertThat(conf.getJsonObject("http").getInteger("port")).isEqualTo(8181);
    assertThat(conf.getJsonObject("cyclr").getString("apiUrl")).isEqualTo("https://api.example");
    Settings s = Settings.from(conf);
    assertThat(s.httpPort()).isEqualTo(8181);
    assertThat(s.maxConcurrency()).isEqualTo(7);
  }

  @Test
  void aMissingFileIsNotAnError(Vertx vertx, @TempDir Path dir) throws Exception {
    JsonObject conf = ConfigLoader.load(vertx, dir.resolve("absent.json").toString()).await(5, TimeUnit.SECONDS);
    assertThat(conf).isNotNull();
  }

  @Test
  void aMalformedFileFailsTheLoadInsteadOfBeingSilentlyIgnored(Vertx vertx, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"gateway\": {\"ratePerSecond\": 5,}"); // a typo

    Future<JsonObject> loaded = ConfigLoader.load(vertx, file.toString());
    Throwable failure = loaded.map(conf -> (Throwable) null).otherwise(t -> t).await(5, TimeUnit.SECONDS);

    // BUG: the file store is optional so that a *missing* file is fine, but vertx-config then also swallows a
    // parse error and yields {} — a typo silently drops every file setting (here the rate limit: 0 = unlimited).
    assertThat(failure).as("load of a malformed file succeeded with %s", loaded.result()).isNotNull();
  }
}
