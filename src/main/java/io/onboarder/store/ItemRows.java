package io.onboarder.store;

import io.onboarder.job.JobRequest;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * New item rows, auth values already encrypted, grouped for multi-row INSERTs: {@link #ROWS} rows per
 * statement and one shorter statement for the rest. One statement per 64 rows instead of one per row
 * roughly halves the cost of writing a big job (fewer statement executions and driver round trips). When
 * the rows of a statement share their spec, as a big list's rows mostly do, it is one parameter: bound and
 * converted for the driver once instead of 64 times.
 */
final class ItemRows {
  /** Rows per INSERT: at most 194 parameters, far below SQLite's and PostgreSQL's limits. */
  static final int ROWS = 64;
  private static final Map<String, String> SQL = new ConcurrentHashMap<>();

  /** One INSERT's rows: its tuple, how many rows, and whether they share one spec parameter. */
  private record Group(Tuple values, int rows, boolean sharedSpec) {}

  private final List<Group> groups;

  private ItemRows(List<Group> groups) {
    this.groups = groups;
  }

  /** The rows of {@code items} for job {@code jobId}: CPU work (encryption), so callers run it on a worker. */
  static ItemRows of(String jobId, List<JobRequest.Item> items, String now, SecretBox box) {
    List<Group> groups = new ArrayList<>(items.size() / ROWS + 1);
    String[] accounts = new String[ROWS];
    String[] specs = new String[ROWS];
    String[] auths = new String[ROWS];
    int n = 0;
    JobRequest.Item previous = null;
    String spec = null;
    for (JobRequest.Item item : items) {
      if (!item.sameSpec(previous)) {
        spec = item.specText();
      }
      previous = item;
      accounts[n] = item.account();
      specs[n] = spec;
      auths[n] = box.encrypt(item.authValue());
      if (++n == ROWS) {
        groups.add(group(jobId, now, accounts, specs, auths, n));
        n = 0;
      }
    }
    if (n > 0) {
      groups.add(group(jobId, now, accounts, specs, auths, n));
    }
    return new ItemRows(groups);
  }

  private static Group group(String jobId, String now, String[] accounts, String[] specs, String[] auths, int n) {
    boolean shared = true;
    for (int i = 1; i < n && shared; i++) {
      shared = Objects.equals(specs[i], specs[0]);
    }
    List<Object> values = new ArrayList<>(3 + n * (shared ? 2 : 3));
    values.add(jobId);
    values.add(now);
    if (shared) {
      values.add(specs[0]);
    }
    for (int i = 0; i < n; i++) {
      values.add(accounts[i]);
      if (!shared) {
        values.add(specs[i]);
      }
      values.add(auths[i]);
    }
    return new Group(Tuple.wrap(values), n, shared);
  }

  /** The INSERTs of the rows, in order, as steps of a transaction known beforehand. */
  List<SqlStep> steps(SqlDialect dialect) {
    List<SqlStep> steps = new ArrayList<>(2);
    int from = 0;
    while (from < groups.size()) {
      // Consecutive statements of one shape are one step.
      Group first = groups.get(from);
      int to = from + 1;
      while (to < groups.size() && groups.get(to).rows() == first.rows()
          && groups.get(to).sharedSpec() == first.sharedSpec()) {
        to++;
      }
      steps.add(SqlStep.batch(sql(dialect, first.rows(), first.sharedSpec()),
          groups.subList(from, to).stream().map(Group::values).toList()));
      from = to;
    }
    return steps;
  }

  /** Inserts the rows on {@code conn}, in order. */
  Future<Void> insert(SqlConnection conn, SqlDialect dialect) {
    return SqlStep.runOn(conn, steps(dialect));
  }

  /**
   * An INSERT of {@code rows} new items of one job: parameter 1 is the job id and 2 the time, shared by
   * every row (numbered parameters, bound once), then 3 the spec when it is shared too; then account,
   * (spec) and auth value of each row.
   */
  private static String sql(SqlDialect d, int rows, boolean sharedSpec) {
    return SQL.computeIfAbsent(d.name() + rows + sharedSpec, k -> {
      char mark = d == SqlDialect.POSTGRES ? '$' : '?';
      StringBuilder b = new StringBuilder(SqlQueries.INSERT_ITEMS.length() + rows * 48)
          .append(SqlQueries.INSERT_ITEMS);
      for (int i = 0, p = sharedSpec ? 4 : 3; i < rows; i++) {
        b.append(i == 0 ? "(" : ", (").append(mark).append("1, ").append(mark).append(p++).append(", ");
        if (sharedSpec) {
          b.append(mark).append(3);
        } else {
          b.append(mark).append(p++);
        }
        b.append(", ").append(mark).append(p++).append(", 'PENDING', 0, ").append(mark).append("2)");
      }
      return d.sql(b.toString());
    });
  }
}
