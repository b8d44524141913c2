package io.onboarder.store;

import io.onboarder.job.JobEvent;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
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
 * The one database every store of a back end is composed over: its dialect, its pool, its key, and
 * its transactions, including those that write events with the change they describe. Every failure
 * leaving it is a classified {@link StoreException}.
 */
final class Database {
  private static final Logger log = LoggerFactory.getLogger(Database.class);
  private static final String PING = "SELECT 1";
  private static final String PROBE_INSERT = "INSERT INTO store_probe (id, filler) VALUES (1, ?)";
  private static final String PROBE_DELETE = "DELETE FROM store_probe WHERE id = 1";
  private static final io.vertx.core.buffer.Buffer PROBE_FILLER = io.vertx.core.buffer.Buffer.buffer(new byte[16 * 1024]);

  private final Vertx vertx;
  private final Backend backend;
  private final SqlDialect dialect;
  /** SQL text with the dialect's differences expanded, by its source text (the store has about a hundred). */
  private final Map<String, String> expanded = new ConcurrentHashMap<>();
  private volatile Backend.Opened opened;
  private volatile Consumer<List<JobEvent>> committed = events -> { };
  private volatile Set<String> outboxTypes = Set.of();
  /** Transactions and single statements on the pool since start (each is one round of store work). */
  private final LongAdder transactions = new LongAdder();

  Database(Vertx vertx, Backend backend) {
    this.vertx = vertx;
    this.backend = backend;
    this.dialect = backend.dialect();
  }

  /** Migrates the schema (refusing a newer one) and opens the pool; before anything else. */
  Future<Void> start() {
    return classified(backend.open(vertx).map(o -> {
      opened = o;
      return (Void) null;
    }));
  }

  Future<Void> close() {
    Backend.Opened o = opened;
    return o == null ? Future.succeededFuture() : backend.close(o.pool());
  }

  /** A cheap round trip: fails while the database is unreachable. */
  Future<Void> ping() {
    return backend.check().compose(v -> query(PING)).mapEmpty();
  }

  /**
   * A write that needs new pages (a 16 KiB row, inserted and deleted in one transaction): fails with
   * {@code DISK_FULL} while the database cannot grow, succeeds once there is space again.
   */
  Future<Void> probeWrite() {
    return transaction(conn -> conn.preparedQuery(sql(PROBE_INSERT)).execute(Tuple.of(PROBE_FILLER))
        .compose(x -> conn.query(PROBE_DELETE).execute())).mapEmpty();
  }

  Vertx vertx() {
    return vertx;
  }

  SqlDialect dialect() {
    return dialect;
  }

  /** The pool, for reads that run the same statements inside and outside transactions (classify their failures). */
  Pool pool() {
    return opened.pool();
  }

  SecretBox box() {
    return opened.box();
  }

  /** Receives, on the committing node right after each commit, the events that transaction wrote, in order. */
  void onCommitted(Consumer<List<JobEvent>> listener) {
    this.committed = listener;
  }

  /** Webhook event types that also go into the outbox with their event ({@code WEBHOOK_EVENTS}); empty = off. */
  void outboxTypes(Set<String> types) {
    this.outboxTypes = Set.copyOf(types);
  }

  /** The webhook types that go into the outbox. */
  Set<String> outboxTypes() {
    return outboxTypes;
  }

  long transactions() {
    return transactions.sum();
  }

  /** {@code text} with {NOW_MS}, {FOR_UPDATE}, {SKIP_LOCKED} and placeholders in this dialect. */
  String sql(String text) {
    String s = expanded.get(text);
    if (s == null) {
      s = dialect.sql(text);
      expanded.put(text, s);
    }
    return s;
  }

  /** One statement on the pool. */
  Future<RowSet<Row>> query(String text) {
    transactions.increment();
    return classified(opened.pool().query(sql(text)).execute());
  }

  /** One prepared statement on the pool. */
  Future<RowSet<Row>> query(String text, Tuple args) {
    transactions.increment();
    return classified(opened.pool().preparedQuery(sql(text)).execute(args));
  }

  /** Runs {@code work} in one transaction on one connection. */
  <T> Future<T> transaction(Function<SqlConnection, Future<T>> work) {
    transactions.increment();
    return classified(backend.inTransaction(opened.pool(), work));
  }

  /** The back end (tests reach the SQLite one's checkpoint thread through it). */
  Backend backend() {
    return backend;
  }

  /** Runs {@code steps}, all known beforehand, in one transaction (on SQLite, as one task on its thread). */
  Future<Void> steps(List<SqlStep> steps) {
    transactions.increment();
    return classified(backend.runSteps(opened.pool(), steps));
  }

  /**
   * Runs {@code work} in one transaction that also writes the events it collected (last, before the
   * commit); after the commit they go to the {@link #onCommitted} listener, before the caller continues.
   * {@code durable}: the commit must survive power loss.
   */
  <T> Future<T> withEvents(boolean durable, BiFunction<SqlConnection, EventWriter, Future<T>> work) {
    transactions.increment();
    EventWriter events = new EventWriter(this, dialect, outboxTypes);
    Function<SqlConnection, Future<T>> tx = conn -> work.apply(conn, events).compose(r -> events.write(conn).map(r));
    Pool pool = opened.pool();
    Future<T> done = durable ? backend.inDurableTransaction(pool, tx) : backend.inTransaction(pool, tx);
    return classified(done.map(r -> {
      List<JobEvent> written = events.written();
      if (!written.isEmpty()) {
        try {
          committed.accept(written);
        } catch (RuntimeException e) {
          log.error("publishing {} committed event(s) failed: {}", written.size(), e.toString());
        }
      }
      return r;
    }));
  }

  /** {@code f}, its failure classified. */
  static <T> Future<T> classified(Future<T> f) {
    return f.recover(err -> Future.failedFuture(StoreFailures.classify(err)));
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
        throw new StoreException(StoreException.Kind.REFUSED, "the database schema is at version " + m.getVersion()
            + ", newer than this build understands (" + newestKnown
            + " is the newest it knows): run the newer cyclr-onboarder, or restore a matching database");
      }
    }
  }

  private static boolean isFuture(MigrationInfo m) {
    return m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED;
  }
}
