package io.onboarder.store;

import io.onboarder.history.AccountHistory;
import io.onboarder.history.HistoryEntry;
import io.onboarder.history.HistoryKind;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Account history on the {@link Database}: entries of job events are inserted by {@link EventWriter} in the
 * events' transaction ({@link #insert}); the rest are recorded here, read page by page (cursor: the last row's
 * number) and pruned by retention. The owner of an entry recorded without one is that of its job, else of its fleet.
 */
final class SqlAccountHistory implements AccountHistory {
  /**
   * Fleet: as given, else the one a fleet's step job names; owner: as given, else the job's, else the fleet's; a
   * dedupe key already recorded adds nothing.
   */
  static final String INSERT = "INSERT INTO account_history (account, at, kind, job_id, fleet, owner, detail, dedupe) "
      + "VALUES (?, ?, ?, ?, COALESCE(?, (SELECT {JOB_FLEET} FROM jobs WHERE id = ?)), "
      + "COALESCE(?, (SELECT owner FROM jobs WHERE id = ?), (SELECT owner FROM fleets WHERE name = ?)), ?, ?) "
      + "ON CONFLICT DO NOTHING";
  private static final String PAGE = "SELECT seq, at, kind, job_id, fleet, detail FROM account_history "
      + "WHERE account = ? AND seq > ? AND (? = 0 OR owner = ?) ORDER BY seq LIMIT ?";
  private static final String DELETE_UP_TO = "DELETE FROM account_history WHERE at < ? AND seq IN "
      + "(SELECT seq FROM account_history WHERE at < ? ORDER BY at LIMIT ?)";

  private final Database db;

  SqlAccountHistory(Database db) {
    this.db = db;
  }

  static Tuple row(HistoryEntry e) {
    return Tuple.from(java.util.Arrays.asList(e.account(), e.at(), e.kind().wire, e.jobId(), e.fleet(), e.jobId(),
        e.owner(), e.jobId(), e.fleet(), e.detail().encode(), e.dedupe()));
  }

  /** Inserts entries in the caller's transaction (the events that they come from are written there too). */
  static Future<Void> insert(Database db, SqlConnection conn, List<HistoryEntry> entries) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>(entries.size());
    entries.forEach(e -> rows.add(row(e)));
    return conn.preparedQuery(db.sql(INSERT)).executeBatch(rows).mapEmpty();
  }

  @Override
  public Future<Void> record(HistoryEntry entry) {
    return db.query(INSERT, row(entry)).mapEmpty();
  }

  @Override
  public Future<Page> page(String account, String owner, String cursor, int limit) {
    long after;
    if (cursor == null || cursor.isEmpty()) {
      after = 0;
    } else if (cursor.matches("\\d{1,18}")) {
      after = Long.parseLong(cursor);
    } else {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, "cursor is not one this service "
          + "issued; start without one"));
    }
    Tuple args = Tuple.of(account, after, owner == null ? 0L : 1L, owner == null ? "" : owner, (long) limit + 1);
    return db.query(PAGE, args).map(rows -> {
      List<HistoryEntry> items = new ArrayList<>(Math.min(rows.size(), limit));
      long last = after;
      boolean more = false;
      for (Row r : rows) {
        if (items.size() == limit) {
          more = true;
          break;
        }
        last = r.getLong("seq");
        HistoryKind kind = HistoryKind.parse(r.getString("kind"));
        if (kind != null) { // a kind a newer build wrote is left out, not misnamed
          items.add(new HistoryEntry(account, r.getString("at"), kind, r.getString("job_id"), r.getString("fleet"),
              null, new JsonObject(r.getString("detail")), null));
        }
      }
      return new Page(items, more ? String.valueOf(last) : null);
    });
  }

  @Override
  public Future<Integer> prune(String before, int max) {
    return db.query(DELETE_UP_TO, Tuple.of(before, before, (long) max)).map(RowSet::rowCount);
  }
}
