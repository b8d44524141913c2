package io.onboarder.store;

import io.onboarder.bus.Problem;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobStatus;
import io.onboarder.job.JobStore;
import io.onboarder.job.RequestPrint;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's logic, shared by both back ends: the SQL of {@link SqlQueries} run through a Vert.x
 * SQL {@link Pool}. A subclass supplies the pool, transactions and the dialect. Every status change
 * writes its events (and webhook outbox rows) in its own transaction, through an {@link EventLog}.
 */
abstract class SqlJobStore implements JobStore {
  private static final Logger log = LoggerFactory.getLogger(SqlJobStore.class);

  protected final Vertx vertx;
  protected final SqlDialect dialect;
  protected Pool pool;
  protected SecretBox box;
  private final String claimSql;
  private final String claimAccountsSql;
  private volatile Consumer<List<JobEvent>> committed = events -> { };
  private volatile Set<String> outboxTypes = Set.of();
  private final SqlWebhookOutbox outbox;
  private final SqlSignInStore signIns;

  SqlJobStore(Vertx vertx, SqlDialect dialect) {
    this.vertx = vertx;
    this.dialect = dialect;
    this.claimSql = SqlQueries.claim(dialect);
    this.claimAccountsSql = SqlQueries.claimAccounts(dialect);
    this.outbox = new SqlWebhookOutbox(this);
    this.signIns = new SqlSignInStore(this);
  }

  @Override
  public io.onboarder.signin.SignInStore signIns() {
    return signIns;
  }

  @Override
  public void onCommitted(Consumer<List<JobEvent>> listener) {
    this.committed = listener;
  }

  @Override
  public void outboxTypes(Set<String> types) {
    this.outboxTypes = Set.copyOf(types);
  }

  @Override
  public WebhookOutbox outbox() {
    return outbox;
  }

  /**
   * Runs {@code work} in one transaction that also writes the events it collected (last, before the
   * commit); after the commit they go to the {@link #onCommitted} listener, before the caller continues.
   */
  <T> Future<T> withEvents(boolean durable, BiFunction<SqlConnection, EventLog, Future<T>> work) {
    EventLog events = new EventLog(dialect, outboxTypes);
    Function<SqlConnection, Future<T>> tx = conn -> work.apply(conn, events).compose(r -> events.write(conn).map(r));
    return (durable ? inDurableTransaction(tx) : inTransaction(tx)).map(r -> {
      List<JobEvent> written = events.written();
      if (!written.isEmpty()) {
        try {
          committed.accept(written);
        } catch (RuntimeException e) {
          log.error("publishing {} committed event(s) failed: {}", written.size(), e.toString());
        }
      }
      return r;
    });
  }

  /** SQL with the dialect's differences expanded (for the outbox, which shares this store's pool). */
  String sqlOf(String text) {
    return dialect.sql(text);
  }

  Pool pool() {
    return pool;
  }

  <T> Future<T> transaction(Function<SqlConnection, Future<T>> work) {
    return inTransaction(work);
  }

  /** Runs {@code work} in one transaction on one connection. */
  protected abstract <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work);

  /** A transaction whose commit must survive power loss (a 202 promises the job survives). */
  protected <T> Future<T> inDurableTransaction(Function<SqlConnection, Future<T>> work) {
    return inTransaction(work);
  }

  /**
   * Migrates with Flyway (blocking: call from a worker) and refuses a database that a newer build
   * migrated: its schema would not match what this build writes.
   */
  static void migrate(DataSource dataSource, String location) {
    Flyway flyway = Flyway.configure().dataSource(dataSource).locations(location).load();
    flyway.migrate();
    MigrationInfo[] all = flyway.info().all();
    // The newest version this build ships: the migrations it resolved, not the database's current one.
    String newestKnown = java.util.Arrays.stream(all).filter(m -> !isFuture(m)).map(MigrationInfo::getVersion)
        .filter(java.util.Objects::nonNull).max(Comparable::compareTo).map(String::valueOf).orElse("none");
    for (MigrationInfo m : all) {
      if (isFuture(m)) {
        throw new StoreRefusedException("the database schema is at version " + m.getVersion()
            + ", newer than this build understands (" + newestKnown
            + " is the newest it knows): run the newer cyclr-onboarder, or restore a matching database");
      }
    }
  }

  private static boolean isFuture(MigrationInfo m) {
    return m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED;
  }

  private String sql(String text) {
    return dialect.sql(text);
  }

  @Override
  public Future<Void> close() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  @Override
  public Future<Void> ping() {
    return pool.query(SqlQueries.PING).execute().mapEmpty();
  }

  // ---- jobs ----------------------------------------------------------------------------------

  @Override
  public Future<Created> create(JobRequest request, String owner, String idempotencyKey) {
    // Fingerprinting and encrypting 100,000 items is CPU work: done on a worker, not the event loop.
    return vertx.executeBlocking(() -> prepare(request, owner, idempotencyKey), false)
        .compose(prepared -> existing(prepared).compose(found -> found != null ? Future.succeededFuture(found)
            : insert(prepared)));
  }

  /** A job ready to insert: its id, spec, encrypted item rows and request fingerprint. */
  private record Prepared(JobRequest request, String owner, String key, String print, String id, String now,
                          JsonObject spec, ItemRows rows) {}

  private Prepared prepare(JobRequest request, String owner, String idempotencyKey) {
    String key = keyOf(owner, idempotencyKey);
    String print = null;
    if (key != null) {
      RequestPrint rp = box.newPrint();
      request.items().forEach(rp::item);
      print = rp.finish(request.specJson());
    }
    String id = UUID.randomUUID().toString();
    String now = Instant.now().toString();
    return new Prepared(request, owner, key, print, id, now, request.specJson(),
        ItemRows.of(id, request.items(), now, box));
  }

  /** Keys are per caller: stored prefixed with the owner, so one unique column serves the whole cluster. */
  private static String keyOf(String owner, String idempotencyKey) {
    return idempotencyKey == null ? null : owner + "\u001f" + idempotencyKey;
  }

  @Override
  public RequestPrint newPrint() {
    return box.newPrint();
  }

  @Override
  public Future<Created> existing(String owner, String idempotencyKey, String print) {
    return existing(keyOf(owner, idempotencyKey), print);
  }

  private Future<Created> existing(Prepared p) {
    return existing(p.key(), p.print());
  }

  private Future<Created> existing(String key, String print) {
    if (key == null) {
      return Future.succeededFuture(null);
    }
    return pool.preparedQuery(sql(SqlQueries.SELECT_JOB_BY_KEY)).execute(Tuple.of(key)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      String stored = row.getString("request_print");
      if (print != null && !print.equals(stored)) {
        // The key is the caller's own text: it is not echoed back.
        throw Problem.conflict(stored != null && !stored.startsWith(SecretBox.PRINT_VERSION)
            ? "This Idempotency-Key was recorded by an earlier version of the service, whose request cannot be "
                + "compared with this one; use a new key."
            : "This Idempotency-Key was already used with a different request body.");
      }
      return new Created(job(row), true);
    });
  }

  private Future<Created> insert(Prepared p) {
    int total = p.request().items().size();
    JobRecord job = new JobRecord(p.id(), JobStatus.PENDING, p.now(), null, total, p.spec(), false, false, p.owner());
    return withEvents(true, (conn, events) -> conn.preparedQuery(sql(SqlQueries.insertJob(dialect)))
            .execute(Tuple.of(p.id(), JobStatus.PENDING.name(), p.now(), total, p.spec().encode(), p.key(),
                p.print(), p.owner()))
            .compose(v -> p.rows().insert(conn, dialect))
            .compose(v -> insertAccounts(conn, p.id(), p.spec(), p.now()))
            .map(v -> {
              events.job(p.id(), EventBodies.job(job, Map.of(ItemStatus.PENDING, (long) total),
                  p.request().template() == null ? null : Map.of(AccountStatus.WAITING, p.request().items().stream()
                      .map(JobRequest.Item::account).distinct().count())));
              return new Created(job, false);
            }))
        .recover(err -> p.key() != null && isUniqueViolation(err)
            // A concurrent request with the same key (on any node) won the race: answer with its job.
            ? existing(p).compose(found -> found != null ? Future.succeededFuture(found) : Future.failedFuture(err))
            : Future.failedFuture(err));
  }

  /** A job with a template gets one account row per account of its items, in the same transaction. */
  private Future<Void> insertAccounts(SqlConnection conn, String jobId, JsonObject spec, String now) {
    if (!(spec.getValue("template") instanceof JsonObject)) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(sql(SqlQueries.INSERT_ACCOUNTS)).execute(Tuple.of(now, jobId)).mapEmpty();
  }

  static boolean isUniqueViolation(Throwable err) {
    String m = String.valueOf(err.getMessage());
    return m.contains("UNIQUE") || m.contains("23505") || m.contains("duplicate key");
  }

  // ---- streamed intake ------------------------------------------------------------------------

  /** Items per DELETE when an intake is discarded: short transactions, so SQLite's one writer stays shared. */
  private static final int DELETE_CHUNK = 5_000;
  private static final String ABANDONED = "The upload took too long and was abandoned; submit the job again.";

  @Override
  public Future<Intake> openIntake(String owner) {
    String id = UUID.randomUUID().toString();
    return pool.preparedQuery(sql(SqlQueries.insertIntake(dialect)))
        .execute(Tuple.of(id, Instant.now().toString(), owner))
        .map(v -> new SqlIntake(id, owner));
  }

  @Override
  public Future<Integer> purgeStaleIntakes(long idleMs) {
    return pool.preparedQuery(sql(SqlQueries.STALE_INTAKES)).execute(Tuple.of(idleMs)).compose(rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(r.getString("id")));
      Future<Void> all = Future.succeededFuture();
      for (String id : ids) {
        all = all.compose(v -> deleteIntake(id));
      }
      return all.map(ids.size());
    });
  }

  private Future<Void> deleteIntake(String jobId) {
    return pool.preparedQuery(sql(SqlQueries.DELETE_INTAKE_ITEMS)).execute(Tuple.of(jobId, (long) DELETE_CHUNK))
        .compose(rs -> rs.rowCount() > 0 ? deleteIntake(jobId)
            : pool.preparedQuery(sql(SqlQueries.DELETE_INTAKE_JOB)).execute(Tuple.of(jobId)).mapEmpty());
  }

  /** One streamed job: inserts run in call order, each batch in its own transaction. */
  private final class SqlIntake implements Intake {
    private final String id;
    private final String owner;
    private final String now = Instant.now().toString();
    /** The last write: the next one waits for it, so items keep their submission order (ids). */
    private Future<Void> tail = Future.succeededFuture();

    SqlIntake(String id, String owner) {
      this.id = id;
      this.owner = owner;
    }

    @Override
    public String jobId() {
      return id;
    }

    @Override
    public Future<Void> append(List<JobRequest.Item> items) {
      // Encrypting starts now, on a worker, while the previous batch is still being inserted.
      Future<ItemRows> rows = vertx.executeBlocking(() -> ItemRows.of(id, items, now, box), false);
      String touch = sql(SqlQueries.TOUCH_INTAKE);
      tail = tail.compose(v -> rows).compose(batch -> inTransaction(conn -> conn.preparedQuery(touch)
          .execute(Tuple.of(id))
          .compose(t -> t.rowCount() == 1 ? batch.insert(conn, dialect)
              // Deleted as stale by some node (this one was thought dead): nothing may be added to it.
              : Future.failedFuture(Problem.unavailable(ABANDONED)))
          .<Void>mapEmpty()));
      return tail;
    }

    @Override
    public Future<Void> touch() {
      return pool.preparedQuery(sql(SqlQueries.TOUCH_INTAKE)).execute(Tuple.of(id)).mapEmpty();
    }

    @Override
    public Future<Created> commit(JobRequest fields, int total, String idempotencyKey, String print) {
      String key = keyOf(owner, idempotencyKey);
      JsonObject spec = fields.specJson();
      String createdAt = Instant.now().toString();
      Tuple args = Tuple.of(createdAt, total, spec.encode(), key, print, id);
      JobRecord job = new JobRecord(id, JobStatus.PENDING, createdAt, null, total, spec, false, false, owner);
      // The job's first event is written by the same transaction that makes it visible.
      return tail
          .compose(v -> withEvents(true, (conn, events) -> conn.preparedQuery(sql(SqlQueries.COMMIT_INTAKE))
              .execute(args).compose(rs -> {
                if (rs.rowCount() != 1) {
                  return Future.<Created>failedFuture(Problem.unavailable(ABANDONED));
                }
                // A job with a template gets its accounts in the same transaction that makes it visible.
                return insertAccounts(conn, id, spec, createdAt)
                    .compose(x -> job.hasTemplate() ? accountCountsOn(conn, id) : Future.succeededFuture(null))
                    .map(accounts -> {
                      events.job(id, EventBodies.job(job, Map.of(ItemStatus.PENDING, (long) total), accounts));
                      return new Created(job, false);
                    });
              })))
          .recover(err -> key != null && isUniqueViolation(err)
              // A concurrent request with the same key (on any node) committed first: answer with its job.
              ? discard().compose(v -> existing(key, print))
                  .compose(found -> found != null ? Future.succeededFuture(found) : Future.failedFuture(err))
              : Future.failedFuture(err));
    }

    @Override
    public Future<Void> discard() {
      Future<Void> after = tail.transform(ar -> Future.<Void>succeededFuture());
      tail = after.compose(v -> deleteIntake(id));
      return tail;
    }
  }

  @Override
  public Future<JobRecord> job(String jobId) {
    return jobOn(pool, jobId);
  }

  private Future<JobRecord> jobOn(SqlClient client, String jobId) {
    return client.preparedQuery(sql(SqlQueries.SELECT_JOB)).execute(Tuple.of(jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  @Override
  public Future<List<JobRecord>> recentJobs(String owner, int limit) {
    return (owner == null
        ? pool.preparedQuery(sql(SqlQueries.SELECT_RECENT_JOBS)).execute(Tuple.of((long) limit))
        : pool.preparedQuery(sql(SqlQueries.SELECT_RECENT_JOBS_OF)).execute(Tuple.of(owner, (long) limit)))
        .map(SqlJobStore::jobs);
  }

  @Override
  public Future<List<JobRecord>> unfinishedJobs() {
    return pool.query(sql(SqlQueries.SELECT_UNFINISHED_JOBS)).execute().map(SqlJobStore::jobs);
  }

  private static List<JobRecord> jobs(RowSet<Row> rows) {
    List<JobRecord> out = new ArrayList<>();
    rows.forEach(r -> out.add(job(r)));
    return out;
  }

  private static JobRecord job(Row r) {
    return new JobRecord(r.getString("id"), JobStatus.valueOf(r.getString("status")), r.getString("created_at"),
        r.getString("finished_at"), r.getInteger("total"), new JsonObject(r.getString("spec")),
        flag(r, "cancel_requested"), flag(r, "stopped"), r.getString("owner"));
  }

  private static boolean flag(Row r, String column) {
    Integer v = r.getInteger(column);
    return v != null && v != 0;
  }

  @Override
  public Future<Map<ItemStatus, Long>> counts(String jobId) {
    return countsOn(pool, jobId);
  }

  private Future<Map<ItemStatus, Long>> countsOn(SqlClient client, String jobId) {
    return client.preparedQuery(sql(SqlQueries.COUNT_BY_STATUS)).execute(Tuple.of(jobId)).map(rows -> {
      Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
      for (ItemStatus s : ItemStatus.values()) {
        counts.put(s, 0L);
      }
      rows.forEach(r -> counts.put(ItemStatus.valueOf(r.getString(0)), r.getLong(1)));
      return counts;
    });
  }
  /** The job's summary as its events carry it: item counts, and account counts when it has a template. */
  private Future<JsonObject> summaryOn(SqlClient client, JobRecord job) {
    Future<Map<ItemStatus, Long>> counts = countsOn(client, job.id());
    return counts.compose(c -> !job.hasTemplate() ? Future.succeededFuture(EventBodies.job(job, c))
        : accountCountsOn(client, job.id()).map(a -> EventBodies.job(job, c, a)));
  }

  private Future<Map<AccountStatus, Long>> accountCountsOn(SqlClient client, String jobId) {
    return client.preparedQuery(sql(SqlQueries.COUNT_ACCOUNTS_BY_STATUS)).execute(Tuple.of(jobId)).map(rows -> {
      Map<AccountStatus, Long> counts = new EnumMap<>(AccountStatus.class);
      for (AccountStatus s : AccountStatus.values()) {
        counts.put(s, 0L);
      }
      rows.forEach(r -> counts.put(AccountStatus.valueOf(r.getString(0)), r.getLong(1)));
      return counts;
    });
  }


  @Override
  public Future<Long> pendingItems() {
    return pool.query(sql(SqlQueries.COUNT_PENDING)).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  @Override
  public Future<Boolean> markRunning(String jobId) {
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> conn.preparedQuery(sql(SqlQueries.MARK_RUNNING)).execute(Tuple.of(jobId)))
        .compose(rs -> rs.rowCount() != 1 ? Future.succeededFuture(false)
            : jobOn(conn, jobId).compose(job -> summaryOn(conn, job).map(summary -> {
              events.job(jobId, summary);
              return true;
            }))));
  }

  // ---- leases --------------------------------------------------------------------------------

  @Override
  public Future<List<ClaimedItem>> claim(String jobId, String node, int max, long leaseMs) {
    // Candidates: twice what is wanted, so that items of an account already picked or busy can be skipped.
    Tuple args = Tuple.of(node, leaseMs, Instant.now().toString(), jobId, (long) max * 2, (long) max);
    return claimOnce(jobId, args)
        .recover(err -> isUniqueViolation(err)
            // Another node leased an item of the same account at the same instant: the database
            // refused this batch as a whole; nothing was claimed, so just try again.
            ? claimOnce(jobId, args)
            : Future.failedFuture(err));
  }

  private Future<List<ClaimedItem>> claimOnce(String jobId, Tuple args) {
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> conn.preparedQuery(claimSql).execute(args))
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
                spec == null ? null : new JsonObject(spec), r.getInteger("attempts"), unreadable,
                r.getLong("halted") != null && r.getLong("halted") > 0));
          }
          items.sort(Comparator.comparingLong(ClaimedItem::id));
          items.forEach(i -> events.item(jobId, EventBodies.item(jobId, i.id(), i.account(), null, ItemStatus.RUNNING,
              null), null));
          return items;
        }));
  }

  @Override
  public Future<Integer> renewLeases(String node, long leaseMs) {
    // Items' and account steps' leases of a node are renewed together: the node's lease check covers both.
    Future<Integer> items = pool.preparedQuery(sql(SqlQueries.RENEW_LEASES)).execute(Tuple.of(leaseMs, node))
        .map(RowSet::rowCount);
    Future<Integer> accounts = pool.preparedQuery(sql(SqlQueries.RENEW_ACCOUNT_LEASES)).execute(Tuple.of(leaseMs, node))
        .map(RowSet::rowCount);
    return Future.all(items, accounts).map(v -> items.result() + accounts.result());
  }

  @Override
  public Future<List<Changed>> releaseExpired() {
    return releaseByJob(SqlQueries.JOBS_WITH_EXPIRED_LEASES, SqlQueries.RELEASE_EXPIRED_OF_JOB);
  }

  @Override
  public Future<Integer> releaseAll() {
    return releaseByJob(SqlQueries.JOBS_WITH_RUNNING_ITEMS, SqlQueries.RELEASE_ALL_OF_JOB).map(List::size)
        .compose(n -> pool.query(sql(SqlQueries.RELEASE_ALL_ACCOUNTS)).execute().map(rows -> n + rows.rowCount()));
  }

  /** RUNNING items back to PENDING (recovered), job by job: the jobs are locked first, as everywhere. */
  private Future<List<Changed>> releaseByJob(String jobsQuery, String releaseOfJob) {
    return pool.query(sql(jobsQuery)).execute().compose(rows -> {
      Set<String> jobIds = new TreeSet<>();
      rows.forEach(r -> jobIds.add(r.getString(0)));
      if (jobIds.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      String now = Instant.now().toString();
      return withEvents(false, (conn, events) -> events.lock(conn, jobIds).compose(v -> {
        List<Changed> out = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (String jobId : jobIds) {
          chain = chain.compose(x -> conn.preparedQuery(sql(releaseOfJob)).execute(Tuple.of(now, jobId))
              .map(rs -> {
                List<Changed> changed = changed(rs, jobId);
                itemEvents(events, changed, ItemStatus.PENDING);
                out.addAll(changed);
                return null;
              }));
        }
        return chain.map(out);
      }));
    });
  }

  private static void itemEvents(EventLog events, List<Changed> changed, ItemStatus status) {
    changed.forEach(c -> events.item(c.jobId(), EventBodies.item(c.jobId(), c.itemId(), c.account(), null, status,
        null), null));
  }

  @Override
  public Future<List<ItemOutcome>> record(String node, List<ItemOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String now = Instant.now().toString();
    List<Tuple> batch = new ArrayList<>(outcomes.size());
    for (ItemOutcome o : outcomes) {
      batch.add(Tuple.from(new Object[] {o.status().name(), o.connectorId(), o.accountConnectorId(), o.oauthUrl(),
          o.oauthExpiresAt(), o.error() == null ? null : o.error().encode(), o.wipesAuthValue() ? 1 : 0,
          o.status().name(), o.recovered() ? 1 : 0, now, o.itemId(), node}));
    }
    // Jobs first (their events are numbered under the job row lock), then which of the outcomes this
    // node still holds (locked on PostgreSQL, so a takeover waits), then one batch for those; the lease
    // condition in the UPDATE is the backstop.
    Set<String> jobIds = new TreeSet<>();
    outcomes.forEach(o -> jobIds.add(o.jobId()));
    return withEvents(false, (conn, events) -> events.lock(conn, jobIds)
        .compose(v -> conn.preparedQuery(sql(SqlQueries.SELECT_HELD)).execute(Tuple.of(node)))
        .compose(rows -> {
          Set<Long> held = new java.util.HashSet<>();
          rows.forEach(r -> held.add(r.getLong(0)));
          List<ItemOutcome> applied = new ArrayList<>(outcomes.size());
          List<Tuple> updates = new ArrayList<>(outcomes.size());
          for (int i = 0; i < outcomes.size(); i++) {
            if (held.contains(outcomes.get(i).itemId())) {
              applied.add(outcomes.get(i));
              updates.add(batch.get(i));
            }
          }
          if (updates.isEmpty()) {
            return Future.succeededFuture(applied);
          }
          // The account of a job with a template may now go on to its template (in the same transaction).
          List<Tuple> accounts = applied.stream().filter(o -> o.status().terminal())
              .map(o -> Tuple.of(o.jobId(), o.account())).toList();
          return conn.preparedQuery(sql(SqlQueries.RECORD_OUTCOME)).executeBatch(updates)
              .compose(x -> accounts.isEmpty() ? Future.succeededFuture()
                  : conn.preparedQuery(sql(SqlQueries.ACCOUNT_ITEMS_DONE)).executeBatch(accounts).mapEmpty())
              .compose(x -> signIns.started(conn, applied)) // OAUTH_PENDING: watch and relay link
              .compose(started -> itemEvents(conn, events, started));
        }));
  }

  /** Each recorded item's event (with its webhook's item view) and, for a link to send, its oauth event. */
  private Future<List<ItemOutcome>> itemEvents(SqlConnection conn, EventLog events, List<ItemOutcome> started) {
    return webhookViews(conn, events, started).map(views -> {
      for (ItemOutcome o : started) {
        events.item(o.jobId(), EventBodies.item(o), views.get(o.itemId()));
        JsonObject oauth = EventBodies.oauth(o);
        if (oauth != null) {
          events.oauth(o.jobId(), oauth);
        }
      }
      return started;
    });
  }

  /**
   * The items (as GET …/items shows them, with the relay link just issued) that become webhooks, read
   * after their update in the same transaction.
   */
  private Future<Map<Long, JsonObject>> webhookViews(SqlConnection conn, EventLog events, List<ItemOutcome> applied) {
    Map<Long, JsonObject> views = new java.util.HashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    String select = sql(SqlQueries.SELECT_ITEM);
    for (ItemOutcome o : applied) {
      if (events.sendsWebhook(o.status().name())) {
        JsonObject link = o.relayUrl() == null ? null
            : new JsonObject().put("url", o.relayUrl()).put("expiresAt", o.relayExpiresAt());
        reads.add(conn.preparedQuery(select).execute(Tuple.of(o.itemId())).onSuccess(rows -> rows.forEach(r ->
            views.put(r.getLong("id"), itemJson(r, link)))));
      }
    }
    return Future.all(reads).map(views);
  }

  /** One item as GET …/items shows it, read on {@code conn} (inside a transaction), with its live link. */
  Future<JsonObject> itemView(SqlConnection conn, String jobId, long itemId) {
    return conn.preparedQuery(sql(SqlQueries.SELECT_ITEM)).execute(Tuple.of(itemId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture((JsonObject) null);
      }
      Row r = rows.iterator().next();
      return signIns.linksOf(conn, jobId, itemId, itemId).map(links -> itemJson(r, links.get(itemId)));
    });
  }

  // ---- control -------------------------------------------------------------------------------

  /** The job, locked for the rest of the transaction (PostgreSQL); 404 if there is none. */
  private Future<JobRecord> lockJob(SqlConnection conn, String jobId) {
    return conn.preparedQuery(sql(SqlQueries.LOCK_JOB)).execute(Tuple.of(jobId)).map(rows -> {
      if (rows.size() == 0) {
        throw Problem.notFound("No job with id '" + jobId + "'.");
      }
      return job(rows.iterator().next());
    });
  }

  @Override
  public Future<List<Changed>> cancel(String jobId) {
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> lockJob(conn, jobId)).compose(job -> {
          if (job.status().terminal()) {
            throw Problem.conflict("Job '" + jobId + "' already finished with status " + job.status()
                + "; there is nothing to cancel.");
          }
          return conn.preparedQuery(sql(SqlQueries.MARK_CANCEL_REQUESTED)).execute(Tuple.of(jobId))
              .compose(v -> signIns.revoke(conn, jobId)) // a cancelled job's sign-in links stop working
              .compose(v -> cancelUnstarted(conn, events, jobId));
        }));
  }

  @Override
  public Future<List<Changed>> stop(String jobId) {
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> conn.preparedQuery(sql(SqlQueries.MARK_STOPPED)).execute(Tuple.of(jobId)))
        .compose(v -> cancelUnstarted(conn, events, jobId)));
  }

  @Override
  public Future<List<Changed>> cancelUnstarted(String jobId) {
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> cancelUnstarted(conn, events, jobId)));
  }

  private Future<List<Changed>> cancelUnstarted(SqlClient conn, EventLog events, String jobId) {
    String now = Instant.now().toString();
    return conn.preparedQuery(sql(SqlQueries.CANCEL_UNSTARTED)).execute(Tuple.of(now, jobId))
        .map(rows -> {
          List<Changed> changed = changed(rows, jobId);
          itemEvents(events, changed, ItemStatus.CANCELLED);
          return changed;
        })
        // Accounts whose step has not started never will (their status does not change: no event).
        .compose(changed -> conn.preparedQuery(sql(SqlQueries.HALT_ACCOUNTS))
            .execute(Tuple.of(AccountOutcome.error("CANCELLED", "The job was cancelled or stopped before this "
                + "account got its template.").encode(), now, jobId))
            .map(changed));
  }

  private static List<Changed> changed(RowSet<Row> rows, String jobId) {
    List<Changed> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(new Changed(r.getLong("id"), jobId, r.getString("account"))));
    out.sort(Comparator.comparingLong(Changed::itemId));
    return out;
  }

  @Override
  public Future<Retried> retry(String jobId) {
    // A retry re-opens the job in the same transaction (RUNNING, not finished, no longer stopped),
    // so a crash cannot leave PENDING items inside a finished job.
    String now = Instant.now().toString();
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> lockJob(conn, jobId)).compose(job -> {
          if (job.cancelRequested()) {
            throw Problem.conflict("Job '" + jobId + "' was cancelled; a cancelled job stays cancelled. Submit the "
                + "failed items as a new job.");
          }
          return conn.preparedQuery(sql(SqlQueries.RETRY_FAILED)).execute(Tuple.of(now, jobId))
              .map(rows -> changed(rows, jobId))
              // Items first: an account whose items were retried waits for them.
              .compose(items -> conn.preparedQuery(sql(SqlQueries.RETRY_ACCOUNTS)).execute(Tuple.of(now, jobId))
                  .map(rows -> new Retried(items, accountsChanged(rows, jobId))))
              .compose(retried -> {
                if (retried.isEmpty()) {
                  return Future.succeededFuture(retried);
                }
                itemEvents(events, retried.items(), ItemStatus.PENDING);
                // FAILED accounts run again: WAITING (a re-checked SETUP_REQUIRED one keeps its status).
                retried.accounts().stream().filter(a -> a.status() == AccountStatus.WAITING).forEach(a ->
                    events.account(jobId, EventBodies.account(jobId, a.account(), a.status(), null, null, null), null));
                return conn.preparedQuery(sql(SqlQueries.REOPEN_JOB)).execute(Tuple.of(jobId))
                    // A finished job re-opens (a job event); a running one just has more to do.
                    .compose(x -> job.status() == JobStatus.RUNNING ? Future.succeededFuture(retried)
                        : jobOn(conn, jobId).compose(reopened -> summaryOn(conn, reopened).map(summary -> {
                          events.job(jobId, summary);
                          return retried;
                        })));
              });
        }));
  }

  private static List<AccountChanged> accountsChanged(RowSet<Row> rows, String jobId) {
    List<Row> sorted = new ArrayList<>();
    rows.forEach(sorted::add);
    sorted.sort(Comparator.comparingLong(r -> r.getLong("id")));
    return sorted.stream().map(r -> new AccountChanged(jobId, r.getString("account"),
        AccountStatus.valueOf(r.getString("status")))).toList();
  }

  @Override
  public Future<JobRecord> finishIfDone(String jobId) {
    // The job row is locked first, so a concurrent retry (which locks it too) is either wholly
    // before this check or wholly after the finish.
    return withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> lockJob(conn, jobId)).compose(job -> {
          if (job.status().terminal()) {
            return Future.succeededFuture((JobRecord) null);
          }
          // Not while an item is unfinished, nor while an account must still settle (see AccountPhase#blocksJob).
          return exists(conn, SqlQueries.ANY_UNFINISHED_ITEM, jobId).compose(unfinished -> unfinished
              ? Future.succeededFuture(true) : exists(conn, SqlQueries.ANY_BLOCKING_ACCOUNT, jobId))
              .compose(unfinished -> {
                if (unfinished) {
                  return Future.succeededFuture((JobRecord) null);
                }
                return exists(conn, SqlQueries.ANY_FAILED_ITEM, jobId).compose(failed -> failed
                    ? Future.succeededFuture(true) : exists(conn, SqlQueries.ANY_FAILED_ACCOUNT, jobId))
                    .compose(failed -> {
                      JobStatus status = job.cancelRequested() ? JobStatus.CANCELLED
                          : failed || job.stopped() ? JobStatus.COMPLETED_WITH_ERRORS : JobStatus.SUCCEEDED;
                      String finishedAt = Instant.now().toString();
                      JobRecord finished = new JobRecord(job.id(), status, job.createdAt(), finishedAt, job.total(),
                          job.spec(), job.cancelRequested(), job.stopped(), job.owner());
                      return conn.preparedQuery(sql(SqlQueries.FINISH_JOB))
                          .execute(Tuple.of(status.name(), finishedAt, jobId))
                          .compose(v -> summaryOn(conn, finished))
                          .map(summary -> {
                            events.job(jobId, summary);
                            return finished;
                          });
                    });
              });
        }));
  }

  private Future<Boolean> exists(SqlConnection conn, String query, String jobId) {
    return conn.preparedQuery(sql(query)).execute(Tuple.of(jobId)).map(rows -> rows.size() > 0);
  }

  // ---- queries -------------------------------------------------------------------------------

  /** The id a page cursor stands for (0 for the first page). */
  private static long after(String cursor) {
    try {
      return cursor == null || cursor.isEmpty() ? 0 : Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      throw Problem.badRequest("cursor is not one this service issued");
    }
  }

  @Override
  public Future<ItemPage> items(String jobId, ItemStatus status, int limit, String cursor) {
    long after;
    try {
      after = after(cursor);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    Future<RowSet<Row>> rows = status == null
        ? pool.preparedQuery(sql(SqlQueries.SELECT_ITEMS)).execute(Tuple.of(jobId, after, (long) limit + 1))
        : pool.preparedQuery(sql(SqlQueries.SELECT_ITEMS_BY_STATUS)).execute(Tuple.of(jobId, status.name(), after,
            (long) limit + 1));
    return rows.compose(rs -> {
      List<Row> page = new ArrayList<>(limit);
      String next = null;
      for (Row r : rs) {
        if (page.size() == limit) {
          next = String.valueOf(page.get(page.size() - 1).getLong("id"));
          break;
        }
        page.add(r);
      }
      String nextCursor = next;
      long from = page.isEmpty() ? 1 : page.get(0).getLong("id");
      long to = page.isEmpty() ? 0 : page.get(page.size() - 1).getLong("id");
      return signIns.linksOf(jobId, from, to).map(links -> {
        JsonArray items = new JsonArray();
        page.forEach(r -> items.add(itemJson(r, links.get(r.getLong("id")))));
        return new ItemPage(items, nextCursor);
      });
    });
  }

  // ---- event log -----------------------------------------------------------------------------

  @Override
  public Future<List<JobEvent>> events(String jobId, long afterSeq, int limit) {
    return pool.preparedQuery(sql(SqlQueries.SELECT_EVENTS)).execute(Tuple.of(jobId, afterSeq, (long) limit))
        .map(rows -> {
          List<JobEvent> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(new JobEvent(jobId, r.getLong("seq"), JobEvent.Kind.parse(r.getString("kind")),
              new JsonObject(r.getString("body")))));
          return out;
        });
  }

  @Override
  public Future<Integer> pruneEvents(String finishedBefore, int maxJobs) {
    return pool.preparedQuery(sql(SqlQueries.JOBS_WITH_OLD_EVENTS)).execute(Tuple.of(finishedBefore, (long) maxJobs))
        .compose(rows -> {
          List<Future<Integer>> deleted = new ArrayList<>();
          rows.forEach(r -> deleted.add(pool.preparedQuery(sql(SqlQueries.DELETE_EVENTS_OF_JOB))
              .execute(Tuple.of(r.getString(0))).map(RowSet::rowCount)));
          return Future.all(deleted).map(all -> deleted.stream().mapToInt(Future::result).sum());
        });
  }

  /**
   * The item as {@code GET …/items} shows it (also the data of its webhooks); {@code link}: its live
   * relay link {url, expiresAt}, or null.
   */
  static JsonObject itemJson(Row r, JsonObject link) {
    String spec = r.getString("spec");
    String error = r.getString("error");
    String cyclrUrl = r.getString("oauth_url");
    JsonObject oauth = link != null
        ? new JsonObject().put("url", link.getString("url")).put("cyclrUrl", cyclrUrl)
            .put("expiresAt", link.getString("expiresAt"))
        : cyclrUrl == null ? null : new JsonObject().put("url", cyclrUrl).put("cyclrUrl", cyclrUrl)
            .put("expiresAt", r.getString("oauth_expires_at"));
    JsonObject item = new JsonObject()
        .put("id", String.valueOf(r.getLong("id")))
        .put("account", r.getString("account"))
        .put("connectorId", r.getLong("connector_id"))
        .put("status", r.getString("status"))
        .put("attempts", r.getInteger("attempts"))
        .put("accountConnectorId", r.getLong("account_connector_id"))
        .put("oauth", oauth)
        .put("error", error == null ? null : new JsonObject(error));
    if (spec != null) {
      JsonObject s = new JsonObject(spec);
      if (s.containsKey("installName")) {
        item.put("installName", s.getString("installName"));
      }
      if (s.containsKey("cycleId")) {
        // A sign-in that the job's template brought into the account (not installed by an item).
        item.put("cycleId", s.getString("cycleId"));
      }
    }
    return item;
  }

  // ---- accounts of jobs with a template --------------------------------------------------------

  @Override
  public Future<List<ClaimedAccount>> claimAccounts(String node, int max, long leaseMs) {
    Tuple args = Tuple.of(node, leaseMs, Instant.now().toString(), (long) max * 4, (long) max);
    String itemsSql = sql(SqlQueries.ACCOUNT_ITEM_STATES);
    return inTransaction(conn -> conn.preparedQuery(claimAccountsSql).execute(args)
            .compose(rows -> withItemStates(conn, itemsSql, rows)))
        .recover(err -> isUniqueViolation(err)
            // Another node leased an account step of the same account at the same instant: nothing was claimed.
            ? inTransaction(conn -> conn.preparedQuery(claimAccountsSql).execute(args)
                .compose(rows -> withItemStates(conn, itemsSql, rows)))
            : Future.failedFuture(err));
  }

  private Future<List<ClaimedAccount>> withItemStates(SqlConnection conn, String itemsSql, RowSet<Row> rows) {
    List<Row> claimed = new ArrayList<>();
    rows.forEach(claimed::add);
    claimed.sort(Comparator.comparingLong(r -> r.getLong("id")));
    List<Future<List<ClaimedAccount.ItemState>>> states = new ArrayList<>(claimed.size());
    for (Row r : claimed) {
      states.add(conn.preparedQuery(itemsSql).execute(Tuple.of(r.getString("job_id"), r.getString("account")))
          .map(items -> {
            List<ClaimedAccount.ItemState> out = new ArrayList<>(items.size());
            items.forEach(i -> out.add(new ClaimedAccount.ItemState(i.getString("status"), errorCode(i),
                i.getLong("account_connector_id"))));
            return out;
          }));
    }
    return Future.all(states).map(v -> {
      List<ClaimedAccount> out = new ArrayList<>(claimed.size());
      for (int i = 0; i < claimed.size(); i++) {
        Row r = claimed.get(i);
        String signIns = r.getString("signins");
        out.add(new ClaimedAccount(r.getLong("id"), r.getString("job_id"), r.getString("account"),
            AccountStatus.valueOf(r.getString("status")), AccountPhase.valueOf(r.getString("phase")),
            r.getString("cycle_id"), signIns == null ? null : new JsonArray(signIns), r.getInteger("attempts"),
            flag(r, "recovered"), r.getLong("halted") != null && r.getLong("halted") > 0, r.getLong("watch_interval"),
            r.getLong("watch_until"), r.getLong("now_ms"), states.get(i).result()));
      }
      return out;
    });
  }

  private static String errorCode(Row r) {
    String error = r.getString("error");
    if (error == null) {
      return null;
    }
    try {
      return new JsonObject(error).getString("code");
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public Future<RecordedAccounts> recordAccounts(String node, List<AccountOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new RecordedAccounts(List.of(), List.of()));
    }
    String now = Instant.now().toString();
    Set<String> jobIds = new TreeSet<>();
    outcomes.forEach(o -> jobIds.add(o.jobId()));
    // Jobs first (events are numbered under the job row lock, one lock order everywhere), then accounts.
    return withEvents(false, (conn, events) -> events.lock(conn, jobIds).compose(v -> {
      List<AccountOutcome> applied = new ArrayList<>(outcomes.size());
      List<ItemOutcome> signIns = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (AccountOutcome o : outcomes) {
        chain = chain.compose(x -> recordAccount(conn, node, o, now).compose(items -> {
          if (items == null) {
            return Future.succeededFuture();
          }
          applied.add(o);
          signIns.addAll(items);
          if (o.statusChanged()) {
            JsonObject body = EventBodies.account(o.jobId(), o.account(), o.status(), o.cycleId(), o.prerequisites(),
                o.error());
            events.account(o.jobId(), body, body);
          }
          // The sign-ins the template brought: item and oauth events, as for an installed OAuth connector.
          return items.isEmpty() ? Future.succeededFuture() : itemEvents(conn, events, items).mapEmpty();
        }));
      }
      return chain.map(x -> new RecordedAccounts(applied, signIns));
    }));
  }

  /**
   * One account outcome: its sign-in items first (so that the account's own update sees them), then the account.
   * Null when the node no longer holds the account (nothing written); else the sign-in items added.
   */
  private Future<List<ItemOutcome>> recordAccount(SqlConnection conn, String node, AccountOutcome o, String now) {
    boolean addsSignIns = !o.handBack() && o.newSignIns() != null && !o.newSignIns().isEmpty();
    Future<List<ItemOutcome>> items = !addsSignIns ? Future.succeededFuture(List.of())
        : conn.preparedQuery(sql(SqlQueries.ACCOUNT_HELD)).execute(Tuple.of(o.id(), node))
            .compose(held -> held.size() == 0 ? Future.succeededFuture((List<ItemOutcome>) null)
                : insertSignIns(conn, o, now));
    return items.compose(added -> {
      if (added == null) {
        return Future.succeededFuture(null);
      }
      JsonArray signIns = o.signIns() == null ? new JsonArray() : o.signIns().copy();
      added.forEach(i -> signIns.add(new JsonObject().put("itemId", String.valueOf(i.itemId()))
          .put("accountConnectorId", i.accountConnectorId()).put("connectorId", i.connectorId())
          .put("connectorName", i.connectorName())));
      int keep = o.handBack() ? 1 : 0;
      boolean watching = o.watchForMs() != null;
      return conn.preparedQuery(sql(SqlQueries.RECORD_ACCOUNT)).execute(Tuple.from(new Object[] {
              o.status().name(), o.phase().name(), o.cycleId(),
              keep, o.prerequisites() == null ? null : o.prerequisites().encode(),
              keep, signIns.isEmpty() ? null : signIns.encode(),
              keep, o.error() == null ? null : o.error().encode(),
              o.phase().name(), o.phase().name(), o.nextCheckMs(),
              keep, o.watchInterval(),
              keep, watching ? 1 : 0, o.watchForMs(),
              keep, o.recovered() ? 1 : 0,
              keep, now, o.id(), node}))
          .map(rows -> rows.size() == 1 ? added : null);
    });
  }

  /** The template's sign-ins that no item of the job stands for yet become OAUTH_PENDING items, watched and linked. */
  private Future<List<ItemOutcome>> insertSignIns(SqlConnection conn, AccountOutcome o, String now) {
    List<ItemOutcome> added = new ArrayList<>();
    String spec = new JsonObject().put("cycleId", o.cycleId()).encode();
    Future<Void> chain = Future.succeededFuture();
    for (Object entry : o.newSignIns()) {
      JsonObject l = (JsonObject) entry;
      Long acId = l.getLong("accountConnectorId");
      chain = chain.compose(v -> conn.preparedQuery(sql(SqlQueries.ITEM_FOR_ACCOUNT_CONNECTOR))
          .execute(Tuple.of(o.jobId(), o.account(), acId))
          .compose(existing -> existing.size() > 0 ? Future.succeededFuture()
              : conn.preparedQuery(sql(SqlQueries.INSERT_SIGN_IN_ITEM)).execute(Tuple.from(new Object[] {
                  o.jobId(), o.account(), spec, l.getLong("connectorId"), acId, l.getString("connectorName"),
                  l.getString("url"), l.getString("expiresAt"), now}))
                  .map(rows -> {
                    added.add(new ItemOutcome(rows.iterator().next().getLong("id"), o.jobId(), o.account(),
                        ItemStatus.OAUTH_PENDING, l.getLong("connectorId"), l.getString("connectorName"), acId,
                        l.getString("url"), l.getString("expiresAt"), null, false));
                    return null;
                  })));
    }
    return chain.compose(v -> added.isEmpty() ? Future.succeededFuture(added)
        : conn.preparedQuery(sql(SqlQueries.ADD_TO_TOTAL)).execute(Tuple.of(added.size(), o.jobId()))
            // Their watch starts and, with relay links, their link is issued, as for an installed OAuth connector.
            .compose(x -> signIns.started(conn, added)));
  }

  @Override
  public Future<List<AccountChanged>> releaseExpiredAccounts() {
    return pool.preparedQuery(sql(SqlQueries.RELEASE_EXPIRED_ACCOUNTS)).execute(Tuple.of(Instant.now().toString()))
        .map(rows -> {
          List<AccountChanged> out = new ArrayList<>();
          rows.forEach(r -> out.add(new AccountChanged(r.getString("job_id"), r.getString("account"), null)));
          return out;
        });
  }

  @Override
  public Future<Integer> sweepAccounts(boolean itemsToo) {
    Future<Integer> signedIn = pool.query(sql(SqlQueries.SWEEP_SIGNED_IN)).execute().map(RowSet::rowCount);
    return !itemsToo ? signedIn : signedIn.compose(n -> pool.query(sql(SqlQueries.SWEEP_ITEMS_DONE)).execute()
        .map(rows -> n + rows.rowCount()));
  }

  @Override
  public Future<Void> nudgeAccount(String jobId, String account) {
    return pool.preparedQuery(sql(SqlQueries.NUDGE_ACCOUNT)).execute(Tuple.of(jobId, account)).mapEmpty();
  }

  @Override
  public Future<Map<AccountStatus, Long>> accountCounts(String jobId) {
    return accountCountsOn(pool, jobId);
  }


  @Override
  public Future<ItemPage> accounts(String jobId, AccountStatus status, int limit, String cursor) {
    long after;
    try {
      after = after(cursor);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    Future<RowSet<Row>> rows = status == null
        ? pool.preparedQuery(sql(SqlQueries.SELECT_ACCOUNTS)).execute(Tuple.of(jobId, after, (long) limit + 1))
        : pool.preparedQuery(sql(SqlQueries.SELECT_ACCOUNTS_BY_STATUS)).execute(Tuple.of(jobId, status.name(), after,
            (long) limit + 1));
    return rows.map(rs -> {
      JsonArray accounts = new JsonArray();
      String next = null;
      long last = 0;
      for (Row r : rs) {
        if (accounts.size() == limit) {
          next = String.valueOf(last);
          break;
        }
        last = r.getLong("id");
        accounts.add(accountJson(r));
      }
      return new ItemPage(accounts, next);
    });
  }

  /** An account as {@code GET /v1/jobs/{id}/accounts} shows it. */
  private static JsonObject accountJson(Row r) {
    String prerequisites = r.getString("prerequisites");
    String signIns = r.getString("signins");
    String error = r.getString("error");
    return new JsonObject()
        .put("account", r.getString("account"))
        .put("status", r.getString("status"))
        .put("cycleId", r.getString("cycle_id"))
        .put("prerequisites", prerequisites == null ? new JsonArray() : new JsonArray(prerequisites))
        .put("signIns", signIns == null ? new JsonArray() : new JsonArray(signIns))
        .put("error", error == null ? null : new JsonObject(error));
  }
}
