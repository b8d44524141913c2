package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The webhook outbox on the job store's database (its rows are written by {@link EventWriter}). */
final class SqlWebhookOutbox implements WebhookOutbox {
  private final Database db;

  SqlWebhookOutbox(Database db) {
    this.db = db;
  }

  @Override
  public Future<List<Due>> claimDue(String node, int max, long leaseMs) {
    return db.transaction(conn -> conn.preparedQuery(db.sql(OutboxSql.CLAIM_DELIVERIES))
        .execute(Tuple.of(node, leaseMs, (long) max))).map(rows -> {
          List<Due> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(new Due(r.getString("id"), r.getString("type"), r.getString("payload"),
              r.getInteger("attempts"))));
          return out;
        });
  }

  @Override
  public Future<Boolean> delivered(String id, String node, int httpStatus) {
    String now = Instant.now().toString();
    return db.query(OutboxSql.DELIVERED, Tuple.of(now, httpStatus, now, id, node))
        .map(rs -> rs.rowCount() == 1);
  }

  @Override
  public Future<String> attemptFailed(String id, String node, Integer httpStatus, String error, long retryInMs,
                                      long giveUpAfterMs) {
    String now = Instant.now().toString();
    return db.query(OutboxSql.ATTEMPT_FAILED, Tuple.from(new Object[] {now, httpStatus, error, giveUpAfterMs, giveUpAfterMs, now, retryInMs, id,
            node}))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("status"));
  }

  @Override
  public Future<Integer> release(String node) {
    return db.query(OutboxSql.RELEASE_DELIVERIES_OF, Tuple.of(node))
        .map(RowSet::rowCount);
  }

  @Override
  public Future<Integer> releaseAll() {
    return db.query(OutboxSql.RELEASE_ALL_DELIVERIES).map(RowSet::rowCount);
  }

  @Override
  public Future<JsonObject> delivery(String id, String owner) {
    return db.query(OutboxSql.SELECT_DELIVERY, Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row r = rows.iterator().next();
      return owner != null && !owner.equals(r.getString("owner")) ? null : json(r);
    });
  }

  @Override
  public Future<Page> list(String status, String owner, int limit, String cursor) {
    long before;
    try {
      before = cursor == null || cursor.isEmpty() ? Long.MAX_VALUE : Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, "cursor is not one this service issued"));
    }
    List<Object> args = new ArrayList<>(List.of(before));
    if (status != null) {
      args.add(status);
    }
    if (owner != null) {
      args.add(owner);
    }
    args.add((long) limit + 1);
    return db.query(OutboxSql.deliveries(status != null, owner != null), Tuple.from(args)).map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          String next = null;
          long last = 0;
          for (Row r : rows) {
            if (out.size() == limit) {
              next = String.valueOf(last);
              break;
            }
            last = r.getLong("seq");
            out.add(json(r));
          }
          return new Page(out, next);
        });
  }

  @Override
  public Future<JsonObject> replay(String id, String owner) {
    return delivery(id, owner).compose(found -> found == null ? Future.succeededFuture(null)
        : db.query(OutboxSql.REPLAY_DELIVERY, Tuple.of(id))
            .map(rows -> rows.size() == 0 ? null : json(rows.iterator().next())));
  }

  @Override
  public Future<Integer> prune(String status, String before, int max) {
    return db.query(OutboxSql.PRUNE_DELIVERIES, Tuple.of(status, before, (long) max))
        .map(RowSet::rowCount);
  }

  @Override
  public Future<JsonObject> counts() {
    return db.query(OutboxSql.COUNT_DELIVERIES_BY_STATUS).map(rows -> {
      JsonObject c = new JsonObject().put("PENDING", 0L).put("DELIVERED", 0L).put("FAILED", 0L);
      rows.forEach(r -> c.put(r.getString(0), r.getLong(1)));
      return c;
    });
  }

  /** A delivery as the API shows it: never the secret nor a signature, and the payload holds no auth value. */
  private static JsonObject json(Row r) {
    String status = r.getString("status");
    Long next = r.getLong("next_attempt_ms");
    Integer httpStatus = r.getInteger("last_http_status");
    String error = r.getString("last_error");
    return new JsonObject()
        .put("id", r.getString("id"))
        .put("type", r.getString("type"))
        .put("jobId", r.getString("job_id"))
        .put("fleet", r.getString("fleet"))
        .put("status", status)
        .put("attempts", r.getInteger("attempts"))
        .put("createdAt", r.getString("created_at"))
        .put("nextAttemptAt", "PENDING".equals(status) && next != null ? Instant.ofEpochMilli(next).toString() : null)
        .put("lastAttemptAt", r.getString("last_attempt_at"))
        .put("lastResult", r.getString("last_attempt_at") == null ? null
            : new JsonObject().put("httpStatus", httpStatus).put("error", error))
        .put("finishedAt", r.getString("finished_at"))
        .put("payload", new JsonObject(r.getString("payload")));
  }

}
