package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Main;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code backup --to FILE} while a job runs: the copy is one consistent instant of the store, and a service
 * started on it finishes the job without installing anything twice.
 */
@ExtendWith(VertxExtension.class)
class BackupTest {
  private static final int ITEMS = 40;

  @Test
  void aBackupTakenWhileAJobRunsRestoresToAServiceThatFinishesTheJobWithoutDuplicates(Vertx vertx, @TempDir Path dir)
      throws Exception {
    TestService s = TestService.start(vertx, Vertx.vertx(), dir, e -> e.setLatencyMs(5), c -> {
      ConfigLoader.put(c, "gateway.maxConcurrency", 4);
      ConfigLoader.put(c, "jobs.leaseMs", 1000);
    });
    String id = s.submit(TestService.apiKeyJob("bk", ITEMS));
    s.poll(() -> s.job(id).getJsonObject("counts").getLong("INSTALLED"), n -> n >= 5, Duration.ofSeconds(30),
        "some installs");
    // Cyclr stops answering: the job is certainly still running while the backup is taken.
    s.cyclr.options().setOutage(true);
    Path conf = dir.resolve("service.json");
    Files.writeString(conf, s.config().encode());
    Path copy = dir.resolve("backups").resolve("onboarder.db");
    assertThat(new CommandLine(new Main()).execute("backup", "--to", copy.toString(), "--config", conf.toString()))
        .isZero();
    assertThat(new CommandLine(new Main()).execute("backup", "--to", copy.toString(), "--config", conf.toString()))
        .as("an existing backup is never overwritten").isEqualTo(1);
    assertThat(copy.resolveSibling("onboarder.key")).as("the generated key, copied beside the backup").exists();
    assertThat(copy.resolveSibling("onboarder.db.partial")).doesNotExist();

    try (Connection c = Backup.connect(copy); Statement st = c.createStatement()) {
      assertThat(scalar(st, "SELECT status FROM jobs WHERE id = '" + id + "'")).isIn("PENDING", "RUNNING");
      assertThat(Long.parseLong(scalar(st, "SELECT count(*) FROM items WHERE job_id = '" + id + "'")))
          .as("every item of the job, none half-written").isEqualTo(ITEMS);
      assertThat(Long.parseLong(scalar(st, "SELECT count(*) FROM items WHERE job_id = '" + id
          + "' AND status IN ('INSTALLED', 'ALREADY_INSTALLED')"))).isBetween(5L, (long) ITEMS - 1);
    }

    // The original finishes its job; then the service starts on the restored copy, over the same Cyclr.
    s.cyclr.options().setOutage(false);
    assertThat(s.awaitJob(id, Duration.ofSeconds(60)).getString("status")).isEqualTo("SUCCEEDED");
    TestService restored = s.crashAndRestart(Vertx.vertx(), c -> ConfigLoader.put(c, "store.url", "sqlite:" + copy));
    try {
      JsonObject done = restored.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED")).isEqualTo(ITEMS);
      assertThat(restored.cyclr.stats().installs()).as("nothing installed again").isEqualTo(ITEMS);
      assertThat(restored.cyclr.stats().duplicateInstalls()).isZero();
    } finally {
      TestService.await(restored.vertx.close());
    }
  }

  @Test
  void aPostgresqlStoreIsLeftToPgDump(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("pg.json");
    JsonObject c = new JsonObject();
    ConfigLoader.put(c, "store.url", "postgresql://u:p@127.0.0.1:1/db");
    ConfigLoader.put(c, "store.secretKey", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    ConfigLoader.put(c, "api.tokens", TestService.TOKEN);
    ConfigLoader.put(c, "cyclr.apiUrl", "http://127.0.0.1:1");
    ConfigLoader.put(c, "cyclr.clientId", "client");
    ConfigLoader.put(c, "cyclr.clientSecret", "secret");
    Files.writeString(conf, c.encode());
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream before = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(new CommandLine(new Main()).execute("backup", "--to", dir.resolve("x.db").toString(), "--config",
          conf.toString())).isEqualTo(2);
    } finally {
      System.setErr(before);
    }
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("pg_dump");
    assertThat(dir.resolve("x.db")).doesNotExist();
  }

  private static String scalar(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      assertThat(rs.next()).isTrue();
      return rs.getString(1);
    }
  }
}
