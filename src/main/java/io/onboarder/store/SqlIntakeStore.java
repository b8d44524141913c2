package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobStatus;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.StoreException;
import io.onboarder.trace.TraceParent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Submissions becoming jobs on the {@link Database}: a whole job in one durable transaction, or a
 * streamed one in batches under a hidden row. Idempotency keys are one unique column, prefixed with
 * their owner, so concurrent requests on any node create one job.
 */
final class SqlIntakeStore implements IntakeStore {
  /** Items per DELETE when an intake is discarded: short transactions, so SQLite's one writer stays shared. */
  private static final int DELETE_CHUNK = 5_000;
  private static final String ABANDONED = "The upload took too long and was abandoned; submit the job again.";

  private final Database db;
  private final JobRows rows;

  SqlIntakeStore(Database db, JobRows rows) {
    this.db = db;
    this.rows = rows;
  }

  @Override
  public Future<Long> pendingItems() {
    return db.query(SqlQueries.COUNT_PENDING).map(rs -> rs.iterator().next().getLong(0));
  }

  @Override
  public Future<Created> create(JobRequest request, String owner, String idempotencyKey) {
    // The submitting request's span: the job's items continue its trace.
    String trace = TraceParent.current();
    // Fingerprinting and encrypting 100,000 items is CPU work: done on a worker, not the event loop.
    return Database.classified(db.vertx().executeBlocking(() -> prepare(request, owner, idempotencyKey), false))
        .compose(prepared -> existing(prepared.key(), prepared.print())
            .compose(found -> found != null ? Future.succeededFuture(found) : insert(prepared, trace)));
  }

  /** A job ready to insert: its id, spec, encrypted item rows and request fingerprint. */
  private record Prepared(JobRequest request, String owner, String key, String print, String id, String now,
                          JsonObject spec, ItemRows rows) {}

  private Prepared prepare(JobRequest request, String owner, String idempotencyKey) {
    String key = keyOf(owner, idempotencyKey);
    String print = null;
    if (key != null) {
      RequestPrint rp = db.box().newPrint();
      request.items().forEach(rp::item);
      print = rp.finish(request.specJson());
    }
    String id = UUID.randomUUID().toString();
    String now = Instant.now().toString();
    return new Prepared(request, owner, key, print, id, now, request.specJson(),
        ItemRows.of(id, request.items(), now, db.box()));
  }

  /** Keys are per caller: stored prefixed with the owner, so one unique column serves the whole cluster. */
  private static String keyOf(String owner, String idempotencyKey) {
    return idempotencyKey == null ? null : owner + "\u001f" + idempotencyKey;
  }

  @Override
  public RequestPrint newPrint() {
    return db.box().newPrint();
  }

  @Override
  public Future<Created> existing(String owner, String idempotencyKey, String print) {
    return existing(keyOf(owner, idempotencyKey), print);
  }

  private Future<Created> existing(String key, String print) {
    if (key == null) {
      return Future.succeededFuture(null);
    }
    return db.query(SqlQueries.SELECT_JOB_BY_KEY, Tuple.of(key)).map(rs -> {
      if (rs.size() == 0) {
        return null;
      }
      Row row = rs.iterator().next();
      String stored = row.getString("request_print");
      if (print != null && !print.equals(stored)) {
        // The key is the caller's own text: it is not echoed back.
        throw new StoreException(StoreException.Kind.CONFLICT, stored != null
            && !stored.startsWith(SecretBox.PRINT_VERSION)
            ? "This Idempotency-Key was recorded by an earlier version of the service, whose request cannot be "
                + "compared with this one; use a new key."
            : "This Idempotency-Key was already used with a different request body.");
      }
      return new Created(JobRows.job(row), true);
    });
  }

  private Future<Created> insert(Prepared p, String trace) {
    int total = p.request().items().size();
    JobRecord job = new JobRecord(p.id(), JobStatus.PENDING, p.now(), null, total, p.spec(), false, false, p.owner(),
        trace);
    return db.withEvents(true, (conn, events) -> conn.preparedQuery(db.sql(SqlQueries.insertJob(db.dialect())))
            .execute(Tuple.of(p.id(), JobStatus.PENDING.name(), p.now(), total, p.spec().encode(), p.key(),
                p.print(), p.owner(), trace))
            .compose(v -> p.rows().insert(conn, db.dialect()))
            .compose(v -> rows.insertAccounts(conn, p.id(), p.spec(), p.now()))
            .map(v -> {
              events.job(p.id(), EventBodies.job(job, Map.of(ItemStatus.PENDING, (long) total),
                  p.request().template() == null ? null : Map.of(AccountStatus.WAITING, p.request().items().stream()
                      .map(JobRequest.Item::account).distinct().count())));
              return new Created(job, false);
            }))
        .recover(err -> p.key() != null && StoreException.is(err, StoreException.Kind.DUPLICATE)
            // A concurrent request with the same key (on any node) won the race: answer with its job.
            ? existing(p.key(), p.print())
                .compose(found -> found != null ? Future.succeededFuture(found) : Future.failedFuture(err))
            : Future.failedFuture(err));
  }

  // ---- streamed intake ------------------------------------------------------------------------

  @Override
  public Future<Intake> openIntake(String owner) {
    String id = UUID.randomUUID().toString();
    String trace = TraceParent.current();
    return db.query(SqlQueries.insertIntake(db.dialect()), Tuple.of(id, Instant.now().toString(), owner, trace))
        .map(v -> new SqlIntake(id, owner, trace));
  }

  @Override
  public Future<Integer> purgeStaleIntakes(long idleMs) {
    return db.query(SqlQueries.STALE_INTAKES, Tuple.of(idleMs)).compose(rs -> {
      List<String> ids = new ArrayList<>();
      rs.forEach(r -> ids.add(r.getString("id")));
      Future<Void> all = Future.succeededFuture();
      for (String id : ids) {
        all = all.compose(v -> deleteIntake(id));
      }
      return all.map(ids.size());
    });
  }

  private Future<Void> deleteIntake(String jobId) {
    return db.query(SqlQueries.DELETE_INTAKE_ITEMS, Tuple.of(jobId, (long) DELETE_CHUNK))
        .compose(rs -> rs.rowCount() > 0 ? deleteIntake(jobId)
            : db.query(SqlQueries.DELETE_INTAKE_JOB, Tuple.of(jobId)).mapEmpty());
  }

  /** One streamed job: inserts run in call order, each batch in its own transaction. */
  private final class SqlIntake implements Intake {
    private final String id;
    private final String owner;
    private final String trace;
    private final String now = Instant.now().toString();
    /** The last write: the next one waits for it, so items keep their submission order (ids). */
    private Future<Void> tail = Future.succeededFuture();

    SqlIntake(String id, String owner, String trace) {
      this.id = id;
      this.owner = owner;
      this.trace = trace;
    }

    @Override
    public String jobId() {
      return id;
    }

    @Override
    public Future<Void> append(List<JobRequest.Item> items) {
      // Encrypting starts now, on a worker, while the previous batch is still being inserted.
      Future<ItemRows> batch = Database.classified(db.vertx().executeBlocking(() ->
          ItemRows.of(id, items, now, db.box()), false));
      String touch = db.sql(SqlQueries.TOUCH_INTAKE);
      // Deleted as stale by some node (this one was thought dead): nothing may be added to it.
      SqlStep alive = SqlStep.guard(touch, Tuple.of(id),
          () -> new StoreException(StoreException.Kind.ABANDONED, ABANDONED));
      tail = tail.compose(v -> batch).compose(b -> {
        List<SqlStep> steps = new ArrayList<>(3);
        steps.add(alive);
        steps.addAll(b.steps(db.dialect()));
        return db.steps(steps);
      });
      return tail;
    }

    @Override
    public Future<Void> touch() {
      return db.query(SqlQueries.TOUCH_INTAKE, Tuple.of(id)).mapEmpty();
    }

    @Override
    public Future<Created> commit(JobRequest fields, int total, String idempotencyKey, String print) {
      String key = keyOf(owner, idempotencyKey);
      JsonObject spec = fields.specJson();
      String createdAt = Instant.now().toString();
      Tuple args = Tuple.of(createdAt, total, spec.encode(), key, print, id);
      JobRecord job = new JobRecord(id, JobStatus.PENDING, createdAt, null, total, spec, false, false, owner, trace);
      // The job's first event is written by the same transaction that makes it visible.
      return tail
          .compose(v -> db.withEvents(true, (conn, events) -> conn.preparedQuery(db.sql(SqlQueries.COMMIT_INTAKE))
              .execute(args).compose(rs -> {
                if (rs.rowCount() != 1) {
                  return Future.<Created>failedFuture(new StoreException(StoreException.Kind.ABANDONED, ABANDONED));
                }
                // A job with a template gets its accounts in the same transaction that makes it visible.
                return rows.insertAccounts(conn, id, spec, createdAt)
                    .compose(x -> job.hasTemplate() ? rows.accountCountsOn(conn, id) : Future.succeededFuture(null))
                    .map(accounts -> {
                      events.job(id, EventBodies.job(job, Map.of(ItemStatus.PENDING, (long) total), accounts));
                      return new Created(job, false);
                    });
              })))
          .recover(err -> key != null && StoreException.is(err, StoreException.Kind.DUPLICATE)
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
}
