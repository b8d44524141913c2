package io.onboarder.store;

import io.onboarder.job.AccountStatus;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords.AccountChanged;
import io.onboarder.job.JobRecords.Changed;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows as records and JSON, and the reads and event bodies several stores need inside their own
 * transactions (a job's summary, its lock, the events of recorded items), over one {@link Database}.
 */
final class JobRows {
  private final Database db;

  JobRows(Database db) {
    this.db = db;
  }

  // ---- reads on a connection (inside a transaction) or on the pool -----------------------------

  Future<JobRecord> jobOn(SqlClient client, String jobId) {
    return client.preparedQuery(db.sql(SqlQueries.SELECT_JOB)).execute(Tuple.of(jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  /** The job, locked for the rest of the transaction (PostgreSQL); NOT_FOUND if there is none. */
  Future<JobRecord> lockJob(SqlConnection conn, String jobId) {
    return conn.preparedQuery(db.sql(SqlQueries.LOCK_JOB)).execute(Tuple.of(jobId)).map(rows -> {
      if (rows.size() == 0) {
        throw new StoreException(StoreException.Kind.NOT_FOUND, "No job with id '" + jobId + "'.");
      }
      return job(rows.iterator().next());
    });
  }

  Future<Map<ItemStatus, Long>> countsOn(SqlClient client, String jobId) {
    return countBy(client, SqlQueries.COUNT_BY_STATUS, jobId, ItemStatus.class);
  }

  Future<Map<AccountStatus, Long>> accountCountsOn(SqlClient client, String jobId) {
    return countBy(client, AccountSql.COUNT_ACCOUNTS_BY_STATUS, jobId, AccountStatus.class);
  }

  /** A job's rows counted by status ({@code sql} answers status, count), every status present (0 when none). */
  private <E extends Enum<E>> Future<Map<E, Long>> countBy(SqlClient client, String sql, String jobId, Class<E> kind) {
    return client.preparedQuery(db.sql(sql)).execute(Tuple.of(jobId)).map(rows -> {
      Map<E, Long> counts = new EnumMap<>(kind);
      for (E s : kind.getEnumConstants()) {
        counts.put(s, 0L);
      }
      rows.forEach(r -> counts.put(Enum.valueOf(kind, r.getString(0)), r.getLong(1)));
      return counts;
    });
  }

  /** The job's summary as its events carry it: item counts, and account counts when it has a template. */
  Future<JsonObject> summaryOn(SqlClient client, JobRecord job) {
    return summaryOn(client, job, 0);
  }

  /**
   * The summary of a job as it was before {@code claimed} of its items went from PENDING to RUNNING in this
   * transaction: a job event's counts are what the events before it say, and the event that starts a job comes
   * before its first items' RUNNING events (so a client that moves the counts by those events counts each once).
   */
  Future<JsonObject> summaryOn(SqlClient client, JobRecord job, long claimed) {
    Future<Map<ItemStatus, Long>> counts = countsOn(client, job.id()).map(c -> {
      c.merge(ItemStatus.RUNNING, -claimed, Long::sum);
      c.merge(ItemStatus.PENDING, claimed, Long::sum);
      return c;
    });
    return counts.compose(c -> !job.hasTemplate() ? Future.succeededFuture(EventBodies.job(job, c))
        : accountCountsOn(client, job.id()).map(a -> EventBodies.job(job, c, a)));
  }

  /** A job with a template gets one account row per account of its items, in the same transaction. */
  Future<Void> insertAccounts(SqlConnection conn, String jobId, JsonObject spec, String now) {
    if (!(spec.getValue("template") instanceof JsonObject)) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(db.sql(AccountSql.INSERT_ACCOUNTS)).execute(Tuple.of(now, jobId)).mapEmpty();
  }

  // ---- events --------------------------------------------------------------------------------

  static void itemEvents(EventWriter events, List<Changed> changed, ItemStatus status) {
    changed.forEach(c -> events.item(c.jobId(), EventBodies.item(c.jobId(), c.itemId(), c.account(), null, status,
        null), null));
  }

  /** Each recorded item's event (with its webhook's item view) and, for a link to send, its oauth event. */
  Future<List<ItemOutcome>> recordedEvents(SqlConnection conn, EventWriter events, List<ItemOutcome> started) {
    return webhookViews(conn, events, started).map(views -> {
      for (ItemOutcome o : started) {
        events.item(o.jobId(), EventBodies.item(o), views.get(o.itemId()));
        JsonObject oauth = EventBodies.oauth(o);
        if (oauth != null) {
          events.oauth(o.jobId(), oauth);
        }
      }
      return started;
    });
  }

  /**
   * The items (as GET …/items shows them, with the relay link just issued) that become webhooks, read
   * after their update in the same transaction.
   */
  private Future<Map<Long, JsonObject>> webhookViews(SqlConnection conn, EventWriter events,
                                                     List<ItemOutcome> applied) {
    Map<Long, JsonObject> views = new HashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    String select = db.sql(SqlQueries.SELECT_ITEM);
    for (ItemOutcome o : applied) {
      if (events.sendsWebhook(o.status().name())) {
        JsonObject link = o.relayUrl() == null ? null
            : new JsonObject().put("url", o.relayUrl()).put("expiresAt", o.relayExpiresAt());
        reads.add(conn.preparedQuery(select).execute(Tuple.of(o.itemId())).onSuccess(rows -> rows.forEach(r ->
            views.put(r.getLong("id"), itemJson(r, link)))));
      }
    }
    return Future.all(reads).map(views);
  }

  // ---- rows as records and JSON ----------------------------------------------------------------

  static List<JobRecord> jobs(RowSet<Row> rows) {
    List<JobRecord> out = new ArrayList<>();
    rows.forEach(r -> out.add(job(r)));
    return out;
  }

  static JobRecord job(Row r) {
    return new JobRecord(r.getString("id"), JobStatus.valueOf(r.getString("status")), r.getString("created_at"),
        r.getString("finished_at"), r.getInteger("total"), new JsonObject(r.getString("spec")),
        flag(r, "cancel_requested"), flag(r, "stopped"), r.getString("owner"), r.getString("trace_parent"));
  }

  static boolean flag(Row r, String column) {
    Integer v = r.getInteger(column);
    return v != null && v != 0;
  }

  static List<Changed> changed(RowSet<Row> rows, String jobId) {
    List<Changed> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(new Changed(r.getLong("id"), jobId, r.getString("account"))));
    out.sort(Comparator.comparingLong(Changed::itemId));
    return out;
  }

  static List<AccountChanged> accountsChanged(RowSet<Row> rows, String jobId) {
    List<Row> sorted = new ArrayList<>();
    rows.forEach(sorted::add);
    sorted.sort(Comparator.comparingLong(r -> r.getLong("id")));
    return sorted.stream().map(r -> new AccountChanged(jobId, r.getString("account"),
        AccountStatus.valueOf(r.getString("status")))).toList();
  }

  /** The id a page cursor stands for (0 for the first page); INVALID for one this service never issued. */
  static long after(String cursor) {
    try {
      return cursor == null || cursor.isEmpty() ? 0 : Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      throw new StoreException(StoreException.Kind.INVALID, "cursor is not one this service issued");
    }
  }

  /**
   * The item as {@code GET …/items} shows it (also the data of its webhooks); {@code link}: its live
   * relay link {url, expiresAt}, or null.
   */
  static JsonObject itemJson(Row r, JsonObject link) {
    String spec = r.getString("spec");
    String error = r.getString("error");
    String cyclrUrl = r.getString("oauth_url");
    JsonObject oauth = link != null
        ? new JsonObject().put("url", link.getString("url")).put("cyclrUrl", cyclrUrl)
            .put("expiresAt", link.getString("expiresAt"))
        : cyclrUrl == null ? null : new JsonObject().put("url", cyclrUrl).put("cyclrUrl", cyclrUrl)
            .put("expiresAt", r.getString("oauth_expires_at"));
    JsonObject item = new JsonObject()
        .put("id", String.valueOf(r.getLong("id")))
        .put("account", r.getString("account"))
        .put("connectorId", r.getLong("connector_id"))
        .put("status", r.getString("status"))
        .put("attempts", r.getInteger("attempts"))
        .put("accountConnectorId", r.getLong("account_connector_id"))
        .put("oauth", oauth)
        .put("error", error == null ? null : new JsonObject(error));
    if (spec != null) {
      JsonObject s = new JsonObject(spec);
      if (s.containsKey("installName")) {
        item.put("installName", s.getString("installName"));
      }
      if (s.containsKey("cycleId")) {
        // A sign-in that the job's template brought into the account (not installed by an item).
        item.put("cycleId", s.getString("cycleId"));
      }
    }
    return item;
  }

  /** An account as {@code GET /v1/jobs/{id}/accounts} shows it. */
  static JsonObject accountJson(Row r) {
    String prerequisites = r.getString("prerequisites");
    String signIns = r.getString("signins");
    String error = r.getString("error");
    return new JsonObject()
        .put("account", r.getString("account"))
        .put("status", r.getString("status"))
        .put("cycleId", r.getString("cycle_id"))
        .put("prerequisites", prerequisites == null ? new JsonArray() : new JsonArray(prerequisites))
        .put("signIns", signIns == null ? new JsonArray() : new JsonArray(signIns))
        .put("error", error == null ? null : new JsonObject(error));
  }
}
