package io.onboarder.store;

import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.SignInPlan;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.job.StoreException;
import io.onboarder.signin.WatchSchedule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Relay links and the sign-in watch on the {@link Database} (its pool, key and dialect). A link's
 * token is derived from a random salt with the store key and never stored: the table holds the salt
 * and the token's SHA-256. Validity (expiry, revocation) and watch leases are
 * decided by the database, on its clock, so every node agrees.
 */
final class SqlSignIns implements SignIns {
  private static final int SALT_BYTES = 32;

  private final Database db;
  private final SignInPolicy policy;
  private final String claimSql;
  private final String cancelRequestedShared;

  SqlSignIns(Database db, SignInPolicy policy) {
    this.db = db;
    this.policy = policy;
    this.claimSql = db.sql(SignInSql.claimWatches(db.dialect()));
    this.cancelRequestedShared = db.sql(SignInSql.jobCancelRequestedShared(db.dialect()));
  }

  private static long jittered(long ms) {
    return WatchSchedule.jittered(ms, ThreadLocalRandom.current()::nextDouble);
  }

  private static String iso(long epochMs) {
    return Instant.ofEpochMilli(epochMs).toString();
  }

  // ---- inside the job store's transactions ---------------------------------------------------

  /**
   * Called while recording outcomes, in the same transaction: every applied OAUTH_PENDING item starts
   * its watch and, with relay links, gets its link. Not in a cancelled job: cancelling revokes links,
   * and the job row is locked (shared) so that a concurrent cancel is wholly before or after this.
   */
  Future<List<ItemOutcome>> started(SqlConnection conn, List<ItemOutcome> applied) {
    List<ItemOutcome> out = new ArrayList<>(applied.size());
    Future<Void> chain = Future.succeededFuture();
    for (ItemOutcome o : applied) {
      chain = chain.compose(v -> (o.status() == ItemStatus.OAUTH_PENDING ? started(conn, o)
          : Future.succeededFuture(o)).map(done -> {
            out.add(done);
            return null;
          }));
    }
    return chain.map(v -> out);
  }

  private Future<ItemOutcome> started(SqlConnection conn, ItemOutcome o) {
    SignInPolicy p = policy;
    return conn.preparedQuery(cancelRequestedShared).execute(Tuple.of(o.jobId())).compose(rows -> {
      Integer cancelled = rows.size() == 0 ? null : rows.iterator().next().getInteger(0);
      if (cancelled == null || cancelled != 0) {
        return Future.succeededFuture(o);
      }
      SignInPlan plan = SignInPlan.of(new JsonObject(rows.iterator().next().getString("spec")));
      return startWatch(conn, o.itemId(), o.connectorName(), p)
          .compose(v -> p.relayLinks() ? newLink(conn, o.itemId(), o.jobId(), o.accountConnectorId(), p, plan)
              .map(link -> o.withRelay(link[0], link[1])) : Future.succeededFuture(o));
    });
  }

  private Future<Void> startWatch(SqlClient conn, long itemId, String connectorName, SignInPolicy p) {
    return conn.preparedQuery(db.sql(SignInSql.START_WATCH)).execute(Tuple.of(connectorName, p.watchFirstMs(),
        jittered(p.watchFirstMs()), p.linkTtlMs(), itemId)).mapEmpty();
  }

  /**
   * Revokes the item's links and inserts a new one, with its sign-in campaign (the job's {@code plan}: reminders
   * from now, expiry after the plan's or the configured lifetime); returns {url, expiresAt}.
   */
  private Future<String[]> newLink(SqlClient conn, long itemId, String jobId, Long accountConnectorId,
                                   SignInPolicy p, SignInPlan plan) {
    byte[] salt = SecretBox.randomBytes(SALT_BYTES);
    String token = db.box().linkToken(salt);
    long ttl = plan.expireAfterMs(p.linkTtlMs());
    // Reminders at or after the expiry (a plan without its own expiry, against a short LINKS_TTL_HOURS) are dropped.
    List<Long> reminders = plan.remindAfterMs().stream().filter(ms -> ms < ttl).toList();
    long first = reminders.isEmpty() ? ttl : reminders.get(0);
    String planText = String.join(",", reminders.stream().map(String::valueOf).toList());
    return conn.preparedQuery(db.sql(SignInSql.REVOKE_ITEM_LINKS)).execute(Tuple.of(itemId))
        .compose(v -> conn.preparedQuery(db.sql(SignInSql.INSERT_LINK)).execute(Tuple.from(new Object[] {
            SecretBox.sha256Hex(token), Base64.getEncoder().encodeToString(salt), itemId, jobId, accountConnectorId,
            ttl, first, planText})))
        .map(rows -> new String[] {p.linkUrl(token), iso(rows.iterator().next().getLong(0))});
  }

  /**
   * A sign-in lost (credential health), in the caller's transaction: the item (REAUTH_REQUIRED now) is watched
   * again and, with relay links, its old links are revoked and a fresh one issued, exactly as for a first
   * sign-in or a reissue, so whatever follows a new link (its watch, the job's sign-in campaign: reminders and
   * expiry from now) follows this one too. Returns {url, expiresAt} of the relay link, or null without relay links.
   */
  Future<String[]> relink(SqlConnection conn, long itemId, String jobId, Long accountConnectorId, JsonObject jobSpec) {
    SignInPolicy p = policy;
    return startWatch(conn, itemId, null, p).compose(v -> p.relayLinks()
        ? newLink(conn, itemId, jobId, accountConnectorId, p, SignInPlan.of(jobSpec)) : Future.succeededFuture(null));
  }

  /** Cancel: links that still work are revoked and watches end, in the caller's transaction. */
  Future<Integer> revoke(SqlClient conn, String jobId) {
    return conn.preparedQuery(db.sql(SignInSql.REVOKE_JOB_LINKS)).execute(Tuple.of(jobId))
        .compose(revoked -> conn.preparedQuery(db.sql(SignInSql.STOP_JOB_WATCHES)).execute(Tuple.of(jobId))
            .map(v -> revoked.size()));
  }

  /** The live link of each item of a page (ids {@code from..to} of a job), as {url, expiresAt}. */
  Future<Map<Long, JsonObject>> linksOf(String jobId, long from, long to) {
    return Database.classified(linksOf(db.pool(), jobId, from, to));
  }

  /** As {@link #linksOf(String, long, long)}, on {@code client} (a transaction's connection). */
  Future<Map<Long, JsonObject>> linksOf(SqlClient client, String jobId, long from, long to) {
    SignInPolicy p = policy;
    if (!p.relayLinks() || from > to) {
      return Future.succeededFuture(Map.of());
    }
    return client.preparedQuery(db.sql(SignInSql.LINKS_OF_ITEMS)).execute(Tuple.of(jobId, from, to)).map(rows -> {
      Map<Long, JsonObject> links = new HashMap<>();
      for (Row r : rows) {
        // The key that made the link, current or old (STORE_SECRET_KEYS_OLD); a link made with a key no longer
        // configured still opens (it is found by its hash), but cannot be shown again.
        String token = db.box().linkToken(Base64.getDecoder().decode(r.getString("salt")), r.getString("token_hash"));
        if (token != null) {
          links.put(r.getLong("item_id"), new JsonObject().put("url", p.linkUrl(token))
              .put("expiresAt", iso(r.getLong("expires_at"))));
        }
      }
      return links;
    });
  }

  /** One item as GET …/items shows it, read on {@code conn} (inside a transaction), with its live link. */
  Future<JsonObject> itemView(SqlConnection conn, String jobId, long itemId) {
    return conn.preparedQuery(db.sql(SqlQueries.SELECT_ITEM)).execute(Tuple.of(itemId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture((JsonObject) null);
      }
      Row r = rows.iterator().next();
      return linksOf(conn, jobId, itemId, itemId).map(links -> JobRows.itemJson(r, links.get(itemId)));
    });
  }

  // ---- watch ---------------------------------------------------------------------------------

  @Override
  public Future<List<Watched>> claimWatches(String node, int max, long leaseMs) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    return db.transaction(conn -> conn.preparedQuery(claimSql).execute(Tuple.of(node, leaseMs, (long) max)))
        .map(rows -> {
          List<Watched> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Watched(r.getLong("id"), r.getString("job_id"), r.getString("account"),
                r.getLong("account_connector_id"), r.getLong("connector_id"), r.getLong("watch_interval")));
          }
          return out;
        });
  }

  @Override
  public Future<Boolean> watchAgain(String node, long itemId, long intervalMs, long delayMs) {
    return db.query(SignInSql.WATCH_AGAIN, Tuple.of(intervalMs, delayMs, itemId, node))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Void> stopWatch(long itemId) {
    return db.query(SignInSql.STOP_WATCH, Tuple.of(itemId)).mapEmpty();
  }

  @Override
  public Future<Integer> expireWatches() {
    return db.query(SignInSql.EXPIRE_WATCHES).map(RowSet::rowCount);
  }

  @Override
  public Future<Long> nextWatchDueInMs() {
    return db.query(SignInSql.NEXT_WATCH_DUE).map(rows -> {
      Long due = rows.size() == 0 ? null : rows.iterator().next().getLong(0);
      return due == null ? null : Math.max(0, due);
    });
  }

  @Override
  public Future<Authenticated> markAuthenticated(long itemId) {
    // The job is locked before the item (as in every transaction that writes events); its id is read first.
    return db.query(SqlQueries.JOB_OF_ITEM, Tuple.of(itemId)).compose(jobRows -> {
      if (jobRows.size() == 0) {
        return Future.succeededFuture((Authenticated) null);
      }
      String jobId = jobRows.iterator().next().getString(0);
      return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
          .compose(v -> conn.preparedQuery(db.sql(SignInSql.MARK_AUTHENTICATED))
              .execute(Tuple.of(Instant.now().toString(), itemId)))
          .compose(rows -> rows.size() == 0 ? Future.succeededFuture(rows)
              : conn.preparedQuery(db.sql(SignInSql.END_CAMPAIGNS)).execute(Tuple.of(itemId)).map(rows))
          .compose(rows -> {
            if (rows.size() == 0) {
              return Future.succeededFuture((Authenticated) null);
            }
            Row r = rows.iterator().next();
            Authenticated a = new Authenticated(r.getLong("id"), r.getString("job_id"), r.getString("account"),
                r.getLong("connector_id"));
            Future<JsonObject> view = events.sendsWebhook(ItemStatus.AUTHENTICATED.name())
                ? itemView(conn, a.jobId(), a.itemId()) : Future.succeededFuture(null);
            return view.map(v -> {
              events.item(a.jobId(), EventBodies.item(a.jobId(), a.itemId(), a.account(), a.connectorId(),
                  ItemStatus.AUTHENTICATED, null), v);
              return a;
            });
          }));
    });
  }

  @Override
  public Future<Void> visited(long itemId) {
    long first = policy.watchFirstMs();
    return db.query(SignInSql.VISITED, Tuple.of(first, jittered(first), itemId))
        .mapEmpty();
  }

  // ---- links ---------------------------------------------------------------------------------

  @Override
  public Future<LinkView> link(String token) {
    return db.query(SignInSql.SELECT_LINK, Tuple.of(SecretBox.sha256Hex(token)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          return new LinkView(r.getLong("item_id"), r.getString("job_id"), r.getString("account"),
              r.getLong("account_connector_id"), r.getLong("connector_id"), r.getString("connector_name"),
              ItemStatus.valueOf(r.getString("status")), r.getInteger("expired") != 0, r.getInteger("revoked") != 0,
              iso(r.getLong("expires_at")), new JsonObject(r.getString("spec")));
        });
  }

  /** The item, checked: in this job (404), the job not cancelled and the item waiting for a sign-in (409). */
  private Future<LinkTarget> target(SqlClient conn, String jobId, long itemId, boolean lockJob) {
    Future<Boolean> cancelled = conn.preparedQuery(db.sql(lockJob ? SignInSql.JOB_CANCEL_REQUESTED
            : SignInSql.JOB_CANCEL_REQUESTED.replace("{FOR_UPDATE}", ""))).execute(Tuple.of(jobId))
        .map(rows -> rows.size() > 0 && rows.iterator().next().getInteger(0) != 0);
    return cancelled.compose(isCancelled -> conn.preparedQuery(db.sql(SignInSql.SELECT_LINK_TARGET))
        .execute(Tuple.of(itemId, jobId)).map(rows -> {
          if (rows.size() == 0) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, "Job '" + jobId + "' has no item '" + itemId + "'.");
          }
          Row r = rows.iterator().next();
          ItemStatus status = ItemStatus.valueOf(r.getString("status"));
          if (isCancelled) {
            throw new StoreException(StoreException.Kind.CONFLICT, "Job '" + jobId + "' was cancelled: its links were revoked and no new one is "
                + "issued.");
          }
          if (!status.awaitsSignIn()) {
            throw new StoreException(StoreException.Kind.CONFLICT, "Item '" + itemId + "' is " + status + (status == ItemStatus.AUTHENTICATED
                ? ": the tenant has signed in already." : ": it needs no sign-in link."));
          }
          return new LinkTarget(r.getLong("id"), r.getString("job_id"), r.getString("account"),
              r.getLong("account_connector_id"), r.getLong("connector_id"), r.getString("connector_name"));
        }));
  }

  @Override
  public Future<IssuedLink> reissue(String jobId, long itemId) {
    SignInPolicy p = policy;
    if (!p.relayLinks()) {
      return Future.failedFuture(new IllegalStateException("relay links are off (PUBLIC_URL is not set)"));
    }
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(x -> target(conn, jobId, itemId, true))
        .compose(t -> startWatch(conn, itemId, null, p)
            .compose(v -> conn.preparedQuery(db.sql(SignInSql.JOB_SPEC)).execute(Tuple.of(jobId)))
            .compose(spec -> newLink(conn, itemId, jobId, t.accountConnectorId(), p,
                SignInPlan.of(new JsonObject(spec.iterator().next().getString(0)))))
            .map(link -> {
              events.oauth(jobId, oauthEvent(t, link[0], null, link[1]));
              return new IssuedLink(t, link[0], null, link[1]);
            })));
  }

  @Override
  public Future<LinkTarget> linkTarget(String jobId, long itemId) {
    return Database.classified(target(db.pool(), jobId, itemId, false));
  }

  @Override
  public Future<Void> rawLinkIssued(LinkTarget t, String url, String expiresAt) {
    SignInPolicy p = policy;
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(t.jobId()))
        .compose(x -> conn.preparedQuery(db.sql(SignInSql.SET_RAW_LINK)).execute(Tuple.of(url, expiresAt, t.itemId())))
        .compose(v -> startWatch(conn, t.itemId(), null, p))
        .map(v -> {
          events.oauth(t.jobId(), oauthEvent(t, url, url, expiresAt));
          return (Void) null;
        }));
  }

  private static JsonObject oauthEvent(LinkTarget t, String url, String cyclrUrl, String expiresAt) {
    return EventBodies.oauth(t.jobId(), t.itemId(), t.account(), t.connectorId(), t.connectorName(),
        t.accountConnectorId(), url, cyclrUrl, expiresAt);
  }

  @Override
  public Future<Integer> revokeLinks(String jobId) {
    return db.transaction(conn -> revoke(conn, jobId));
  }
}
