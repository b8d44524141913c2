package io.onboarder.store;

import io.onboarder.job.ClaimedItem;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecords.Changed;
import io.onboarder.job.JobRecords.Settled;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Items as a leased queue on the {@link Database}: one claim statement across the open jobs (SKIP LOCKED
 * and a partial unique index: one running item per account), leases on the database clock, outcomes
 * recorded in one batch per transaction by the node that still holds them, their jobs settled with them.
 * Jobs are locked first everywhere (events are numbered under that lock), so transactions never deadlock.
 */
final class SqlItemQueue implements ItemQueue {
  private final Database db;
  private final JobRows rows;
  private final SqlSignIns signIns;
  private final JobSettling settling;
  private final String claimSql;

  SqlItemQueue(Database db, JobRows rows, SqlSignIns signIns, JobSettling settling) {
    this.db = db;
    this.rows = rows;
    this.signIns = signIns;
    this.settling = settling;
    this.claimSql = db.sql(SqlQueries.claim(db.dialect()));
  }

  @Override
  public Future<List<ClaimedItem>> claim(String node, int max, long leaseMs) {
    // Candidates per job: twice what is wanted, so that items of an account already picked can be skipped.
    Tuple args = Tuple.of(node, leaseMs, Instant.now().toString(), (long) max * 2 - 1, (long) max);
    return claimOnce(args)
        .recover(err -> StoreException.is(err, StoreException.Kind.DUPLICATE)
            // Another node leased an item of the same account at the same instant: the database
            // refused this batch as a whole; nothing was claimed, so just try again.
            ? claimOnce(args)
            : Future.failedFuture(err));
  }

  private Future<List<ClaimedItem>> claimOnce(Tuple args) {
    SecretBox box = db.box();
    boolean postgres = db.dialect() == SqlDialect.POSTGRES;
    return db.withEvents(false, (conn, events) -> (postgres ? events.lockOpen(conn) : Future.<Void>succeededFuture())
        .compose(v -> conn.preparedQuery(claimSql).execute(args))
        .compose(rs -> {
          List<ClaimedItem> items = new ArrayList<>(rs.size());
          Map<String, Long> starting = new TreeMap<>(); // jobs this claim starts, and how many of their items
          for (Row r : rs) {
            String spec = r.getString("spec");
            String authValue = null;
            boolean unreadable = false;
            try {
              authValue = box.decrypt(r.getString("auth_value"));
            } catch (IllegalStateException e) {
              unreadable = true; // one bad value fails its item, not the whole claim
            }
            items.add(new ClaimedItem(r.getLong("id"), r.getString("job_id"), r.getString("account"), authValue,
                spec == null ? null : new JsonObject(spec), r.getInteger("attempts"), unreadable,
                r.getLong("halted") != null && r.getLong("halted") > 0));
            if ("PENDING".equals(r.getString("job_status"))) {
              starting.merge(r.getString("job_id"), 1L, Long::sum);
            }
          }
          items.sort(Comparator.comparingLong(ClaimedItem::id));
          Set<String> jobIds = new TreeSet<>();
          items.forEach(i -> jobIds.add(i.jobId()));
          return events.lock(conn, jobIds).compose(v -> markRunning(conn, events, starting)).map(v -> {
            items.forEach(i -> events.item(i.jobId(), EventBodies.item(i.jobId(), i.id(), i.account(), null,
                ItemStatus.RUNNING, null), null));
            return items;
          });
        }));
  }

  /**
   * Jobs whose first items were just claimed ({@code claimed}: how many) become RUNNING, with their job event first:
   * its counts are the job's before this claim (the items' RUNNING events follow it).
   */
  private Future<Void> markRunning(SqlConnection conn, EventWriter events, Map<String, Long> claimed) {
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, Long> started : claimed.entrySet()) {
      String jobId = started.getKey();
      chain = chain.compose(v -> conn.preparedQuery(db.sql(SqlQueries.MARK_RUNNING)).execute(Tuple.of(jobId)))
          .compose(rs -> rs.rowCount() != 1 ? Future.succeededFuture()
              : rows.jobOn(conn, jobId).compose(job -> rows.summaryOn(conn, job, started.getValue())).map(summary -> {
                events.job(jobId, summary);
                return null;
              }));
    }
    return chain;
  }

  @Override
  public Future<Integer> renew(String node, long leaseMs) {
    return db.query(SqlQueries.RENEW_LEASES, Tuple.of(leaseMs, node)).map(RowSet::rowCount);
  }

  @Override
  public Future<List<Changed>> releaseExpired() {
    return releaseByJob(SqlQueries.JOBS_WITH_EXPIRED_LEASES, SqlQueries.RELEASE_EXPIRED_OF_JOB);
  }

  @Override
  public Future<Integer> releaseAll() {
    return releaseByJob(SqlQueries.JOBS_WITH_RUNNING_ITEMS, SqlQueries.RELEASE_ALL_OF_JOB).map(List::size);
  }

  /** RUNNING items back to PENDING (recovered), job by job: the jobs are locked first, as everywhere. */
  private Future<List<Changed>> releaseByJob(String jobsQuery, String releaseOfJob) {
    return db.query(jobsQuery).compose(rs -> {
      Set<String> jobIds = new TreeSet<>();
      rs.forEach(r -> jobIds.add(r.getString(0)));
      if (jobIds.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      String now = Instant.now().toString();
      String release = db.sql(releaseOfJob);
      return db.withEvents(false, (conn, events) -> events.lock(conn, jobIds).compose(v -> {
        List<Changed> out = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (String jobId : jobIds) {
          chain = chain.compose(x -> conn.preparedQuery(release).execute(Tuple.of(now, jobId))
              .map(released -> {
                List<Changed> changed = JobRows.changed(released, jobId);
                JobRows.itemEvents(events, changed, ItemStatus.PENDING);
                out.addAll(changed);
                return null;
              }));
        }
        return chain.map(out);
      }));
    });
  }

  @Override
  public Future<Recorded> record(String node, List<ItemOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new Recorded(List.of(), Settled.NOTHING));
    }
    String now = Instant.now().toString();
    List<Tuple> batch = new ArrayList<>(outcomes.size());
    for (ItemOutcome o : outcomes) {
      batch.add(Tuple.from(new Object[] {o.status().name(), o.connectorId(), o.accountConnectorId(), o.oauthUrl(),
          o.oauthExpiresAt(), o.error() == null ? null : o.error().encode(), o.wipesAuthValue() ? 1 : 0,
          o.status().name(), o.recovered() ? 1 : 0, now, o.itemId(), node}));
    }
    // Jobs first (their events are numbered under the job row lock), then which of the outcomes this
    // node still holds (locked on PostgreSQL, so a takeover waits), then one batch for those; the lease
    // condition in the UPDATE is the backstop.
    return db.withEvents(false, (conn, events) -> events.lock(conn, jobsOf(outcomes))
        .compose(v -> conn.preparedQuery(db.sql(SqlQueries.SELECT_HELD)).execute(Tuple.of(node)))
        .compose(heldRows -> {
          Set<Long> held = new HashSet<>();
          heldRows.forEach(r -> held.add(r.getLong(0)));
          List<ItemOutcome> applied = new ArrayList<>(outcomes.size());
          List<Tuple> updates = new ArrayList<>(outcomes.size());
          for (int i = 0; i < outcomes.size(); i++) {
            if (held.contains(outcomes.get(i).itemId())) {
              applied.add(outcomes.get(i));
              updates.add(batch.get(i));
            }
          }
          if (updates.isEmpty()) {
            return Future.succeededFuture(new Recorded(applied, Settled.NOTHING));
          }
          // The account of a job with a template may now go on to its template (in the same transaction).
          List<Tuple> accounts = applied.stream().filter(o -> o.status().terminal())
              .map(o -> Tuple.of(o.jobId(), o.account())).toList();
          return conn.preparedQuery(db.sql(SqlQueries.RECORD_OUTCOME)).executeBatch(updates)
              .compose(x -> accounts.isEmpty() ? Future.succeededFuture()
                  : conn.preparedQuery(db.sql(AccountSql.ACCOUNT_ITEMS_DONE)).executeBatch(accounts).mapEmpty())
              .compose(x -> signIns.started(conn, applied)) // OAUTH_PENDING: watch and relay link
              .compose(started -> rows.recordedEvents(conn, events, started))
              // Then their jobs are settled in the same transaction: the failure policy, cancel, finish.
              .compose(linked -> settling.settle(conn, events, jobsOf(linked), failedIn(linked))
                  .map(settled -> new Recorded(linked, settled)));
        }));
  }

  private static Set<String> jobsOf(List<ItemOutcome> outcomes) {
    Set<String> jobIds = new TreeSet<>();
    outcomes.forEach(o -> jobIds.add(o.jobId()));
    return jobIds;
  }

  private static Set<String> failedIn(List<ItemOutcome> outcomes) {
    Set<String> jobIds = new TreeSet<>();
    outcomes.stream().filter(o -> o.status() == ItemStatus.FAILED).forEach(o -> jobIds.add(o.jobId()));
    return jobIds;
  }

  @Override
  public Future<ItemPage> page(String jobId, ItemStatus status, int limit, String cursor) {
    long after;
    try {
      after = JobRows.after(cursor);
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    Future<RowSet<Row>> found = status == null
        ? db.query(SqlQueries.SELECT_ITEMS, Tuple.of(jobId, after, (long) limit + 1))
        : db.query(SqlQueries.SELECT_ITEMS_BY_STATUS, Tuple.of(jobId, status.name(), after, (long) limit + 1));
    return found.compose(rs -> {
      List<Row> page = new ArrayList<>(limit);
      String next = null;
      for (Row r : rs) {
        if (page.size() == limit) {
          next = String.valueOf(page.get(page.size() - 1).getLong("id"));
          break;
        }
        page.add(r);
      }
      String nextCursor = next;
      long from = page.isEmpty() ? 1 : page.get(0).getLong("id");
      long to = page.isEmpty() ? 0 : page.get(page.size() - 1).getLong("id");
      return signIns.linksOf(jobId, from, to).map(links -> {
        JsonArray items = new JsonArray();
        page.forEach(r -> items.add(JobRows.itemJson(r, links.get(r.getLong("id")))));
        return new ItemPage(items, nextCursor);
      });
    });
  }
}
