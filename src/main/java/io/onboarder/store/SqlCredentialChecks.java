package io.onboarder.store;

import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.signin.CredentialChecks;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Credential health checks on the {@link Database}: due times and leases in the items table, decided on the
 * database's clock so every node agrees; a lost sign-in re-links through {@link SqlSignIns}, in one transaction.
 */
final class SqlCredentialChecks implements CredentialChecks {
  private final Database db;
  private final SqlSignIns links;
  private final String claimSql;

  SqlCredentialChecks(Database db, SqlSignIns links) {
    this.db = db;
    this.links = links;
    this.claimSql = db.sql(CredentialSql.claim(db.dialect()));
  }

  @Override
  public Future<Integer> schedule(long intervalMs, int max) {
    return db.query(CredentialSql.SCHEDULE, Tuple.of(intervalMs, (long) max)).map(RowSet::rowCount);
  }

  @Override
  public Future<List<Due>> claim(String node, int max, long leaseMs) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    return db.transaction(conn -> conn.preparedQuery(claimSql).execute(Tuple.of(node, leaseMs, (long) max)))
        .map(rows -> {
          List<Due> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Due(r.getLong("id"), r.getString("job_id"), r.getString("account"),
                r.getLong("account_connector_id"), r.getLong("connector_id")));
          }
          return out;
        });
  }

  @Override
  public Future<Boolean> again(String node, long itemId, long delayMs, boolean checked) {
    return db.query(checked ? CredentialSql.CHECKED : CredentialSql.AGAIN, Tuple.of(delayMs, itemId, node))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Boolean> gone(String node, long itemId) {
    return db.query(CredentialSql.GONE, Tuple.of(itemId, node)).map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Lost> lost(String node, long itemId) {
    // The job is locked before the item (as in every transaction that writes events); its id is read first.
    return db.query(SqlQueries.JOB_OF_ITEM, Tuple.of(itemId)).compose(jobRows -> {
      if (jobRows.size() == 0) {
        return Future.succeededFuture((Lost) null);
      }
      String jobId = jobRows.iterator().next().getString(0);
      return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
          .compose(v -> conn.preparedQuery(db.sql(CredentialSql.JOB_OAUTH)).execute(Tuple.of(jobId)))
          .compose(job -> conn.preparedQuery(db.sql(CredentialSql.LOST))
              .execute(Tuple.of(Instant.now().toString(), itemId, node)).compose(rows -> {
                if (rows.size() == 0 || job.size() == 0) {
                  return Future.succeededFuture((Lost) null);
                }
                Row j = job.iterator().next();
                boolean cancelled = j.getInteger("cancel_requested") != 0;
                JsonObject spec = new JsonObject(j.getString("spec"));
                JsonObject oauth = spec.getJsonObject("oauth", new JsonObject());
                Row r = rows.iterator().next();
                long acId = r.getLong("account_connector_id");
                // A cancelled job's links were revoked and it issues no new one: the item only shows the loss.
                Future<String[]> link = cancelled ? Future.succeededFuture(null)
                    : links.relink(conn, itemId, jobId, acId, spec);
                return link.compose(l -> links.itemView(conn, jobId, itemId).map(view -> {
                  Lost lost = new Lost(itemId, jobId, r.getString("account"), acId, r.getLong("connector_id"),
                      r.getString("connector_name"), l == null ? null : l[0], l == null ? null : l[1], cancelled,
                      oauth);
                  events.item(jobId, EventBodies.item(jobId, itemId, lost.account(), lost.connectorId(),
                      ItemStatus.REAUTH_REQUIRED, null), view);
                  if (lost.url() != null) {
                    events.oauth(jobId, EventBodies.oauth(jobId, itemId, lost.account(), lost.connectorId(),
                        lost.connectorName(), acId, lost.url(), null, lost.expiresAt()));
                  }
                  return lost;
                }));
              })));
    });
  }

  @Override
  public Future<Long> nextDueInMs() {
    return db.query(CredentialSql.NEXT_DUE).map(rows -> {
      Long due = rows.size() == 0 ? null : rows.iterator().next().getLong(0);
      return due == null ? null : Math.max(0, due);
    });
  }
}
