package io.onboarder.store;

import io.onboarder.job.JobRequest;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * New item rows, auth values already encrypted, grouped for multi-row INSERTs: {@link #ROWS} rows per
 * statement and one shorter statement for the rest. One statement per 64 rows instead of one per row
 * roughly halves the cost of writing a big job (fewer statement executions and driver round trips).
 */
final class ItemRows {
  /** Rows per INSERT: 194 parameters, far below SQLite's and PostgreSQL's limits. */
  static final int ROWS = 64;
  /** Statements per driver batch: short enough that a big job does not hold one huge batch in flight. */
  private static final int STATEMENTS_PER_BATCH = 32;

  private final List<Tuple> full;
  private final Tuple rest;
  private final int restRows;

  private ItemRows(List<Tuple> full, Tuple rest, int restRows) {
    this.full = full;
    this.rest = rest;
    this.restRows = restRows;
  }

  /** The rows of {@code items} for job {@code jobId}: CPU work (encryption), so callers run it on a worker. */
  static ItemRows of(String jobId, List<JobRequest.Item> items, String now, SecretBox box) {
    List<Tuple> full = new ArrayList<>(items.size() / ROWS);
    Tuple current = newTuple(jobId, now);
    int inCurrent = 0;
    JobRequest.Item previous = null;
    String spec = null;
    for (JobRequest.Item item : items) {
      if (!item.sameSpec(previous)) {
        spec = item.specText();
      }
      previous = item;
      current.addValue(item.account()).addValue(spec).addValue(box.encrypt(item.authValue()));
      if (++inCurrent == ROWS) {
        full.add(current);
        current = newTuple(jobId, now);
        inCurrent = 0;
      }
    }
    return new ItemRows(full, current, inCurrent);
  }

  private static Tuple newTuple(String jobId, String now) {
    List<Object> values = new ArrayList<>(2 + ROWS * 3);
    values.add(jobId);
    values.add(now);
    return Tuple.wrap(values);
  }

  /** The INSERTs of the rows, in order, as steps of a transaction known beforehand. */
  List<SqlStep> steps(SqlDialect dialect) {
    List<SqlStep> steps = new ArrayList<>(2);
    if (!full.isEmpty()) {
      steps.add(SqlStep.batch(dialect.sql(SqlQueries.insertItems(dialect, ROWS)), full));
    }
    if (restRows > 0) {
      steps.add(SqlStep.batch(dialect.sql(SqlQueries.insertItems(dialect, restRows)), List.of(rest)));
    }
    return steps;
  }

  /** Inserts the rows on {@code conn}, in order. */
  Future<Void> insert(SqlConnection conn, SqlDialect dialect) {
    return insertFull(conn, dialect.sql(SqlQueries.insertItems(dialect, ROWS)), 0).compose(v -> restRows == 0
        ? Future.succeededFuture()
        : conn.preparedQuery(dialect.sql(SqlQueries.insertItems(dialect, restRows))).execute(rest).mapEmpty());
  }

  private Future<Void> insertFull(SqlConnection conn, String sql, int from) {
    if (from >= full.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(full.size(), from + STATEMENTS_PER_BATCH);
    return conn.preparedQuery(sql).executeBatch(full.subList(from, to)).compose(v -> insertFull(conn, sql, to));
  }
}
