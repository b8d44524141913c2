package io.onboarder.store;

import io.onboarder.metrics.StoreCounts;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

/** The store's counts behind the gauges, on the {@link Database}: each one statement over an index. */
final class SqlStoreCounts implements StoreCounts {
  // The watch's partial index (watch_next_at IS NOT NULL) holds exactly the items it polls.
  private static final String SIGN_INS_WAITING = "SELECT COUNT(*) FROM items WHERE watch_next_at IS NOT NULL AND "
      + SignInSql.AWAITS_SIGN_IN;
  private static final String WEBHOOKS_PENDING = "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'";
  // window_start_ms is on the database clock, like {NOW_MS}: no clock skew between nodes.
  private static final String OLDEST_WEBHOOK_MS = "SELECT {NOW_MS} - MIN(window_start_ms) FROM webhook_deliveries "
      + "WHERE status = 'PENDING'";
  private static final String FLEETS_DRIFTED = "SELECT COUNT(*) FROM fleets WHERE status = 'DRIFTED'";

  private final Database db;

  SqlStoreCounts(Database db) {
    this.db = db;
  }

  @Override
  public Future<Long> signInsWaiting() {
    return db.query(SIGN_INS_WAITING).map(SqlStoreCounts::first);
  }

  @Override
  public Future<Long> webhooksPending() {
    return db.query(WEBHOOKS_PENDING).map(SqlStoreCounts::first);
  }

  @Override
  public Future<Double> oldestWebhookSeconds() {
    return db.query(OLDEST_WEBHOOK_MS).map(rows -> Math.max(0, first(rows)) / 1000.0);
  }

  @Override
  public Future<Long> fleetsDrifted() {
    return db.query(FLEETS_DRIFTED).map(SqlStoreCounts::first);
  }

  /** The one value of a one-row answer; 0 for NULL (MIN over no rows). */
  private static long first(RowSet<Row> rows) {
    Long v = rows.iterator().next().getLong(0);
    return v == null ? 0 : v;
  }
}
