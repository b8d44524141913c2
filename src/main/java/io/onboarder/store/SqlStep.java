package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.function.Supplier;

/**
 * One statement of a transaction whose statements are all known before it starts: its SQL (already in the
 * dialect), its rows (one execution each), and, for a guard, the failure when it changes no row. Such a
 * transaction runs on SQLite as one task on the connection's thread ({@link SqliteClient#runSteps}), with no
 * hop back to a busy event loop between statements; elsewhere statement by statement ({@link #runOn}).
 */
record SqlStep(String sql, List<Tuple> rows, Supplier<StoreException> unlessOneRow) {
  /** Rows per driver batch on a connection: short enough that a big step does not hold one huge batch in flight. */
  private static final int ROWS_PER_BATCH = 32;

  /** A statement that must change exactly one row, else the transaction fails with {@code otherwise}. */
  static SqlStep guard(String sql, Tuple args, Supplier<StoreException> otherwise) {
    return new SqlStep(sql, List.of(args), otherwise);
  }

  /** A statement run once per row of {@code rows}. */
  static SqlStep batch(String sql, List<Tuple> rows) {
    return new SqlStep(sql, rows, null);
  }

  /** A guard's failure for {@code changed} rows, or null when the step passed (or is no guard). */
  StoreException failureFor(int changed) {
    return unlessOneRow == null || changed == 1 ? null : unlessOneRow.get();
  }

  /** Runs {@code steps} in order on {@code conn}, inside the caller's transaction. */
  static Future<Void> runOn(SqlConnection conn, List<SqlStep> steps) {
    Future<Void> all = Future.succeededFuture();
    for (SqlStep step : steps) {
      all = all.compose(v -> step.runOn(conn, 0));
    }
    return all;
  }

  private Future<Void> runOn(SqlConnection conn, int from) {
    if (from >= rows.size()) {
      return Future.succeededFuture();
    }
    if (rows.size() == 1) {
      return conn.preparedQuery(sql).execute(rows.get(0)).compose(rs -> {
        StoreException failed = failureFor(rs.rowCount());
        return failed == null ? Future.<Void>succeededFuture() : Future.failedFuture(failed);
      });
    }
    int to = Math.min(rows.size(), from + ROWS_PER_BATCH);
    return conn.preparedQuery(sql).executeBatch(rows.subList(from, to)).compose(v -> runOn(conn, to));
  }
}
