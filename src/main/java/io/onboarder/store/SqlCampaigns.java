package io.onboarder.store;

import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.StoreException;
import io.onboarder.signin.Campaigns;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Sign-in campaigns and the funnel on the {@link Database}: each relay link carries its next step's due time
 * ({@code links.campaign_at}), the reminder times of its plan and how many reminders went out. A step is leased
 * like a watch and taken by one conditional UPDATE in the transaction that writes its event, so it happens
 * once cluster-wide whatever restarts or races. Links are issued (with their plan) by {@link SqlSignIns}.
 */
final class SqlCampaigns implements Campaigns {
  private final Database db;
  private final SqlSignIns signIns;
  private final SignInPolicy policy;
  private final String claimSql;

  SqlCampaigns(Database db, SqlSignIns signIns, SignInPolicy policy) {
    this.db = db;
    this.signIns = signIns;
    this.policy = policy;
    this.claimSql = db.sql(CampaignSql.claimDue(db.dialect()));
  }

  @Override
  public Future<List<Due>> claimDue(String node, int max, long leaseMs) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    return db.transaction(conn -> conn.preparedQuery(claimSql).execute(Tuple.of(node, leaseMs, (long) max)))
        .map(rows -> {
          List<Due> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(due(r)));
          return out;
        });
  }

  /**
   * The step a claimed link is at: its expiry once expired, else the latest reminder due by now (reminders a
   * stopped service missed are not sent one after another: only the last one due is).
   */
  private static Due due(Row r) {
    long now = r.getLong("now_ms");
    long created = r.getLong("created_at");
    long expires = r.getLong("expires_at");
    int sent = r.getInteger("reminders_sent");
    List<Long> plan = plan(r.getString("campaign_plan"));
    int reminder = 0;
    long nextAt = 0;
    if (now < expires && sent < plan.size()) {
      reminder = sent + 1;
      while (reminder < plan.size() && created + plan.get(reminder) <= now) {
        reminder++;
      }
      nextAt = reminder < plan.size() ? created + plan.get(reminder) : expires;
    }
    return new Due(r.getLong("id"), r.getLong("item_id"), r.getString("job_id"), r.getString("account"),
        r.getLong("account_connector_id"), sent, reminder, nextAt);
  }

  private static List<Long> plan(String text) {
    List<Long> plan = new ArrayList<>();
    for (String ms : text == null ? new String[0] : text.split(",")) {
      if (!ms.isBlank()) {
        plan.add(Long.parseLong(ms.trim()));
      }
    }
    return plan;
  }

  @Override
  public Future<Stepped> step(String node, Due due) {
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(due.jobId()))
        .compose(x -> due.expiry() ? expire(conn, events, node, due) : remind(conn, events, node, due)));
  }

  private Future<Stepped> remind(SqlConnection conn, EventWriter events, String node, Due d) {
    return conn.preparedQuery(db.sql(CampaignSql.TAKE_REMINDER))
        .execute(Tuple.of(d.reminder(), d.nextAtMs(), d.linkId(), node, d.remindersSent())).compose(rows -> {
          if (rows.size() == 0) {
            return end(conn, node, d);
          }
          Row link = rows.iterator().next();
          // The link's own token, whichever configured key made it (a reminder resends the link the tenant has).
          String token = db.box().linkToken(Base64.getDecoder().decode(link.getString("salt")),
              link.getString("token_hash"));
          String url = token == null ? null : policy.linkUrl(token);
          String expiresAt = Instant.ofEpochMilli(link.getLong("expires_at")).toString();
          return conn.preparedQuery(db.sql(SignInSql.SELECT_LINK_TARGET)).execute(Tuple.of(d.itemId(), d.jobId()))
              .compose(items -> {
                Row i = items.iterator().next();
                JsonObject body = EventBodies.oauth(d.jobId(), d.itemId(), i.getString("account"),
                    i.getLong("connector_id"), i.getString("connector_name"), i.getLong("account_connector_id"), url,
                    null, expiresAt).put("reminder", d.reminder());
                Future<JsonObject> view = events.sendsReminders() ? signIns.itemView(conn, d.jobId(), d.itemId())
                    : Future.succeededFuture(null);
                return view.map(v -> {
                  events.reminder(d.jobId(), body, v == null ? null : v.put("reminder", d.reminder()));
                  return Stepped.REMINDED;
                });
              });
        });
  }

  private Future<Stepped> expire(SqlConnection conn, EventWriter events, String node, Due d) {
    return conn.preparedQuery(db.sql(CampaignSql.TAKE_EXPIRY)).execute(Tuple.of(d.linkId(), node))
        .compose(taken -> taken.rowCount() == 0 ? end(conn, node, d)
            : conn.preparedQuery(db.sql(CampaignSql.EXPIRE_ITEM))
                .execute(Tuple.of(Instant.now().toString(), d.itemId()))
                .compose(rows -> rows.size() == 0 ? Future.succeededFuture(Stepped.ENDED)
                    : expired(conn, events, rows)));
  }

  private Future<Stepped> expired(SqlConnection conn, EventWriter events, RowSet<Row> rows) {
    Row r = rows.iterator().next();
    String jobId = r.getString("job_id");
    long itemId = r.getLong("id");
    String account = r.getString("account");
    Future<JsonObject> view = events.sendsWebhook(ItemStatus.SIGN_IN_EXPIRED.name())
        ? signIns.itemView(conn, jobId, itemId) : Future.succeededFuture(null);
    return view.compose(v -> {
      events.item(jobId, EventBodies.item(jobId, itemId, account, r.getLong("connector_id"),
          ItemStatus.SIGN_IN_EXPIRED, null), v);
      // The account of a job with a template waited for this sign-in: due now (it will not get the template).
      return conn.preparedQuery(db.sql(AccountSql.NUDGE_ACCOUNT)).execute(Tuple.of(jobId, account))
          .map(Stepped.EXPIRED);
    });
  }

  /** A step that was not taken: its campaign ends if the tenant signed in or the link was revoked, else it was lost. */
  private Future<Stepped> end(SqlConnection conn, String node, Due d) {
    return conn.preparedQuery(db.sql(CampaignSql.END_STEP)).execute(Tuple.of(d.linkId(), node))
        .map(rows -> rows.rowCount() == 1 ? Stepped.ENDED : Stepped.LOST);
  }

  @Override
  public Future<Long> nextDueInMs() {
    return db.query(CampaignSql.NEXT_DUE).map(rows -> {
      Long due = rows.size() == 0 ? null : rows.iterator().next().getLong(0);
      return due == null ? null : Math.max(0, due);
    });
  }

  @Override
  public Future<Boolean> opened(String token) {
    return db.query(CampaignSql.OPENED, Tuple.of(SecretBox.sha256Hex(token))).map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Boolean> started(String token) {
    return db.query(CampaignSql.STARTED, Tuple.of(SecretBox.sha256Hex(token))).map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Integer> revoke(String jobId, long itemId) {
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(x -> conn.preparedQuery(db.sql(CampaignSql.ITEM_IN_JOB)).execute(Tuple.of(itemId, jobId)))
        .compose(item -> {
          if (item.size() == 0) {
            throw new StoreException(StoreException.Kind.NOT_FOUND,
                "Job '" + jobId + "' has no item '" + itemId + "'.");
          }
          return conn.preparedQuery(db.sql(CampaignSql.REVOKE_ITEM)).execute(Tuple.of(itemId, jobId));
        })
        .compose(revoked -> {
          if (revoked.size() == 0) {
            throw new StoreException(StoreException.Kind.CONFLICT, "Item '" + itemId + "' has no sign-in link that "
                + "still works (none was issued, or it expired or was revoked already).");
          }
          return conn.preparedQuery(db.sql(SignInSql.STOP_WATCH)).execute(Tuple.of(itemId)).map(revoked.size());
        }));
  }

  @Override
  public Future<Funnel> funnel(Collection<String> jobIds) {
    if (jobIds.isEmpty()) {
      return Future.succeededFuture(new Funnel(0, 0, 0, 0, 0, 0, null));
    }
    if (jobIds.size() > MAX_FUNNEL_JOBS) {
      return Future.failedFuture(new IllegalArgumentException("at most " + MAX_FUNNEL_JOBS + " jobs per funnel"));
    }
    Tuple ids = Tuple.tuple();
    jobIds.forEach(ids::addString);
    String in = String.join(", ", java.util.Collections.nCopies(jobIds.size(), "?"));
    return Database.classified(one(CampaignSql.FUNNEL_LINKS, in, ids).compose(links -> one(CampaignSql.FUNNEL_ITEMS, in,
        ids).compose(items -> median(in, ids).map(median -> new Funnel(links.getLong("issued"), links.getLong("opened"),
        links.getLong("started"), items.getLong("authenticated"), links.getLong("reminded"), items.getLong("expired"),
        median)))));
  }

  /** One row of a query over the job ids, on the pool; not cached by text (the id count varies). */
  private Future<Row> one(String text, String in, Tuple args) {
    return rows(text, in, args).map(rows -> rows.iterator().next());
  }

  private Future<RowSet<Row>> rows(String text, String in, Tuple args) {
    return db.pool().preparedQuery(db.dialect().sql(text.replace("{IN}", in))).execute(args);
  }

  /** The median of the times to sign in, in seconds (null before any): the middle one, or the mean of the two. */
  private Future<Double> median(String in, Tuple ids) {
    return one(CampaignSql.COUNT_SIGN_INS, in, ids).compose(count -> {
      long n = count.getLong(0);
      if (n == 0) {
        return Future.succeededFuture((Double) null);
      }
      Tuple args = Tuple.tuple();
      for (int i = 0; i < ids.size(); i++) {
        args.addValue(ids.getValue(i));
      }
      args.addLong((n - 1) / 2);
      return rows(CampaignSql.MIDDLE_SIGN_INS, in, args).map(rows -> {
        List<Long> middle = new ArrayList<>();
        rows.forEach(r -> middle.add(r.getLong(0)));
        double ms = n % 2 == 1 || middle.size() < 2 ? middle.get(0) : (middle.get(0) + middle.get(1)) / 2.0;
        return Math.round(ms) / 1000.0;
      });
    });
  }
}
