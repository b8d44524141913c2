package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Main;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Rotating {@code STORE_SECRET_KEY}: values sealed with the old key still open while it is in
 * {@code STORE_SECRET_KEYS_OLD}; {@code rekey} re-seals them all with the new key (while the service runs), after
 * which the old key is no longer needed. Items wait at a stopped Cyclr so that their auth values stay stored.
 */
@ExtendWith(VertxExtension.class)
class RekeyTest {
  private static final int ITEMS = 12;

  private static String randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  @Test
  void valuesSealedBeforeARotationStillOpenWithTheOldKeyAmongTheOldKeys(Vertx vertx, @TempDir Path dir) {
    String oldKey = randomKey();
    TestService s = start(vertx, dir, "sqlite:" + dir.resolve("onboarder.db"), oldKey);
    int port = s.cyclr.port();
    TestService.await(s.cyclr.stop());
    String id = s.submit(TestService.apiKeyJob("old", ITEMS));

    TestService rotated = s.crashAndRestart(Vertx.vertx(), c -> {
      ConfigLoader.put(c, "store.secretKey", randomKey());
      ConfigLoader.put(c, "store.secretKeysOld", randomKey() + "," + oldKey);
    });
    try {
      TestService.await(rotated.cyclr.start(port));
      assertThat(rotated.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(rotated.cyclr.stats().installs()).isEqualTo(ITEMS);
    } finally {
      TestService.await(rotated.vertx.close());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void rekeyReSealsEveryValueWhileTheServiceRunsSoTheOldKeyIsNoLongerNeeded(String backend, Vertx vertx,
                                                                          @TempDir Path dir) throws Exception {
    String url = backend.equals("sqlite") ? "sqlite:" + dir.resolve("onboarder.db")
        : SchemaTemplates.postgresDatabaseUrl();
    String oldKey = randomKey();
    String newKey = randomKey();
    TestService s = start(vertx, dir, url, oldKey);
    int port = s.cyclr.port();
    TestService.await(s.cyclr.stop());
    String id = s.submit(TestService.apiKeyJob("rk", ITEMS));
    SecretBox oldBox = new SecretBox(Base64.getDecoder().decode(oldKey));
    assertThat(sealed(s.config(), id).values()).hasSize(ITEMS).allMatch(v -> v.startsWith(oldBox.keyId() + ":"));

    // The new key seals, the old one only opens; rekey runs beside the running service.
    TestService rotated = s.crashAndRestart(Vertx.vertx(), c -> {
      ConfigLoader.put(c, "store.secretKey", newKey);
      ConfigLoader.put(c, "store.secretKeysOld", oldKey);
    });
    Vertx last = null;
    try {
      Path conf = dir.resolve("rekey.json");
      Files.writeString(conf, rotated.config().encode());
      assertThat(new CommandLine(new Main()).execute("rekey", "--config", conf.toString())).isZero();

      SecretBox newOnly = new SecretBox(Base64.getDecoder().decode(newKey));
      Map<String, String> after = sealed(rotated.config(), id);
      assertThat(after).hasSize(ITEMS).allSatisfy((account, value) -> {
        assertThat(value).startsWith(newOnly.keyId() + ":");
        assertThat(newOnly.decrypt(value)).isEqualTo("secret-key-rk-" + Integer.parseInt(account.substring(3)));
      });
      Rekey.Result again = Rekey.run(Settings.from(rotated.config()));
      assertThat(again.resealed()).isZero();
      assertThat(again.current()).isEqualTo(ITEMS);

      // The old key is gone from the configuration: the job still finishes, every value opened with the new key.
      TestService renewed = rotated.crashAndRestart(Vertx.vertx(), c -> ConfigLoader.put(c, "store.secretKeysOld", ""));
      last = renewed.vertx;
      TestService.await(renewed.cyclr.start(port));
      assertThat(renewed.awaitJob(id).getString("status")).isEqualTo("SUCCEEDED");
      assertThat(renewed.cyclr.stats().installs()).isEqualTo(ITEMS);
    } finally {
      TestService.await((last != null ? last : rotated.vertx).close());
    }
  }

  /** The service on its own Vert.x (so it can crash alone), its emulator on the test's; short leases. */
  private static TestService start(Vertx vertx, Path dir, String url, String key) {
    return TestService.start(vertx, Vertx.vertx(), dir, e -> { }, c -> {
      ConfigLoader.put(c, "store.url", url);
      ConfigLoader.put(c, "store.secretKey", key);
      ConfigLoader.put(c, "jobs.leaseMs", 1000);
    });
  }

  /** The stored auth values of a job's items, by account. */
  private static Map<String, String> sealed(JsonObject conf, String jobId) throws Exception {
    Map<String, String> values = new HashMap<>();
    try (Connection c = Rekey.connect(Settings.from(conf));
         PreparedStatement ps = c.prepareStatement("SELECT account, auth_value FROM items WHERE job_id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          values.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return values;
  }
}
