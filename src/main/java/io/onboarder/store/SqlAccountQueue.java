package io.onboarder.store;

import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecords.AccountChanged;
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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Account steps as a leased queue on the {@link Database}: due accounts claimed over all jobs (one
 * step per Cyclr account, never beside its running items), outcomes recorded with the sign-in items
 * a template brought, in one transaction, by the node that still holds them.
 */
final class SqlAccountQueue implements AccountQueue {
  private final Database db;
  private final JobRows rows;
  private final SqlSignIns signIns;
  private final JobSettling settling;
  private final String claimSql;

  SqlAccountQueue(Database db, JobRows rows, SqlSignIns signIns, JobSettling settling) {
    this.db = db;
    this.rows = rows;
    this.signIns = signIns;
    this.settling = settling;
    this.claimSql = db.sql(AccountSql.claimAccounts(db.dialect()));
  }

  @Override
  public Future<List<ClaimedAccount>> claim(String node, int max, long leaseMs) {
    Tuple args = Tuple.of(node, leaseMs, Instant.now().toString(), (long) max * 4, (long) max);
    return claimOnce(args).recover(err -> StoreException.is(err, StoreException.Kind.DUPLICATE)
        // Another node leased an account step of the same account at the same instant: nothing was claimed.
        ? claimOnce(args)
        : Future.failedFuture(err));
  }

  private Future<List<ClaimedAccount>> claimOnce(Tuple args) {
    String itemsSql = db.sql(AccountSql.ACCOUNT_ITEM_STATES);
    return db.transaction(conn -> conn.preparedQuery(claimSql).execute(args)
        .compose(rs -> withItemStates(conn, itemsSql, rs)));
  }

  private Future<List<ClaimedAccount>> withItemStates(SqlConnection conn, String itemsSql, RowSet<Row> rs) {
    List<Row> claimed = new ArrayList<>();
    rs.forEach(claimed::add);
    claimed.sort(Comparator.comparingLong(r -> r.getLong("id")));
    List<Future<List<ClaimedAccount.ItemState>>> states = new ArrayList<>(claimed.size());
    for (Row r : claimed) {
      states.add(conn.preparedQuery(itemsSql).execute(Tuple.of(r.getString("job_id"), r.getString("account")))
          .map(items -> {
            List<ClaimedAccount.ItemState> out = new ArrayList<>(items.size());
            items.forEach(i -> out.add(new ClaimedAccount.ItemState(i.getString("status"), errorCode(i),
                i.getLong("account_connector_id"))));
            return out;
          }));
    }
    return Future.all(states).map(v -> {
      List<ClaimedAccount> out = new ArrayList<>(claimed.size());
      for (int i = 0; i < claimed.size(); i++) {
        Row r = claimed.get(i);
        String signIns = r.getString("signins");
        out.add(new ClaimedAccount(r.getLong("id"), r.getString("job_id"), r.getString("account"),
            AccountStatus.valueOf(r.getString("status")), AccountPhase.valueOf(r.getString("phase")),
            r.getString("cycle_id"), signIns == null ? null : new JsonArray(signIns), r.getInteger("attempts"),
            JobRows.flag(r, "recovered"), r.getLong("halted") != null && r.getLong("halted") > 0,
            r.getLong("watch_interval"), r.getLong("watch_until"), r.getLong("now_ms"), states.get(i).result()));
      }
      return out;
    });
  }

  private static String errorCode(Row r) {
    String error = r.getString("error");
    if (error == null) {
      return null;
    }
    try {
      return new JsonObject(error).getString("code");
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public Future<Integer> renew(String node, long leaseMs) {
    return db.query(AccountSql.RENEW_ACCOUNT_LEASES, Tuple.of(leaseMs, node)).map(RowSet::rowCount);
  }

  @Override
  public Future<Recorded> record(String node, List<AccountOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new Recorded(List.of(), List.of(), Settled.NOTHING));
    }
    String now = Instant.now().toString();
    Set<String> jobIds = new TreeSet<>();
    outcomes.forEach(o -> jobIds.add(o.jobId()));
    // Jobs first (events are numbered under the job row lock, one lock order everywhere), then accounts.
    return db.withEvents(false, (conn, events) -> events.lock(conn, jobIds).compose(v -> {
      List<AccountOutcome> applied = new ArrayList<>(outcomes.size());
      List<ItemOutcome> signInItems = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (AccountOutcome o : outcomes) {
        chain = chain.compose(x -> recordOne(conn, node, o, now).compose(items -> {
          if (items == null) {
            return Future.succeededFuture();
          }
          applied.add(o);
          signInItems.addAll(items);
          if (o.statusChanged()) {
            JsonObject body = EventBodies.account(o.jobId(), o.account(), o.status(), o.cycleId(), o.prerequisites(),
                o.error());
            events.account(o.jobId(), body, body);
          }
          // The sign-ins the template brought: item and oauth events, as for an installed OAuth connector.
          return items.isEmpty() ? Future.succeededFuture() : rows.recordedEvents(conn, events, items).mapEmpty();
        }));
      }
      // Their jobs may finish now (a job with a template waits for its accounts), in the same transaction.
      return chain.compose(x -> {
        Set<String> touched = new TreeSet<>();
        applied.forEach(o -> touched.add(o.jobId()));
        return settling.settle(conn, events, touched, Set.of());
      }).map(settled -> new Recorded(applied, signInItems, settled));
    }));
  }

  /**
   * One account outcome: its sign-in items first (so that the account's own update sees them), then the account.
   * Null when the node no longer holds the account (nothing written); else the sign-in items added.
   */
  private Future<List<ItemOutcome>> recordOne(SqlConnection conn, String node, AccountOutcome o, String now) {
    boolean addsSignIns = !o.handBack() && o.newSignIns() != null && !o.newSignIns().isEmpty();
    Future<List<ItemOutcome>> items = !addsSignIns ? Future.succeededFuture(List.of())
        : conn.preparedQuery(db.sql(AccountSql.ACCOUNT_HELD)).execute(Tuple.of(o.id(), node))
            .compose(held -> held.size() == 0 ? Future.succeededFuture((List<ItemOutcome>) null)
                : insertSignIns(conn, o, now));
    return items.compose(added -> {
      if (added == null) {
        return Future.succeededFuture(null);
      }
      JsonArray links = o.signIns() == null ? new JsonArray() : o.signIns().copy();
      added.forEach(i -> links.add(new JsonObject().put("itemId", String.valueOf(i.itemId()))
          .put("accountConnectorId", i.accountConnectorId()).put("connectorId", i.connectorId())
          .put("connectorName", i.connectorName())));
      int keep = o.handBack() ? 1 : 0;
      boolean watching = o.watchForMs() != null;
      return conn.preparedQuery(db.sql(AccountSql.RECORD_ACCOUNT)).execute(Tuple.from(new Object[] {
              o.status().name(), o.phase().name(), o.cycleId(),
              keep, o.prerequisites() == null ? null : o.prerequisites().encode(),
              keep, links.isEmpty() ? null : links.encode(),
              keep, o.error() == null ? null : o.error().encode(),
              o.phase().name(), o.phase().name(), o.nextCheckMs(),
              keep, o.watchInterval(),
              keep, watching ? 1 : 0, o.watchForMs(),
              keep, o.recovered() ? 1 : 0,
              keep, now, o.id(), node}))
          .map(rs -> rs.size() == 1 ? added : null);
    });
  }

  /** The template's sign-ins that no item of the job stands for yet become OAUTH_PENDING items, watched and linked. */
  private Future<List<ItemOutcome>> insertSignIns(SqlConnection conn, AccountOutcome o, String now) {
    List<ItemOutcome> added = new ArrayList<>();
    String spec = new JsonObject().put("cycleId", o.cycleId()).encode();
    Future<Void> chain = Future.succeededFuture();
    for (Object entry : o.newSignIns()) {
      JsonObject l = (JsonObject) entry;
      Long acId = l.getLong("accountConnectorId");
      chain = chain.compose(v -> conn.preparedQuery(db.sql(AccountSql.ITEM_FOR_ACCOUNT_CONNECTOR))
          .execute(Tuple.of(o.jobId(), o.account(), acId))
          .compose(existing -> existing.size() > 0 ? Future.succeededFuture()
              : conn.preparedQuery(db.sql(AccountSql.INSERT_SIGN_IN_ITEM)).execute(Tuple.from(new Object[] {
                  o.jobId(), o.account(), spec, l.getLong("connectorId"), acId, l.getString("connectorName"),
                  l.getString("url"), l.getString("expiresAt"), now}))
                  .map(rs -> {
                    added.add(new ItemOutcome(rs.iterator().next().getLong("id"), o.jobId(), o.account(),
                        ItemStatus.OAUTH_PENDING, l.getLong("connectorId"), l.getString("connectorName"), acId,
                        l.getString("url"), l.getString("expiresAt"), null, false));
                    return null;
                  })));
    }
    return chain.compose(v -> added.isEmpty() ? Future.succeededFuture(added)
        : conn.preparedQuery(db.sql(AccountSql.ADD_TO_TOTAL)).execute(Tuple.of(added.size(), o.jobId()))
            // Their watch starts and, with relay links, their link is issued, as for an installed OAuth connector.
            .compose(x -> signIns.started(conn, added)));
  }

  @Override
  public Future<List<AccountChanged>> releaseExpired() {
    return db.query(AccountSql.RELEASE_EXPIRED_ACCOUNTS, Tuple.of(Instant.now().toString())).map(rs -> {
      List<AccountChanged> out = new ArrayList<>();
      rs.forEach(r -> out.add(new AccountChanged(r.getString("job_id"), r.getString("account"), null)));
      return out;
    });
  }

  @Override
  public Future<Integer> releaseAll() {
    return db.query(AccountSql.RELEASE_ALL_ACCOUNTS).map(RowSet::rowCount);
  }

  @Override
  public Future<Integer> sweep(boolean itemsToo) {
    Future<Integer> signedIn = db.query(AccountSql.SWEEP_SIGNED_IN).map(RowSet::rowCount);
    return !itemsToo ? signedIn : signedIn.compose(n -> db.query(AccountSql.SWEEP_ITEMS_DONE)
        .map(rs -> n + rs.rowCount()));
  }

  @Override
  public Future<Void> nudge(String jobId, String account) {
    return db.query(AccountSql.NUDGE_ACCOUNT, Tuple.of(jobId, account)).mapEmpty();
  }

  @Override
  public Future<ItemPage> page(String jobId, AccountStatus status, int limit, String cursor) {
    long after;
    try {
      after = JobRows.after(cursor);
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    Future<RowSet<Row>> found = status == null
        ? db.query(AccountSql.SELECT_ACCOUNTS, Tuple.of(jobId, after, (long) limit + 1))
        : db.query(AccountSql.SELECT_ACCOUNTS_BY_STATUS, Tuple.of(jobId, status.name(), after, (long) limit + 1));
    return found.map(rs -> {
      JsonArray accounts = new JsonArray();
      String next = null;
      long last = 0;
      for (Row r : rs) {
        if (accounts.size() == limit) {
          next = String.valueOf(last);
          break;
        }
        last = r.getLong("id");
        accounts.add(JobRows.accountJson(r));
      }
      return new ItemPage(accounts, next);
    });
  }
}
