package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The embedded store's one JDBC connection and its cached prepared statements, used only on the
 * {@link SqliteClient}'s connection thread (and closed from elsewhere only under {@link #lock}, so a close
 * waits for the statement running now).
 */
final class SqliteConnection {
  /** Prepared statements kept: the store has about a hundred distinct ones. */
  private static final int STATEMENT_CACHE = 256;

  /** Held while a statement (or a run of steps) runs, and by {@link #close}. */
  final Object lock = new Object();
  private final DataSource dataSource;
  private volatile boolean closed;
  private Connection conn;
  private final Map<String, java.sql.PreparedStatement> statements =
      new LinkedHashMap<>(STATEMENT_CACHE, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, java.sql.PreparedStatement> eldest) {
          if (size() > STATEMENT_CACHE) {
            closeQuietly(eldest.getValue());
            return true;
          }
          return false;
        }
      };

  SqliteConnection(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Runs {@code steps} in one IMMEDIATE transaction, here and now: a guard that changes no row, or any
   * failure, rolls it back and is thrown.
   */
  void runSteps(List<SqlStep> steps) throws SQLException {
    // Each multi-row INSERT after the first change of a transaction keeps a statement journal (the pages it
    // changes, to undo it alone). Past 64 KiB SQLite spills it to a temporary file, created, written and
    // deleted again for every batch of a big upload: a third of the writer's time. Kept in memory, it is at
    // most the pages one statement of 64 rows touches; other temporary storage (sorts) stays on file.
    execute("PRAGMA temp_store = MEMORY", Tuple.tuple());
    try {
      transaction(steps);
    } finally {
      execute("PRAGMA temp_store = DEFAULT", Tuple.tuple());
    }
  }

  private void transaction(List<SqlStep> steps) throws SQLException {
    execute("BEGIN IMMEDIATE", Tuple.tuple());
    try {
      for (SqlStep step : steps) {
        int changed = step.rows().size() == 1 ? execute(step.sql(), step.rows().get(0)).rowCount()
            : executeBatch(step.sql(), step.rows()).rowCount();
        StoreException failed = step.failureFor(changed);
        if (failed != null) {
          throw failed;
        }
      }
      execute("COMMIT", Tuple.tuple());
    } catch (SQLException | RuntimeException e) {
      try {
        execute("ROLLBACK", Tuple.tuple());
      } catch (SQLException | RuntimeException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  private java.sql.PreparedStatement statement(String sql) throws SQLException {
    if (closed) {
      throw SqliteClient.closed();
    }
    if (conn == null || conn.isClosed()) {
      statements.values().forEach(SqliteConnection::closeQuietly);
      statements.clear();
      conn = dataSource.getConnection();
      try (java.sql.Statement st = conn.createStatement()) {
        // The writer copies its log into the file itself only as a last resort: SqliteCheckpoints does it.
        st.execute("PRAGMA wal_autocheckpoint = " + SqliteCheckpoints.WRITER_CHECKPOINT_PAGES);
      }
    }
    java.sql.PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = conn.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  RowSet<Row> execute(String sql, Tuple params) throws SQLException {
    java.sql.PreparedStatement ps = statement(sql);
    boolean ok = false;
    try {
      SqliteRows.bind(ps, params);
      if (!ps.execute()) {
        ok = true;
        return new SqliteRows.Rows(List.of(), List.of(), Math.max(0, ps.getUpdateCount()));
      }
      try (ResultSet rs = ps.getResultSet()) {
        ResultSetMetaData meta = rs.getMetaData();
        int columns = meta.getColumnCount();
        String[] names = new String[columns];
        for (int i = 0; i < columns; i++) {
          names[i] = meta.getColumnLabel(i + 1);
        }
        List<Row> rows = new ArrayList<>();
        while (rs.next()) {
          Object[] values = new Object[columns];
          for (int i = 0; i < columns; i++) {
            values[i] = rs.getObject(i + 1);
          }
          rows.add(new SqliteRows.SqliteRow(names, values));
        }
        // UPDATE … RETURNING counts the rows it changed, as PostgreSQL reports it.
        ok = true;
        return new SqliteRows.Rows(rows, Arrays.asList(names), rows.size());
      }
    } catch (SQLException | RuntimeException e) {
      forget(sql, ps, e);
      throw e;
    } finally {
      if (ok) {
        ps.clearParameters();
      }
    }
  }

  /**
   * A failed statement is closed and uncached; its failure is the one thrown. The driver may have reset it
   * (SQLITE_FULL does): clearing its parameters would throw "statement is not executing", hiding the cause.
   */
  private void forget(String sql, java.sql.PreparedStatement ps, Exception cause) {
    statements.remove(sql, ps);
    try {
      ps.close();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  RowSet<Row> executeBatch(String sql, List<Tuple> batch) throws SQLException {
    java.sql.PreparedStatement ps = statement(sql);
    int changed = 0;
    try {
      for (Tuple t : batch) {
        SqliteRows.bind(ps, t);
        ps.addBatch();
      }
      for (int n : ps.executeBatch()) {
        changed += Math.max(0, n);
      }
    } catch (SQLException | RuntimeException e) {
      forget(sql, ps, e);
      throw e;
    }
    ps.clearBatch();
    ps.clearParameters();
    return new SqliteRows.Rows(List.of(), List.of(), changed);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }

  /** Closes the connection and its statements, after the statement running now; later statements fail. */
  void close() {
    closed = true;
    synchronized (lock) {
      statements.values().forEach(SqliteConnection::closeQuietly);
      statements.clear();
      if (conn != null) {
        closeQuietly(conn);
        conn = null;
      }
    }
  }
}
