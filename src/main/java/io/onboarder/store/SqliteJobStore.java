package io.onboarder.store;

import io.onboarder.bus.Problem;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobStatus;
import io.onboarder.job.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded store: one SQLite file (WAL, full sync, immediate transactions) through the
 * Vert.x JDBC pool, schema migrated by Flyway. Writes are batched by the caller.
 */
public final class SqliteJobStore implements JobStore {
  private static final int INSERT_CHUNK = 2_000;

  private final Vertx vertx;
  private final Path dbFile;
  private final byte[] configuredKey;
  private SQLiteDataSource dataSource;
  private Pool pool;
  private SecretBox box;

  public SqliteJobStore(Vertx vertx, Path dbFile, byte[] configuredKey) {
    this.vertx = vertx;
    this.dbFile = dbFile;
    this.configuredKey = configuredKey;
  }

  @Override
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      Path dir = dbFile.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      box = SecretBox.forStore(configuredKey, keyFileFor(dbFile));
      SQLiteConfig config = new SQLiteConfig();
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
      config.setBusyTimeout(30_000);
      config.enforceForeignKeys(true);
      config.setPragma(SQLiteConfig.Pragma.SECURE_DELETE, "true");
      dataSource = new SQLiteDataSource(config);
      dataSource.setUrl("jdbc:sqlite:" + dbFile.toAbsolutePath());
      Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
      return null;
    }).map(v -> {
      // One connection: SQLite has one writer, and statements are short; no lock contention at all.
      pool = JDBCPool.pool(vertx, dataSource, new PoolOptions().setMaxSize(1).setName("onboarder-sqlite"));
      return null;
    });
  }

  /** The generated key lives beside the database: {@code data/onboarder.db} → {@code data/onboarder.key}. */
  public static Path keyFileFor(Path dbFile) {
    String name = dbFile.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dbFile.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".key");
  }

  /**
   * Runs {@code work} in one IMMEDIATE transaction with explicit BEGIN/COMMIT. (The JDBC client's
   * own transactions leave the connection with auto-commit off afterwards, which with SQLite keeps
   * a transaction open and delays every later statement's commit.) {@code durable} fsyncs the
   * commit (synchronous=FULL) instead of the default NORMAL.
   */
  private <T> Future<T> inTransaction(boolean durable, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> {
      Future<Void> ready = durable ? conn.query("PRAGMA synchronous = FULL").execute().mapEmpty()
          : Future.succeededFuture();
      Future<T> result = ready
          .compose(v -> conn.query("BEGIN IMMEDIATE").execute())
          .compose(v -> work.apply(conn)
              .compose(r -> conn.query("COMMIT").execute().map(r))
              .recover(err -> conn.query("ROLLBACK").execute().transform(x -> Future.<T>failedFuture(err))));
      return durable
          ? result.transform(ar -> conn.query("PRAGMA synchronous = NORMAL").execute().transform(x -> (Future<T>) ar))
          : result;
    });
  }

  @Override
  public Future<Void> close() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  @Override
  public Future<Created> create(JobRequest request, String idempotencyKey) {
    // Fingerprinting and encrypting 100,000 items is CPU work: done on a worker, not the event loop.
    return vertx.executeBlocking(() -> prepare(request, idempotencyKey), false)
        .compose(prepared -> existing(prepared).compose(found -> found != null ? Future.succeededFuture(found)
            : insert(prepared)));
  }

  /** A job ready to insert: its id, spec, encrypted item rows and request fingerprint. */
  private record Prepared(JobRequest request, String key, String print, String id, String now, JsonObject spec,
                          List<Tuple> rows) {}

  private Prepared prepare(JobRequest request, String idempotencyKey) {
    String print = idempotencyKey == null ? null : box.fingerprint(canonical(request));
    String id = UUID.randomUUID().toString();
    String now = Instant.now().toString();
    List<Tuple> rows = new ArrayList<>(request.items().size());
    for (JobRequest.Item item : request.items()) {
      JsonObject itemSpec = item.specJson();
      rows.add(Tuple.of(id, item.account(), itemSpec == null ? null : itemSpec.encode(),
          box.encrypt(item.authValue()), now));
    }
    return new Prepared(request, idempotencyKey, print, id, now, request.specJson(), rows);
  }

  private Future<Created> existing(Prepared p) {
    if (p.key() == null) {
      return Future.succeededFuture(null);
    }
    return pool.preparedQuery(SqlQueries.SELECT_JOB_BY_KEY).execute(Tuple.of(p.key())).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      if (!p.print().equals(row.getString("request_print"))) {
        throw Problem.conflict("Idempotency-Key '" + p.key() + "' was already used with a different request body.");
      }
      return new Created(job(row), true);
    });
  }

  private Future<Created> insert(Prepared p) {
    int total = p.request().items().size();
    // A 202 promises the job survives even power loss: this commit is fsynced (synchronous=FULL),
    // which makes every earlier WAL frame durable too. Item progress rides on NORMAL (durable
    // across process crashes): losing the last of it to power loss only means a re-check at Cyclr.
    return inTransaction(true, conn -> conn.preparedQuery(SqlQueries.INSERT_JOB)
            .execute(Tuple.of(p.id(), JobStatus.PENDING.name(), p.now(), total, p.spec().encode(), p.key(),
                p.print()))
            .compose(v -> insertChunks(conn, p.rows(), 0)))
        .map(v -> new Created(new JobRecord(p.id(), JobStatus.PENDING, p.now(), null, total, p.spec(), false), false))
        .recover(err -> p.key() != null && String.valueOf(err.getMessage()).contains("UNIQUE")
            // A concurrent request with the same key won the race: answer with its job.
            ? existing(p).compose(found -> found != null ? Future.succeededFuture(found) : Future.failedFuture(err))
            : Future.failedFuture(err));
  }

  private Future<Void> insertChunks(SqlConnection conn, List<Tuple> rows, int from) {
    if (from >= rows.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(rows.size(), from + INSERT_CHUNK);
    return conn.preparedQuery(SqlQueries.INSERT_ITEM).executeBatch(rows.subList(from, to))
        .compose(v -> insertChunks(conn, rows, to));
  }

  /** Everything that makes two requests "the same body", including auth values (only ever hashed with a key). */
  private static String canonical(JobRequest r) {
    JsonArray items = new JsonArray();
    for (JobRequest.Item i : r.items()) {
      items.add(new JsonArray().add(i.account()).add(i.authValue()).add(i.specJson()));
    }
    return r.specJson().encode() + items.encode();
  }

  @Override
  public Future<JobRecord> job(String jobId) {
    return pool.preparedQuery(SqlQueries.SELECT_JOB).execute(Tuple.of(jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  @Override
  public Future<List<JobRecord>> recentJobs(int limit) {
    return pool.preparedQuery(SqlQueries.SELECT_RECENT_JOBS).execute(Tuple.of(limit)).map(SqliteJobStore::jobs);
  }

  @Override
  public Future<List<JobRecord>> unfinishedJobs() {
    return pool.query(SqlQueries.SELECT_UNFINISHED_JOBS).execute().map(SqliteJobStore::jobs);
  }

  private static List<JobRecord> jobs(RowSet<Row> rows) {
    List<JobRecord> out = new ArrayList<>();
    rows.forEach(r -> out.add(job(r)));
    return out;
  }

  private static JobRecord job(Row r) {
    return new JobRecord(r.getString("id"), JobStatus.valueOf(r.getString("status")), r.getString("created_at"),
        r.getString("finished_at"), r.getInteger("total"), new JsonObject(r.getString("spec")),
        r.getInteger("cancel_requested") != null && r.getInteger("cancel_requested") == 1);
  }

  @Override
  public Future<Map<ItemStatus, Long>> counts(String jobId) {
    return pool.preparedQuery(SqlQueries.COUNT_BY_STATUS).execute(Tuple.of(jobId)).map(rows -> {
      Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
      for (ItemStatus s : ItemStatus.values()) {
        counts.put(s, 0L);
      }
      rows.forEach(r -> counts.put(ItemStatus.valueOf(r.getString(0)), r.getLong(1)));
      return counts;
    });
  }

  @Override
  public Future<Integer> requeueRunning() {
    return pool.preparedQuery(SqlQueries.REQUEUE_RUNNING).execute(Tuple.of(Instant.now().toString()))
        .map(RowSet::rowCount);
  }

  @Override
  public Future<List<ClaimedItem>> claim(String jobId, int max, boolean recoveredOnly) {
    int minRecovered = recoveredOnly ? 1 : 0;
    return inTransaction(false, conn -> conn.preparedQuery(SqlQueries.SELECT_CLAIMABLE)
        .execute(Tuple.of(jobId, minRecovered, max))
        .compose(rows -> {
          List<Row> picked = new ArrayList<>();
          rows.forEach(picked::add);
          if (picked.isEmpty()) {
            return Future.succeededFuture(List.<Row>of());
          }
          long maxId = picked.get(picked.size() - 1).getLong("id");
          return conn.preparedQuery(SqlQueries.MARK_CLAIMED)
              .execute(Tuple.of(Instant.now().toString(), jobId, minRecovered, maxId))
              .map(v -> picked);
        }))
        .map(rows -> {
          List<ClaimedItem> items = new ArrayList<>(rows.size());
          for (Row r : rows) {
            String spec = r.getString("spec");
            String authValue = null;
            boolean unreadable = false;
            try {
              authValue = box.decrypt(r.getString("auth_value"));
            } catch (IllegalStateException e) {
              unreadable = true; // one bad value fails its item, not the whole claim
            }
            items.add(new ClaimedItem(r.getLong("id"), jobId, r.getString("account"), authValue,
                spec == null ? null : new JsonObject(spec), r.getInteger("attempts") + 1, unreadable));
          }
          return items;
        });
  }

  @Override
  public Future<Void> record(List<ItemOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture();
    }
    String now = Instant.now().toString();
    List<Tuple> batch = new ArrayList<>(outcomes.size());
    for (ItemOutcome o : outcomes) {
      batch.add(Tuple.from(new Object[] {o.status().name(), o.connectorId(), o.accountConnectorId(), o.oauthUrl(),
          o.oauthExpiresAt(), o.error() == null ? null : o.error().encode(), o.wipesAuthValue() ? 1 : 0,
          o.status().name(), o.recovered() ? 1 : 0, now, o.itemId()}));
    }
    return inTransaction(false, conn -> conn.preparedQuery(SqlQueries.RECORD_OUTCOME).executeBatch(batch))
        .mapEmpty();
  }

  @Override
  public Future<List<Changed>> cancelPending(String jobId, boolean requested) {
    String now = Instant.now().toString();
    return inTransaction(requested, conn -> (requested
            ? conn.preparedQuery(SqlQueries.MARK_CANCEL_REQUESTED).execute(Tuple.of(jobId)).mapEmpty()
            : Future.<Void>succeededFuture())
        .compose(v -> changing(conn, SqlQueries.SELECT_CANCELLABLE, Tuple.of(jobId)))
        .compose(changed -> conn.preparedQuery(SqlQueries.CANCEL_PENDING).execute(Tuple.of(now, jobId))
            .map(changed)));
  }

  @Override
  public Future<List<Changed>> retryFailed(String jobId) {
    String now = Instant.now().toString();
    // A retry re-opens the job in the same transaction (RUNNING, not finished, no longer cancelled),
    // so a crash cannot leave PENDING items inside a finished job.
    return inTransaction(false, conn -> changing(conn, SqlQueries.SELECT_BY_STATUS, Tuple.of(jobId, "FAILED"))
        .compose(changed -> changed.isEmpty() ? Future.succeededFuture(changed)
            : conn.preparedQuery(SqlQueries.RETRY_FAILED).execute(Tuple.of(now, jobId))
                .compose(v -> conn.preparedQuery(SqlQueries.REOPEN_JOB).execute(Tuple.of(jobId)))
                .map(changed)));
  }

  /** The items of a job in a status, read inside the transaction that is about to change them. */
  private static Future<List<Changed>> changing(SqlConnection conn, String sql, Tuple args) {
    return conn.preparedQuery(sql).execute(args).map(rows -> {
      List<Changed> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(new Changed(r.getLong("id"), r.getString("account"))));
      return out;
    });
  }

  @Override
  public Future<Void> setJobStatus(String jobId, JobStatus status, String finishedAt) {
    return pool.preparedQuery(SqlQueries.SET_JOB_STATUS)
        .execute(Tuple.of(status.name(), finishedAt, jobId))
        .mapEmpty();
  }

  @Override
  public Future<ItemPage> items(String jobId, ItemStatus status, int limit, String cursor) {
    long after;
    try {
      after = cursor == null || cursor.isEmpty() ? 0 : Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      return Future.failedFuture(Problem.badRequest("cursor is not one this service issued"));
    }
    Future<RowSet<Row>> rows = status == null
        ? pool.preparedQuery(SqlQueries.SELECT_ITEMS).execute(Tuple.of(jobId, after, limit + 1))
        : pool.preparedQuery(SqlQueries.SELECT_ITEMS_BY_STATUS).execute(Tuple.of(jobId, status.name(), after,
            limit + 1));
    return rows.map(rs -> {
      JsonArray items = new JsonArray();
      String next = null;
      long last = 0;
      for (Row r : rs) {
        if (items.size() == limit) {
          next = String.valueOf(last);
          break;
        }
        last = r.getLong("id");
        items.add(itemJson(r));
      }
      return new ItemPage(items, next);
    });
  }

  private static JsonObject itemJson(Row r) {
    String spec = r.getString("spec");
    String error = r.getString("error");
    String url = r.getString("oauth_url");
    JsonObject item = new JsonObject()
        .put("id", String.valueOf(r.getLong("id")))
        .put("account", r.getString("account"))
        .put("connectorId", r.getLong("connector_id"))
        .put("status", r.getString("status"))
        .put("attempts", r.getInteger("attempts"))
        .put("accountConnectorId", r.getLong("account_connector_id"))
        .put("oauth", url == null ? null : new JsonObject().put("url", url)
            .put("expiresAt", r.getString("oauth_expires_at")))
        .put("error", error == null ? null : new JsonObject(error));
    if (spec != null) {
      JsonObject s = new JsonObject(spec);
      if (s.containsKey("installName")) {
        item.put("installName", s.getString("installName"));
      }
    }
    return item;
  }
}
