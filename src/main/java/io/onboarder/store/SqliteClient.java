package io.onboarder.store;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.onboarder.job.StoreException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.spi.DatabaseMetadata;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collector;
import javax.sql.DataSource;

/**
 * The embedded store's SQL client: one SQLite connection on one worker thread, behind the subset of
 * the Vert.x SQL client API the store uses (queries, prepared queries, batches, leased connections
 * for transactions), so the stores run the same code on SQLite and on PostgreSQL.
 *
 * <p>Why not the Vert.x JDBC client: per statement it prepared the SQL again, read the result's
 * metadata and loaded a type class per column, and ran a second query for generated keys; for a
 * file database answering in microseconds that was most of the store's CPU. Here statements are
 * prepared once and cached, values are read as SQLite stores them (integer, real, text, blob; the
 * {@link Tuple} getters convert numbers), and each statement is one hop to the connection's thread
 * and one back to the caller's context.
 *
 * <p>One statement at a time: the connection is leased (FIFO) to a {@link #getConnection() caller}
 * for a transaction, or for a single statement run on the pool; the store never nests the two.
 */
final class SqliteClient implements Pool {
  private final VertxInternal vertx;
  private final SqliteConnection connection;
  private final WorkerExecutor thread;
  // The lease queue is shared by the event loops of several verticles: guarded by this object's monitor,
  // held only for a queue operation (no I/O, no callback), so an event loop never waits for a statement.
  // The connection's lock is taken only on the connection's thread, and by closeNow() on a worker.
  private final ArrayDeque<Promise<Lease>> waiting = new ArrayDeque<>();
  private boolean leased;
  private volatile boolean closed;

  SqliteClient(Vertx vertx, DataSource dataSource, String name) {
    this.vertx = (VertxInternal) vertx;
    this.connection = new SqliteConnection(dataSource);
    this.thread = vertx.createSharedWorkerExecutor(name, 1);
  }

  // ---- leasing the one connection ------------------------------------------------------------

  private final class Lease {
    private volatile boolean released;

    void release() {
      Promise<Lease> next;
      synchronized (SqliteClient.this) {
        if (released) {
          return;
        }
        released = true;
        next = waiting.poll();
        if (next == null) {
          leased = false;
        }
      }
      if (next != null) {
        next.complete(new Lease()); // its listeners run on the waiter's own context
      }
    }
  }

  private Future<Lease> acquire() {
    synchronized (this) {
      if (closed) {
        return Future.failedFuture(closed());
      }
      if (!leased) {
        leased = true;
        return vertx.getOrCreateContext().succeededFuture(new Lease());
      }
      Promise<Lease> p = vertx.getOrCreateContext().promise();
      waiting.add(p);
      return p.future();
    }
  }

  private <T> Future<T> leased(Function<Lease, Future<T>> work) {
    return acquire().compose(lease -> {
      Future<T> f;
      try {
        f = work.apply(lease);
      } catch (RuntimeException e) {
        lease.release();
        return Future.failedFuture(e);
      }
      return f.andThen(ar -> lease.release());
    });
  }

  // ---- running statements (on the connection's thread) ---------------------------------------

  private Future<RowSet<Row>> run(String sql, Tuple params) {
    return thread.executeBlocking(() -> {
      synchronized (connection.lock) {
        return connection.execute(sql, params);
      }
    }, true);
  }

  private Future<RowSet<Row>> runBatch(String sql, List<Tuple> batch) {
    return thread.executeBlocking(() -> {
      synchronized (connection.lock) {
        return connection.executeBatch(sql, batch);
      }
    }, true);
  }

  /**
   * A transaction whose statements are all known beforehand, as one task on the connection's thread: no hop
   * back to the caller's event loop between statements, which a busy event loop (parsing a big upload) would
   * delay while the database waits.
   */
  Future<Void> runSteps(List<SqlStep> steps) {
    return leased(lease -> thread.executeBlocking(() -> {
      synchronized (connection.lock) {
        connection.runSteps(steps);
        return (Void) null;
      }
    }, true));
  }

  // ---- Pool ----------------------------------------------------------------------------------

  @Override
  public Future<SqlConnection> getConnection() {
    return acquire().map(Leased::new);
  }

  /** As the default, but a function that throws still gives the connection back. */
  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    return getConnection().compose(conn -> {
      Future<T> f;
      try {
        f = function.apply(conn);
      } catch (RuntimeException e) {
        conn.close();
        return Future.failedFuture(e);
      }
      return f.andThen(ar -> conn.close());
    });
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return new Statement(sql, null);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return new Statement(sql, null);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return new Statement(sql, null);
  }

  @Override
  public int size() {
    return 1;
  }

  @Override
  public Future<Void> close() {
    // On the connection's thread, after what is running there.
    return thread.executeBlocking(() -> {
      closeNow();
      return (Void) null;
    }, true).eventually(thread::close);
  }

  /**
   * Closes the connection from the calling thread, after the statement running now (Vert.x is
   * closing: as a process that dies, this rolls back an open transaction and frees the file).
   */
  void closeNow() {
    synchronized (this) {
      closed = true;
      waiting.forEach(p -> p.tryFail(closed()));
      waiting.clear();
    }
    connection.close();
  }

  /** One statement: on the pool it leases the connection for itself; on a leased connection it runs as is. */
  private final class Statement implements PreparedQuery<RowSet<Row>> {
    private final String sql;
    private final Leased on;

    Statement(String sql, Leased on) {
      this.sql = sql;
      this.on = on;
    }

    @Override
    public Future<RowSet<Row>> execute() {
      return execute(Tuple.tuple());
    }

    @Override
    public Future<RowSet<Row>> execute(Tuple params) {
      if (on != null) {
        return on.checkOpen().compose(v -> run(sql, params));
      }
      return leased(lease -> run(sql, params));
    }

    @Override
    public Future<RowSet<Row>> executeBatch(List<Tuple> batch) {
      if (batch.isEmpty()) {
        return Future.failedFuture(new IllegalArgumentException("empty batch"));
      }
      if (on != null) {
        return on.checkOpen().compose(v -> runBatch(sql, batch));
      }
      return leased(lease -> runBatch(sql, batch));
    }

    @Override
    public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      throw new UnsupportedOperationException("collecting");
    }

    @Override
    public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
      throw new UnsupportedOperationException("mapping");
    }
  }

  /** The connection while leased: for a transaction (BEGIN … COMMIT run by the store). */
  private final class Leased implements SqlConnection {
    private final Lease lease;

    Leased(Lease lease) {
      this.lease = lease;
    }

    Future<Void> checkOpen() {
      return lease.released ? Future.failedFuture(new StoreException(StoreException.Kind.UNAVAILABLE, "connection closed"))
          : Future.succeededFuture();
    }

    @Override
    public Query<RowSet<Row>> query(String sql) {
      return new Statement(sql, this);
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
      return new Statement(sql, this);
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
      return new Statement(sql, this);
    }

    @Override
    public Future<Void> close() {
      lease.release();
      return Future.succeededFuture();
    }

    @Override
    public Future<PreparedStatement> prepare(String sql) {
      return Future.failedFuture(new UnsupportedOperationException("prepare"));
    }

    @Override
    public Future<PreparedStatement> prepare(String sql, PrepareOptions options) {
      return Future.failedFuture(new UnsupportedOperationException("prepare"));
    }

    @Override
    public SqlConnection exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public SqlConnection closeHandler(Handler<Void> handler) {
      return this;
    }

    @Override
    public Future<Transaction> begin() {
      return Future.failedFuture(new UnsupportedOperationException("the store runs BEGIN IMMEDIATE itself"));
    }

    @Override
    public Transaction transaction() {
      return null;
    }

    @Override
    public boolean isSSL() {
      return false;
    }

    @Override
    public DatabaseMetadata databaseMetadata() {
      throw new UnsupportedOperationException("databaseMetadata");
    }
  }

  static StoreException closed() {
    return new StoreException(StoreException.Kind.UNAVAILABLE, "SQLite pool closed");
  }
}
