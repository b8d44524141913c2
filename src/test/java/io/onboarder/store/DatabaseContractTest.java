package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The database under every store: a newer schema and a second process are refused; a full disk is told apart. */
class DatabaseContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aDatabaseMigratedByANewerBuildIsRefused(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts first = store(kind, url);
    await(first.close());
    stores.remove(first);
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      st.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
          + "installed_by, installed_on, execution_time, success) VALUES (99, '99', 'from the future', 'SQL', "
          + "'V99__future.sql', 0, 'test', CURRENT_TIMESTAMP, 1, " + (kind.equals("sqlite") ? "1" : "true") + ")");
    }
    Stores again = unstarted(kind, url, SignInPolicy.DEFAULT, 2);
    // The newest version this build knows is its newest migration file, not the database's version.
    int newest;
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration", kind))) {
      newest = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*"))
          .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow();
    }
    assertThatThrownBy(() -> await(again.start())).cause().satisfies(failedWith(StoreException.Kind.REFUSED))
        .hasMessageContaining("schema is at version 99, newer than this build")
        .hasMessageContaining("(" + newest + " is the newest it knows)");
  }

  @org.junit.jupiter.api.Test
  void aSecondServiceOnTheSameSqliteFileIsRefused() {
    store("sqlite");
    Stores second = unstarted("sqlite", null, SignInPolicy.DEFAULT, 1);
    assertThatThrownBy(() -> await(second.start())).cause().satisfies(failedWith(StoreException.Kind.REFUSED))
        .hasMessageContaining("another cyclr-onboarder process is using");
  }

  @org.junit.jupiter.api.Test
  void aFullDiskIsRecognisedAsSuchAndTheStoreKeepsWorkingOnceThereIsSpace() throws Exception {
    StorePorts s = store("sqlite");
    await(s.intake().create(request("a"), "alice", null));
    // SQLite's page cap stands in for a full disk: it fails writes with SQLITE_FULL, as ENOSPC does.
    java.nio.file.Path db = dir.resolve("db.sqlite");
    Throwable full;
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
         java.sql.Statement st = c.createStatement()) {
      st.execute("PRAGMA max_page_count = 1");
      full = org.assertj.core.api.Assertions.catchThrowable(() -> st.execute(
          "INSERT INTO items (job_id, account, spec, status, attempts) "
              + "SELECT job_id, account || 'x', hex(zeroblob(1000000)), status, 0 FROM items"));
    }
    assertThat(full).isNotNull();
    // Classified from SQLite's result code (SQLITE_FULL), as PostgreSQL's from its SQLState (StoreFailuresTest).
    assertThat(StoreFailures.classify(full).kind()).isEqualTo(StoreException.Kind.DISK_FULL);
    // The service's own connection was never capped: it still writes.
    assertThat(await(s.intake().create(request("b"), "alice", null)).existing()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aTransactionOfKnownStepsCommitsWholeOrNotAtAll(String kind) {
    Database db = store(kind).sql().database();
    String insert = db.sql("INSERT INTO store_probe (id, filler) VALUES (?, ?)");
    String touch = db.sql("UPDATE store_probe SET filler = ? WHERE id = ?");
    String count = "SELECT COUNT(*) FROM store_probe";
    // 70 rows: more than one driver batch where statements run one by one.
    List<io.vertx.sqlclient.Tuple> rows = IntStream.range(10, 80)
        .mapToObj(i -> io.vertx.sqlclient.Tuple.of(i, io.vertx.core.buffer.Buffer.buffer(new byte[] {1}))).toList();
    io.vertx.sqlclient.Tuple missing = io.vertx.sqlclient.Tuple.of(io.vertx.core.buffer.Buffer.buffer(new byte[2]), 999);

    // A guard that changes no row fails the transaction with its own failure, and undoes the steps before it.
    assertThatThrownBy(() -> await(db.steps(List.of(SqlStep.batch(insert, rows),
        SqlStep.guard(touch, missing, () -> new StoreException(StoreException.Kind.ABANDONED, "gone"))))))
        .cause().satisfies(failedWith(StoreException.Kind.ABANDONED)).hasMessage("gone");
    assertThat(await(db.query(count)).iterator().next().getLong(0)).isZero();

    // A statement that fails (a duplicate key) is classified, and undoes the steps before it.
    assertThatThrownBy(() -> await(db.steps(List.of(SqlStep.batch(insert, rows),
        SqlStep.batch(insert, List.of(rows.get(0)))))))
        .cause().satisfies(failedWith(StoreException.Kind.DUPLICATE));
    assertThat(await(db.query(count)).iterator().next().getLong(0)).isZero();

    // All steps passing: all of it is committed, and the connection serves the next statement.
    io.vertx.sqlclient.Tuple first = io.vertx.sqlclient.Tuple.of(io.vertx.core.buffer.Buffer.buffer(new byte[2]), 10);
    await(db.steps(List.of(SqlStep.batch(insert, rows),
        SqlStep.guard(touch, first, () -> new StoreException(StoreException.Kind.ABANDONED, "gone")))));
    assertThat(await(db.query(count)).iterator().next().getLong(0)).isEqualTo(70);
  }

  @org.junit.jupiter.api.Test
  void aThreadOfItsOwnCopiesSqlitesLogIntoTheFileAndTheWriterOnlyPastItsBound() {
    StorePorts s = store("sqlite");
    Database db = s.sql().database();
    assertThat(await(db.query("PRAGMA wal_autocheckpoint")).iterator().next().getLong(0))
        .isEqualTo(SqliteCheckpoints.WRITER_CHECKPOINT_PAGES);
    SqliteBackend backend = (SqliteBackend) db.backend();
    long before = backend.checkpointedPages();
    await(s.intake().create(request("a"), "alice", null));
    // The checkpoint thread runs every 100 ms: wait (on a timer, at most 10 s) until it has copied the new pages.
    await(until(() -> backend.checkpointedPages() > before, System.currentTimeMillis() + 10_000));
    assertThat(backend.checkpointedPages()).isGreaterThan(before);
  }

  @org.junit.jupiter.api.Test
  void theCheckpointThreadNeverMakesADeletedDatabaseFileAnew() throws Exception {
    StorePorts s = store("sqlite");
    SqliteBackend backend = (SqliteBackend) s.sql().database().backend();
    java.nio.file.Path db = dir.resolve("db.sqlite");
    java.nio.file.Files.delete(db);
    // Two checkpoints tried after the deletion (one may have opened its connection before it): no file again.
    long tried = backend.checkpointsTried();
    await(until(() -> backend.checkpointsTried() >= tried + 2, System.currentTimeMillis() + 10_000));
    assertThat(db).doesNotExist();
    assertThat(dir.resolve("db.sqlite-journal")).doesNotExist();
  }

  private Future<Void> until(java.util.function.BooleanSupplier done, long deadline) {
    if (done.getAsBoolean()) {
      return Future.succeededFuture();
    }
    if (System.currentTimeMillis() > deadline) {
      return Future.failedFuture("not reached in time");
    }
    io.vertx.core.Promise<Void> next = io.vertx.core.Promise.promise();
    vertx.setTimer(20, t -> until(done, deadline).onComplete(next));
    return next.future();
  }
}
