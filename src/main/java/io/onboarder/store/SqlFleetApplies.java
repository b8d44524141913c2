package io.onboarder.store;

import io.onboarder.fleet.DesiredTenant;
import io.onboarder.fleet.FleetApplies;
import io.onboarder.fleet.FleetEvent;
import io.onboarder.fleet.FleetLeases;
import io.onboarder.fleet.FleetRecord;
import io.onboarder.fleet.FleetStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Applies in progress on the {@link Database}: conditional updates of the fleet's row decide who begins,
 * who holds the lease (and renews it) and who moves the apply on, so two nodes never run the same step twice; the
 * fleet's webhooks are written into the outbox by the write that changes its status, so each is sent once.
 */
final class SqlFleetApplies implements FleetApplies, FleetLeases {
  private final Database db;
  private final SqlFleetPlans plans;

  SqlFleetApplies(Database db, SqlFleetPlans plans) {
    this.db = db;
    this.plans = plans;
  }

  @Override
  public Future<Boolean> begin(String fleet, String planId, long generation, long stateVersion, JsonObject rollout,
                               long dueMs) {
    return db.query(FleetSql.BEGIN_APPLY, Tuple.of(planId, dueMs, rollout.encode(), fleet, generation, stateVersion))
        .map(rs -> rs.rowCount() == 1);
  }

  @Override
  public Future<List<FleetRecord>> claimDue(String node, long leaseMs, long nowMs, int max, String fleet) {
    return claim(FleetSql.DUE_APPLIES, FleetSql.LEASE_FLEET, node, leaseMs, nowMs, max, fleet);
  }

  @Override
  public Future<List<FleetRecord>> claimReconcile(String node, long leaseMs, long nowMs, int max, String fleet) {
    return claim(FleetSql.DUE_RECONCILES, FleetSql.LEASE_RECONCILE, node, leaseMs, nowMs, max, fleet);
  }

  @Override
  public Future<Reconciled> reconciled(String fleet, String node, FleetStatus status, JsonObject drift, long atMs,
                                       long nextMs) {
    Tuple args = Tuple.of(status.name(), drift.encode(), Instant.ofEpochMilli(atMs).toString(),
        Instant.ofEpochMilli(nextMs).toString(), nextMs, fleet, node);
    return db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.LEASED_FOR_RECONCILE))
        .execute(Tuple.of(fleet, node)).compose(rs -> {
          if (rs.size() == 0) {
            return Future.succeededFuture(new Reconciled(false, null)); // the lease went to another node
          }
          Row was = rs.iterator().next();
          String before = was.getString("drift");
          String type = FleetEvent.ofReconcile(FleetStatus.valueOf(was.getString("status")),
              before == null ? null : new JsonObject(before), status, drift);
          FleetEvent event = type == null ? null : new FleetEvent(fleet, was.getLong("generation"), type,
              type.equals(FleetEvent.DRIFTED) ? drift : new JsonObject());
          return conn.preparedQuery(db.sql(FleetSql.RECONCILED)).execute(args)
              .compose(x -> tell(conn, event)).map(new Reconciled(true, event));
        }));
  }

  /** Writes {@code event}'s webhook into the outbox, if there is one and its type is sent. */
  private Future<Void> tell(SqlConnection conn, FleetEvent event) {
    if (event == null || !db.outboxTypes().contains(event.type())) {
      return Future.succeededFuture();
    }
    String now = Instant.now().toString();
    JsonObject payload = new JsonObject().put("type", event.type()).put("timestamp", now).put("data", event.toJson());
    return conn.preparedQuery(db.sql(FleetSql.INSERT_FLEET_DELIVERY)).execute(Tuple.of(
            "msg_" + UUID.randomUUID().toString().replace("-", ""), event.type(), event.fleet(), event.fleet(),
            payload.encode(), now))
        .mapEmpty();
  }

  @Override
  public Future<Boolean> renew(String fleet, String node, long leaseMs) {
    return db.query(FleetSql.RENEW_LEASE, Tuple.of(leaseMs, fleet, node)).map(rs -> rs.rowCount() == 1);
  }

  /** Leases the fleets {@code due} names (or {@code fleet}) by {@code lease}, one conditional update each. */
  private Future<List<FleetRecord>> claim(String due, String lease, String node, long leaseMs, long nowMs, int max,
                                          String fleet) {
    // Every "now" parameter of the due query, then the limit.
    Tuple args = Tuple.tuple();
    for (long i = due.chars().filter(c -> c == '?').count(); i > 1; i--) {
      args.addValue(nowMs);
    }
    args.addValue(max);
    Future<List<String>> names = fleet != null ? Future.succeededFuture(List.of(fleet))
        : db.query(due, args).map(rs -> {
          List<String> out = new ArrayList<>();
          rs.forEach(r -> out.add(r.getString(0)));
          return out;
        });
    return names.compose(list -> {
      List<FleetRecord> claimed = new ArrayList<>();
      Future<Void> all = Future.succeededFuture();
      for (String name : list) {
        all = all.compose(v -> db.query(lease, Tuple.of(node, leaseMs, name))
            .compose(rs -> rs.rowCount() == 1 ? db.query(FleetSql.SELECT_FLEET, Tuple.of(name))
                .map(f -> claimed.add(SqlFleetStore.fleet(f.iterator().next()))) : Future.succeededFuture())
            .mapEmpty());
      }
      return all.map(claimed);
    });
  }

  @Override
  public Future<Boolean> progress(String fleet, String node, Progress next) {
    Tuple args = Tuple.of(next.status().name(), next.step(), next.jobId(), next.dueMs(),
        next.rollout() == null ? null : next.rollout().encode(), next.appliedGeneration(), next.planId())
        .addValue(next.reconcileDueMs()).addValue(fleet).addValue(node);
    return db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.PROGRESS)).execute(args)
        .compose(rs -> rs.rowCount() != 1 ? Future.succeededFuture(false)
            : tell(conn, next.event()).compose(x -> next.appliedGeneration() != null && next.planId() != null
                ? conn.preparedQuery(db.sql(FleetSql.PLAN_APPLIED)).execute(Tuple.of(next.planId())).map(true)
                : Future.succeededFuture(true))));
  }

  @Override
  public Future<Boolean> transition(String fleet, FleetStatus from, Progress next) {
    return db.query(FleetSql.TRANSITION, Tuple.of(next.status().name(), next.step(), next.jobId(), next.dueMs(),
            next.rollout() == null ? null : next.rollout().encode(), fleet, from.name()))
        .map(rs -> rs.rowCount() == 1);
  }

  @Override
  public Future<List<DesiredTenant>> stepTenants(String fleet, String planId, long offset, int limit) {
    return db.query(FleetSql.STEP_TENANTS, Tuple.of(fleet, planId, limit, offset)).compose(rs -> {
      List<Row> rows = new ArrayList<>();
      rs.forEach(rows::add);
      return Database.classified(db.vertx().executeBlocking(() -> plans.tenants(rows, true), false));
    });
  }

  @Override
  public Future<Void> markStep(String planId, List<String> accounts, int step, String jobId) {
    List<Tuple> rows = accounts.stream().map(a -> Tuple.of(step, jobId, planId, a)).toList();
    return rows.isEmpty() ? Future.succeededFuture()
        : db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.MARK_STEP)).executeBatch(rows).mapEmpty());
  }

  @Override
  public Future<List<String>> jobIds(String planId) {
    return db.query(FleetSql.JOB_IDS, Tuple.of(planId)).map(rs -> {
      List<String> out = new ArrayList<>();
      rs.forEach(r -> out.add(r.getString("job_id")));
      return out;
    });
  }

  @Override
  public Future<List<String>> fleetJobIds(String fleet, int max) {
    return db.query(FleetSql.FLEET_JOB_IDS, Tuple.of(fleet, max)).map(rs -> {
      List<String> out = new ArrayList<>();
      rs.forEach(r -> out.add(r.getString("job_id")));
      return out;
    });
  }

  @Override
  public Future<Void> recordOutcomes(String fleet, String jobId, List<TenantOutcome> outcomes) {
    List<Tuple> rows = outcomes.stream().map(o -> Tuple.of(o.state().name(), o.accountConnectorId(),
        o.authenticated() == null ? null : (o.authenticated() ? 1 : 0), o.installedNow() ? 1 : 0,
        o.credentialsGiven() ? 1 : 0, o.url(), o.cycleId(), o.cycleStatus()).addValue(o.state().name())
        .addValue(o.cycleId()).addValue(fleet).addValue(o.account()))
        .toList();
    String now = Instant.now().toString();
    List<Tuple> repaired = outcomes.stream().map(o -> Tuple.of(now, jobId, fleet, o.account(), o.state().name(),
        o.cycleId())).toList();
    // The repair is read from the drift the tenant had, so it goes first.
    return rows.isEmpty() ? Future.succeededFuture()
        : db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.DRIFT_REPAIRED)).executeBatch(repaired)
            .compose(x -> conn.preparedQuery(db.sql(FleetSql.OUTCOME)).executeBatch(rows)).mapEmpty());
  }
}
