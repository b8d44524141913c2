package io.onboarder.store;

import io.onboarder.fleet.DesiredTenant;
import io.onboarder.fleet.DriftKind;
import io.onboarder.fleet.FleetPlans;
import io.onboarder.fleet.PlanAction;
import io.onboarder.fleet.Planner;
import io.onboarder.fleet.TenantState;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.StoreException;
import io.onboarder.job.ValidationErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Plans on the {@link Database}: a plan's lines written page by page, the live state they saw on the tenants, and
 * drift newly seen on a tenant as its account's history ({@code drift.detected}, and {@code credential.lost} when
 * Cyclr refused a credentials tenant's credentials), in the same transaction.
 */
final class SqlFleetPlans implements FleetPlans {
  private final Database db;

  SqlFleetPlans(Database db) {
    this.db = db;
  }

  @Override
  public Future<List<DesiredTenant>> desired(String fleet, String afterAccount, int limit, boolean withSecrets) {
    return db.query(FleetSql.DESIRED, Tuple.of(fleet, afterAccount, limit)).compose(rs -> {
      List<Row> rows = new ArrayList<>();
      rs.forEach(rows::add);
      // Decrypting is CPU work: off the event loop when there are secrets to open.
      return withSecrets ? Database.classified(db.vertx().executeBlocking(() -> tenants(rows, true), false))
          : Future.succeededFuture(tenants(rows, false));
    });
  }

  List<DesiredTenant> tenants(List<Row> rows, boolean withSecrets) {
    List<DesiredTenant> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      JsonObject item = r.getString("spec") == null ? new JsonObject() : new JsonObject(r.getString("spec"));
      item.put("account", r.getString("account"));
      if (withSecrets && r.getString("auth_value") != null) {
        item.put("authValue", db.box().decrypt(r.getString("auth_value")));
      }
      ValidationErrors errors = new ValidationErrors();
      JobRequest.Item parsed = JobRequestValidator.item(item, 0, errors);
      if (parsed == null) {
        throw new StoreException(StoreException.Kind.FAILED, "a stored tenant no longer reads: " + errors.summary());
      }
      Integer auth = r.getInteger("authenticated");
      String drift = r.getString("drift");
      out.add(new DesiredTenant(parsed, JobRows.flag(r, "in_spec"), JobRows.flag(r, "installed_connector"),
          JobRows.flag(r, "installed_cycle"), TenantState.valueOf(r.getString("state")),
          auth == null ? null : auth != 0, r.getLong("account_connector_id"), r.getString("cycle_id"),
          r.getString("cycle_status"), drift == null ? null : DriftKind.valueOf(drift), JobRows.flag(r, "has_auth"),
          JobRows.flag(r, "new_auth")));
    }
    return out;
  }

  @Override
  public Future<String> openPlan(String fleet, long generation) {
    String id = UUID.randomUUID().toString();
    return db.query(FleetSql.INSERT_PLAN, Tuple.of(id, fleet, generation, Instant.now().toString())).map(id);
  }

  @Override
  public Future<Void> record(String planId, String fleet, List<Planner.Decision> decisions, boolean changed) {
    if (decisions.isEmpty()) {
      return Future.succeededFuture();
    }
    String now = Instant.now().toString();
    List<Tuple> actions = new ArrayList<>();
    List<Tuple> observed = new ArrayList<>();
    List<Tuple> detected = new ArrayList<>();
    List<Tuple> lost = new ArrayList<>();
    for (Planner.Decision d : decisions) {
      String drift = d.drift() == null ? null : d.drift().name();
      actions.add(Tuple.of(planId, d.account(), d.action().name(), d.reason(), drift));
      if (drift != null && d.observed() != null) {
        detected.add(Tuple.of(now, new JsonObject().put("drift", drift).put("action", d.action().name())
            .put("reason", d.reason()).put("planId", planId).encode(), fleet, d.account(), drift));
      }
      if (d.credentialsLost() && d.observed() != null) {
        lost.add(Tuple.of(now, new JsonObject().put("auth", "credentials").put("accountConnectorId",
            d.observed().accountConnectorId()).put("reason", d.reason()).encode(), fleet, d.account()));
      }
      Planner.Observed o = d.observed();
      if (o != null) {
        observed.add(Tuple.of(d.state().name(), o.accountConnectorId(),
            o.authenticated() == null ? null : (o.authenticated() ? 1 : 0), o.cycleId(), o.cycleStatus())
            .addValue(drift).addValue(now).addValue(fleet).addValue(d.account()));
      }
    }
    // Drift is history when first seen: read against the drift the tenant had, so before it is observed.
    return db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.INSERT_ACTION)).executeBatch(actions)
        .compose(x -> detected.isEmpty() ? Future.succeededFuture()
            : conn.preparedQuery(db.sql(FleetSql.DRIFT_DETECTED)).executeBatch(detected))
        .compose(x -> lost.isEmpty() ? Future.succeededFuture()
            : conn.preparedQuery(db.sql(FleetSql.CREDENTIAL_LOST)).executeBatch(lost))
        .compose(x -> observed.isEmpty() ? Future.succeededFuture()
            : conn.preparedQuery(db.sql(FleetSql.OBSERVE_TENANT)).executeBatch(observed))
        .compose(x -> changed ? conn.preparedQuery(db.sql(FleetSql.BUMP_STATE_VERSION)).execute(Tuple.of(fleet))
            : Future.succeededFuture())
        .mapEmpty());
  }

  @Override
  public Future<PlanRecord> closePlan(String planId, String fleet, Map<PlanAction, Long> summary) {
    JsonObject s = new JsonObject();
    summary.forEach((a, n) -> s.put(a.name(), n));
    return db.query(FleetSql.CLOSE_PLAN, Tuple.of(s.encode(), fleet, planId)).compose(x -> plan(fleet, planId));
  }

  @Override
  public Future<PlanRecord> plan(String fleet, String planId) {
    Future<RowSet<Row>> rows = planId == null ? db.query(FleetSql.LATEST_PLAN, Tuple.of(fleet))
        : db.query(FleetSql.SELECT_PLAN, Tuple.of(fleet, planId));
    return rows.map(rs -> {
      if (rs.size() == 0) {
        return null;
      }
      Row r = rs.iterator().next();
      Map<PlanAction, Long> summary = new EnumMap<>(PlanAction.class);
      if (r.getString("summary") != null) {
        new JsonObject(r.getString("summary")).forEach(e -> summary.put(PlanAction.valueOf(e.getKey()),
            ((Number) e.getValue()).longValue()));
      }
      return new PlanRecord(r.getString("id"), r.getString("fleet"), r.getLong("generation"),
          r.getLong("state_version"), r.getString("status"), summary, r.getString("created_at"));
    });
  }

  @Override
  public Future<ActionPage> actions(String planId, PlanAction action, String cursor, int limit) {
    String after;
    try {
      after = Cursors.after(cursor);
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    Future<RowSet<Row>> rows = action == null ? db.query(FleetSql.ACTIONS, Tuple.of(planId, after, limit + 1))
        : db.query(FleetSql.ACTIONS_OF, Tuple.of(planId, action.name(), after, limit + 1));
    return rows.map(rs -> {
      List<ActionRow> out = new ArrayList<>();
      for (Row r : rs) {
        String drift = r.getString("drift");
        out.add(new ActionRow(r.getString("account"), PlanAction.valueOf(r.getString("action")), r.getString("reason"),
            drift == null ? null : DriftKind.valueOf(drift), r.getInteger("step"), r.getString("job_id")));
      }
      if (out.size() <= limit) {
        return new ActionPage(out, null);
      }
      String last = out.get(limit - 1).account();
      return new ActionPage(List.copyOf(out.subList(0, limit)), Cursors.of(last));
    });
  }
}
