package io.onboarder.store;

import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.fleet.FleetInstalls;
import io.onboarder.fleet.FleetStatus;
import io.onboarder.history.HistoryEntry;
import io.onboarder.history.HistoryKind;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What fleets installed, and its removal, on the {@link Database}: a per-tenant claim (a conditional update) decides
 * which node removes a tenant's installs, and the result, the history entries and the claim's release are one
 * transaction.
 */
final class SqlFleetInstalls implements FleetInstalls {
  /** Not claimed by a live node, and not handled in this pass yet (or claimed in it by a node that died). */
  private static final String CLAIMABLE = "((t.removal_until IS NULL AND (t.removal_pass IS NULL "
      + "OR t.removal_pass <> ?)) OR t.removal_until < {NOW_MS})";
  private static final String FLEET_HAS = "(t.fleet_connector_id IS NOT NULL OR t.fleet_cycle_id IS NOT NULL)";
  private static final String LINE_HAS = "(a.installed_connector_id IS NOT NULL OR a.installed_cycle_id IS NOT NULL)";
  private static final String PRUNE_FROM = " FROM fleet_plan_actions a JOIN fleet_plans p ON p.id = a.plan_id "
      + "JOIN fleet_tenants t ON t.fleet = p.fleet AND t.account = a.account WHERE a.plan_id = ? AND p.prunes = 1 "
      + "AND a.action = 'UNINSTALL' AND t.in_spec = 0 AND " + FLEET_HAS;
  private static final String ROLLBACK_FROM = " FROM fleet_plan_actions a JOIN fleet_plans p ON p.id = a.plan_id "
      + "JOIN fleet_tenants t ON t.fleet = p.fleet AND t.account = a.account WHERE a.plan_id = ? AND " + LINE_HAS;
  private static final String ALL_FROM = " FROM fleet_tenants t WHERE t.fleet = ? AND " + FLEET_HAS;
  private static final String FLEET_IDS = "SELECT t.account, t.fleet_connector_id AS connector_id, "
      + "t.fleet_cycle_id AS cycle_id";
  private static final String LINE_IDS = "SELECT t.account, a.installed_connector_id AS connector_id, "
      + "a.installed_cycle_id AS cycle_id";
  private static final String TAIL = " AND " + CLAIMABLE + " ORDER BY t.account LIMIT ?";

  private static final String CLAIM = "UPDATE fleet_tenants SET removal_pass = ?, removal_owner = ?, "
      + "removal_until = {NOW_MS} + ? WHERE fleet = ? AND account = ? AND ((removal_until IS NULL "
      + "AND (removal_pass IS NULL OR removal_pass <> ?)) OR removal_until < {NOW_MS})";
  private static final String RELEASE = "UPDATE fleet_tenants SET removal_owner = NULL, removal_until = NULL "
      + "WHERE fleet = ? AND account = ? AND removal_owner = ? AND removal_pass = ?";
  private static final String CONNECTOR_GONE = "UPDATE fleet_tenants SET "
      + "installed_connector = CASE WHEN fleet_connector_id = ? THEN 0 ELSE installed_connector END, "
      + "fleet_connector_id = CASE WHEN fleet_connector_id = ? THEN NULL ELSE fleet_connector_id END, "
      + "authenticated = CASE WHEN account_connector_id = ? THEN NULL ELSE authenticated END, "
      + "url = CASE WHEN account_connector_id = ? THEN NULL ELSE url END, "
      + "account_connector_id = CASE WHEN account_connector_id = ? THEN NULL ELSE account_connector_id END "
      + "WHERE fleet = ? AND account = ?";
  private static final String CYCLE_GONE = "UPDATE fleet_tenants SET "
      + "installed_cycle = CASE WHEN fleet_cycle_id = ? THEN 0 ELSE installed_cycle END, "
      + "fleet_cycle_id = CASE WHEN fleet_cycle_id = ? THEN NULL ELSE fleet_cycle_id END, "
      + "cycle_status = CASE WHEN cycle_id = ? THEN NULL ELSE cycle_status END, "
      + "cycle_id = CASE WHEN cycle_id = ? THEN NULL ELSE cycle_id END "
      + "WHERE fleet = ? AND account = ?";
  /** Every plan line of the fleet that names the removed install forgets it (a later rollback has nothing left). */
  private static final String LINES_CONNECTOR_GONE = "UPDATE fleet_plan_actions SET installed_connector_id = NULL "
      + "WHERE account = ? AND installed_connector_id = ? AND plan_id IN (SELECT id FROM fleet_plans WHERE fleet = ?)";
  private static final String LINES_CYCLE_GONE = "UPDATE fleet_plan_actions SET installed_cycle_id = NULL "
      + "WHERE account = ? AND installed_cycle_id = ? AND plan_id IN (SELECT id FROM fleet_plans WHERE fleet = ?)";
  private static final String NOTHING_LEFT = "UPDATE fleet_tenants SET state = 'REMOVED', drift = NULL "
      + "WHERE fleet = ? AND account = ? AND fleet_connector_id IS NULL AND fleet_cycle_id IS NULL";
  private static final String FORGET_PRUNED = "DELETE FROM fleet_tenants WHERE fleet = ? AND account = ? "
      + "AND in_spec = 0 AND fleet_connector_id IS NULL AND fleet_cycle_id IS NULL";

  private static final String LINE_CONNECTOR = "UPDATE fleet_plan_actions SET installed_connector_id = ? "
      + "WHERE plan_id = ? AND account = ?";
  private static final String TENANT_CONNECTOR = "UPDATE fleet_tenants SET fleet_connector_id = ? "
      + "WHERE fleet = ? AND account = ?";
  /** The plan saw no cycle in the account (the tenant's observed cycle is still none): the job installed this one. */
  private static final String LINE_CYCLE = "UPDATE fleet_plan_actions SET installed_cycle_id = ? "
      + "WHERE plan_id = ? AND account = ? AND installed_cycle_id IS NULL AND EXISTS (SELECT 1 FROM fleet_tenants t "
      + "WHERE t.fleet = ? AND t.account = fleet_plan_actions.account AND t.cycle_id IS NULL)";
  private static final String TENANT_CYCLE = "UPDATE fleet_tenants SET "
      + "fleet_cycle_id = CASE WHEN cycle_id IS NULL THEN ? ELSE fleet_cycle_id END, "
      + "installed_cycle = CASE WHEN cycle_id IS NULL THEN 1 ELSE installed_cycle END, "
      + "cycle_id = ? WHERE fleet = ? AND account = ?";
  private static final String ALLOW_PRUNE = "UPDATE fleet_plans SET prunes = 1 WHERE id = ?";
  private static final String BEGIN_DELETE = "UPDATE fleets SET status = 'DELETING', apply_plan = ?, "
      + "apply_step = NULL, apply_job = NULL, apply_due_ms = ?, rollout = ? WHERE name = ? AND status = ?";

  private final Database db;

  SqlFleetInstalls(Database db) {
    this.db = db;
  }

  @Override
  public Future<Void> recordInstalls(String fleet, String planId, List<Installed> installed) {
    if (installed.isEmpty()) {
      return Future.succeededFuture();
    }
    return db.transaction(conn -> {
      Future<Void> all = Future.succeededFuture();
      for (Installed i : installed) {
        if (i.connectorId() != null) {
          all = all.compose(v -> run(conn, LINE_CONNECTOR, Tuple.of(i.connectorId(), planId, i.account())))
              .compose(v -> run(conn, TENANT_CONNECTOR, Tuple.of(i.connectorId(), fleet, i.account())));
        }
        if (i.cycleId() != null) {
          // The line first: it reads the cycle the plan saw, which the tenant's update then replaces.
          all = all.compose(v -> run(conn, LINE_CYCLE, Tuple.of(i.cycleId(), planId, i.account(), fleet)))
              .compose(v -> run(conn, TENANT_CYCLE, Tuple.of(i.cycleId(), i.cycleId(), fleet, i.account())));
        }
      }
      return all;
    });
  }

  @Override
  public Future<Void> allowPrune(String planId) {
    return db.query(ALLOW_PRUNE, Tuple.of(planId)).mapEmpty();
  }

  @Override
  public Future<List<Target>> claim(Removal r, String node, long leaseMs, int max) {
    String sql = switch (r.scope()) {
      case PRUNE -> FLEET_IDS + PRUNE_FROM + TAIL;
      case ROLLBACK -> LINE_IDS + ROLLBACK_FROM + TAIL;
      case ALL -> FLEET_IDS + ALL_FROM + TAIL;
    };
    String key = r.scope() == Scope.ALL ? r.fleet() : r.planId();
    return db.query(sql, Tuple.of(key, r.pass(), max)).compose(rs -> {
      List<Target> candidates = new ArrayList<>();
      rs.forEach(row -> candidates.add(new Target(row.getString("account"), row.getLong("connector_id"),
          row.getString("cycle_id"))));
      List<Target> claimed = new ArrayList<>();
      Future<Void> all = Future.succeededFuture();
      for (Target t : candidates) {
        all = all.compose(v -> db.query(CLAIM, Tuple.of(r.pass(), node, leaseMs, r.fleet(), t.account(), r.pass()))
            .map(done -> {
              if (done.rowCount() == 1) {
                claimed.add(t);
              }
              return null;
            }));
      }
      return all.map(claimed);
    });
  }

  @Override
  public Future<Void> done(Removal r, String node, List<Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture();
    }
    String at = Instant.now().toString();
    return db.transaction(conn -> {
      Future<Void> all = Future.succeededFuture();
      for (Outcome o : outcomes) {
        all = all.compose(v -> conn.preparedQuery(db.sql(RELEASE))
            .execute(Tuple.of(r.fleet(), o.target().account(), node, r.pass()))
            // A claim lost meanwhile: another node has the tenant now, and records what it finds.
            .compose(rs -> rs.rowCount() == 1 ? record(conn, r, o, at) : Future.succeededFuture()));
      }
      return all;
    });
  }

  private Future<Void> record(SqlConnection conn, Removal r, Outcome o, String at) {
    String fleet = r.fleet();
    String account = o.target().account();
    List<HistoryEntry> history = new ArrayList<>(2);
    Future<Void> all = Future.succeededFuture();
    if (gone(o.cycle())) {
      String id = o.target().cycleId();
      all = all.compose(v -> run(conn, CYCLE_GONE, Tuple.of(id, id, id, id, fleet, account)))
          .compose(v -> run(conn, LINES_CYCLE_GONE, Tuple.of(account, id, fleet)));
      history.add(entry(account, at, HistoryKind.CYCLE_UNINSTALLED, fleet, r, new JsonObject().put("cycleId", id),
          o.cycle(), "cycle.uninstalled:" + fleet + ":" + id));
    }
    if (gone(o.connector())) {
      Long id = o.target().connectorId();
      all = all.compose(v -> run(conn, CONNECTOR_GONE, Tuple.of(id, id, id, id, id, fleet).addValue(account)))
          .compose(v -> run(conn, LINES_CONNECTOR_GONE, Tuple.of(account, id, fleet)));
      history.add(entry(account, at, HistoryKind.CONNECTOR_UNINSTALLED, fleet, r,
          new JsonObject().put("accountConnectorId", id), o.connector(), "connector.uninstalled:" + fleet + ":" + id));
    }
    return all.compose(v -> run(conn, NOTHING_LEFT, Tuple.of(fleet, account)))
        .compose(v -> r.scope() == Scope.PRUNE ? run(conn, FORGET_PRUNED, Tuple.of(fleet, account))
            : Future.succeededFuture())
        .compose(v -> SqlAccountHistory.insert(db, conn, history));
  }

  private static boolean gone(RemovalOutcome o) {
    return o == RemovalOutcome.REMOVED || o == RemovalOutcome.ALREADY_GONE;
  }

  private static HistoryEntry entry(String account, String at, HistoryKind kind, String fleet, Removal r,
                                    JsonObject detail, RemovalOutcome outcome, String dedupe) {
    detail.put("reason", r.scope().reason);
    if (outcome == RemovalOutcome.ALREADY_GONE) {
      detail.put("alreadyGone", true);
    }
    return new HistoryEntry(account, at, kind, null, fleet, null, detail, dedupe);
  }

  private Future<Void> run(SqlConnection conn, String sql, Tuple args) {
    return conn.preparedQuery(db.sql(sql)).execute(args).mapEmpty();
  }

  @Override
  public Future<Long> remaining(Removal r) {
    String sql = switch (r.scope()) {
      case PRUNE -> "SELECT COUNT(*)" + PRUNE_FROM;
      case ROLLBACK -> "SELECT COUNT(*)" + ROLLBACK_FROM;
      case ALL -> "SELECT COUNT(*)" + ALL_FROM;
    };
    return db.query(sql, Tuple.of(r.scope() == Scope.ALL ? r.fleet() : r.planId()))
        .map(rs -> rs.iterator().next().getLong(0));
  }

  @Override
  public Future<Boolean> beginDelete(String fleet, FleetStatus from, String pass, JsonObject rollout, long dueMs) {
    return db.query(BEGIN_DELETE, Tuple.of(pass, dueMs, rollout.encode(), fleet, from.name()))
        .map(rs -> rs.rowCount() == 1);
  }
}
