package io.onboarder.store;

/** The SQL text of the fleet store, in one place (both dialects; see {@link SqlDialect} for the differences). */
final class FleetSql {
  private FleetSql() {}

  static final String FLEET_COLUMNS = "name, owner, generation, applied_generation, spec, tenant_count, status, "
      + "rollout, drift, created_at, updated_at, last_reconcile_at, next_reconcile_at, state_version, apply_plan, "
      + "apply_step, apply_job";

  static final String SELECT_FLEET = "SELECT " + FLEET_COLUMNS + " FROM fleets WHERE name = ?";
  static final String SELECT_FLEET_FOR_PUT = "SELECT owner, generation, spec_print, status FROM fleets "
      + "WHERE name = ?{FOR_UPDATE}";
  static final String SELECT_FLEETS = "SELECT " + FLEET_COLUMNS + " FROM fleets ORDER BY name LIMIT ?";
  static final String SELECT_OWN_FLEETS = "SELECT " + FLEET_COLUMNS + " FROM fleets WHERE owner = ? "
      + "ORDER BY name LIMIT ?";

  static final String INSERT_FLEET = "INSERT INTO fleets (name, owner, generation, spec, spec_print, tenant_count, "
      + "status, created_at, updated_at, auto_apply) VALUES (?, ?, 1, ?, ?, ?, 'PENDING', ?, ?, ?)";
  /**
   * A new generation of an autoApply fleet that is not being applied is due at once (apply_due_ms, unused outside an
   * apply, is when an auto-apply is tried: see DUE_RECONCILES).
   */
  static final String UPDATE_FLEET = "UPDATE fleets SET generation = generation + 1, spec = ?, spec_print = ?, "
      + "tenant_count = ?, updated_at = ?, auto_apply = ?, apply_due_ms = CASE WHEN ? = 1 "
      + "AND status IN ('PENDING', 'CONVERGED', 'DRIFTED') THEN NULL ELSE apply_due_ms END WHERE name = ?";

  static final String INSERT_INTAKE = "INSERT INTO fleet_intakes (id, fleet, heartbeat) VALUES (?, ?, {NOW_MS})";
  static final String TOUCH_INTAKE = "UPDATE fleet_intakes SET heartbeat = {NOW_MS} WHERE id = ?";
  static final String STALE_INTAKES = "SELECT id FROM fleet_intakes WHERE heartbeat < {NOW_MS} - ?";
  static final String COUNT_INTAKE_TENANTS = "SELECT COUNT(*) FROM fleet_intake_tenants WHERE intake = ?";
  static final String DELETE_INTAKE_TENANTS = "DELETE FROM fleet_intake_tenants WHERE intake = ?";
  static final String DELETE_INTAKE = "DELETE FROM fleet_intakes WHERE id = ?";

  /** Parameters per intake tenant: intake, account, spec, auth_value, auth_print. */
  static final int INTAKE_COLUMNS = 5;

  /** Multi-row insert of {@code rows} intake tenants; an account already written keeps its first row. */
  static String insertIntakeTenants(int rows) {
    StringBuilder b = new StringBuilder("INSERT INTO fleet_intake_tenants (intake, account, spec, auth_value, "
        + "auth_print) VALUES ");
    for (int i = 0; i < rows; i++) {
      b.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?)");
    }
    return b.append(" ON CONFLICT (intake, account) DO NOTHING").toString();
  }

  /** Tenants of the new spec: new accounts PENDING; those that stay keep what is known of them. */
  static final String UPSERT_TENANTS = "INSERT INTO fleet_tenants (fleet, account, in_spec, spec, auth_value, "
      + "auth_print, state) SELECT ?, account, 1, spec, auth_value, auth_print, 'PENDING' FROM fleet_intake_tenants "
      + "WHERE intake = ? ON CONFLICT (fleet, account) DO UPDATE SET in_spec = 1, spec = excluded.spec, "
      + "auth_value = excluded.auth_value, auth_print = excluded.auth_print";
  /** Tenants that left the spec: no longer wanted, their auth values wiped (no reinstall will need them). */
  static final String LEAVE_SPEC = "UPDATE fleet_tenants SET in_spec = 0, auth_value = NULL, auth_print = NULL "
      + "WHERE fleet = ? "
      + "AND in_spec = 1 AND NOT EXISTS (SELECT 1 FROM fleet_intake_tenants i WHERE i.intake = ? "
      + "AND i.account = fleet_tenants.account)";
  /** ...and those of them the fleet installed nothing for are forgotten (nothing to prune). */
  static final String FORGET_UNINSTALLED = "DELETE FROM fleet_tenants WHERE fleet = ? AND in_spec = 0 "
      + "AND installed_connector = 0 AND installed_cycle = 0";

  static final String TENANT_COLUMNS = "account, state, in_spec, account_connector_id, authenticated, cycle_id, "
      + "cycle_status, last_checked_at, url";
  static final String COUNT_TENANTS = "SELECT state, COUNT(*) FROM fleet_tenants WHERE fleet = ? AND in_spec = 1 "
      + "GROUP BY state";
  static final String TENANTS = "SELECT " + TENANT_COLUMNS + " FROM fleet_tenants WHERE fleet = ? AND account > ? "
      + "ORDER BY account LIMIT ?";
  static final String TENANTS_IN_STATE = "SELECT " + TENANT_COLUMNS + " FROM fleet_tenants WHERE fleet = ? "
      + "AND state = ? AND account > ? ORDER BY account LIMIT ?";

  static final String DELETE_TENANTS = "DELETE FROM fleet_tenants WHERE fleet = ?";
  static final String DELETE_FLEET = "DELETE FROM fleets WHERE name = ?";

  // ---- plans -----------------------------------------------------------------------------------

  /**
   * What a plan (and a step) reads of a tenant. has_auth: the spec carries credentials (an auth value; tenants put
   * before V24 have no print yet); new_auth: they are not those last given to Cyclr.
   */
  static String desiredColumns(String t) {
    return t + "account, " + t + "in_spec, " + t + "spec, " + t + "auth_value, " + t + "installed_connector, " + t
        + "installed_cycle, " + t + "state, " + t + "authenticated, " + t + "account_connector_id, " + t + "cycle_id, "
        + t + "cycle_status, " + t + "drift, CASE WHEN " + t + "auth_value IS NULL THEN 0 ELSE 1 END AS has_auth, "
        + "CASE WHEN " + t + "auth_print IS NOT NULL AND (" + t + "supplied_print IS NULL OR " + t + "supplied_print <> "
        + t + "auth_print) THEN 1 ELSE 0 END AS new_auth";
  }

  static final String DESIRED = "SELECT " + desiredColumns("") + " FROM fleet_tenants WHERE fleet = ? "
      + "AND account > ? ORDER BY account LIMIT ?";
  static final String INSERT_PLAN = "INSERT INTO fleet_plans (id, fleet, generation, status, created_at) "
      + "VALUES (?, ?, ?, 'OPEN', ?)";
  static final String INSERT_ACTION = "INSERT INTO fleet_plan_actions (plan_id, account, action, reason, drift) "
      + "VALUES (?, ?, ?, ?, ?)";
  static final String OBSERVE_TENANT = "UPDATE fleet_tenants SET state = ?, account_connector_id = ?, "
      + "authenticated = ?, cycle_id = ?, cycle_status = ?, drift = ?, last_checked_at = ? "
      + "WHERE fleet = ? AND account = ?";
  static final String BUMP_STATE_VERSION = "UPDATE fleets SET state_version = state_version + 1 WHERE name = ?";
  static final String CLOSE_PLAN = "UPDATE fleet_plans SET status = 'READY', summary = ?, state_version = "
      + "(SELECT state_version FROM fleets WHERE name = ?) WHERE id = ?";
  static final String PLAN_COLUMNS = "id, fleet, generation, state_version, status, summary, created_at";
  static final String SELECT_PLAN = "SELECT " + PLAN_COLUMNS + " FROM fleet_plans WHERE fleet = ? AND id = ?";
  static final String LATEST_PLAN = "SELECT " + PLAN_COLUMNS + " FROM fleet_plans WHERE fleet = ? AND status = 'READY' "
      + "ORDER BY created_at DESC LIMIT 1";
  static final String ACTIONS = "SELECT account, action, reason, drift, step, job_id FROM fleet_plan_actions "
      + "WHERE plan_id = ? AND account > ? ORDER BY account LIMIT ?";
  static final String ACTIONS_OF = "SELECT account, action, reason, drift, step, job_id FROM fleet_plan_actions "
      + "WHERE plan_id = ? AND action = ? AND account > ? ORDER BY account LIMIT ?";

  // ---- applies ---------------------------------------------------------------------------------

  static final String BEGIN_APPLY = "UPDATE fleets SET status = 'APPLYING', apply_plan = ?, apply_step = 0, "
      + "apply_job = NULL, apply_due_ms = ?, rollout = ? WHERE name = ? AND generation = ? AND state_version = ? "
      + "AND status IN ('PENDING', 'CONVERGED', 'DRIFTED')";
  static final String DUE_APPLIES = "SELECT name FROM fleets WHERE status IN ('APPLYING', 'DELETING') "
      + "AND apply_due_ms <= ? "
      + "AND (lease_until IS NULL OR lease_until < {NOW_MS}) ORDER BY apply_due_ms LIMIT ?";
  static final String LEASE_FLEET = "UPDATE fleets SET lease_owner = ?, lease_until = {NOW_MS} + ? WHERE name = ? "
      + "AND status IN ('APPLYING', 'DELETING') AND (lease_until IS NULL OR lease_until < {NOW_MS})";
  static final String PROGRESS = "UPDATE fleets SET status = ?, apply_step = ?, apply_job = ?, apply_due_ms = ?, "
      + "rollout = ?, applied_generation = COALESCE(?, applied_generation), apply_plan = ?, "
      + "reconcile_due_ms = COALESCE(?, reconcile_due_ms), lease_owner = NULL, lease_until = NULL "
      + "WHERE name = ? AND lease_owner = ?";
  static final String TRANSITION = "UPDATE fleets SET status = ?, apply_step = ?, apply_job = ?, apply_due_ms = ?, "
      + "rollout = ? WHERE name = ? AND status = ?";
  static final String PLAN_APPLIED = "UPDATE fleet_plans SET status = 'APPLIED' WHERE id = ?";
  static final String BY_JOB = "'INSTALL', 'REINSTALL', 'RELINK', 'INSTALL_CYCLE', 'ACTIVATE'";
  static final String STEP_TENANTS = "SELECT " + desiredColumns("t.")
      + " FROM fleet_plan_actions a JOIN fleet_tenants t ON t.fleet = ? AND t.account = a.account "
      + "WHERE a.plan_id = ? AND a.action IN (" + BY_JOB + ") ORDER BY a.account LIMIT ? OFFSET ?";
  static final String MARK_STEP = "UPDATE fleet_plan_actions SET step = ?, job_id = ? "
      + "WHERE plan_id = ? AND account = ?";
  static final String JOB_IDS = "SELECT DISTINCT job_id, step FROM fleet_plan_actions WHERE plan_id = ? "
      + "AND job_id IS NOT NULL ORDER BY step";
  // Plans made before the fleet's row (a deleted fleet's of the same name) are not this fleet's.
  static final String FLEET_JOB_IDS = "SELECT DISTINCT a.job_id, p.created_at, a.step FROM fleet_plans p "
      + "JOIN fleets f ON f.name = p.fleet AND p.created_at >= f.created_at "
      + "JOIN fleet_plan_actions a ON a.plan_id = p.id "
      + "WHERE p.fleet = ? AND a.job_id IS NOT NULL ORDER BY p.created_at DESC, a.step DESC LIMIT ?";
  /** Drift that only the account's outcome (its cycle) repairs. */
  private static final String CYCLE_DRIFT = "drift IN ('CYCLE_MISSING', 'CYCLE_INACTIVE')";
  /**
   * Parameters: state, accountConnectorId, authenticated, installedNow, credentialsGiven, url, cycleId, cycleStatus,
   * state, cycleId, fleet, account. Drift stays on a failure, and cycle drift on an item's outcome (no cycleId).
   * Credentials given to Cyclr are the spec's now (a PUT during the step may have raced them: at worst the next
   * refusal is taken for theirs, and new credentials are asked for).
   */
  static final String OUTCOME = "UPDATE fleet_tenants SET state = ?, account_connector_id = COALESCE(?, "
      + "account_connector_id), authenticated = ?, installed_connector = CASE WHEN ? = 1 THEN 1 ELSE "
      + "installed_connector END, supplied_print = CASE WHEN ? = 1 THEN auth_print ELSE supplied_print END, "
      + "url = COALESCE(?, url), cycle_id = COALESCE(?, cycle_id), "
      + "cycle_status = COALESCE(?, cycle_status), drift = CASE WHEN CAST(? AS TEXT) = 'FAILED' THEN drift "
      + "WHEN " + CYCLE_DRIFT + " AND CAST(? AS TEXT) IS NULL THEN drift ELSE NULL END "
      + "WHERE fleet = ? AND account = ?";
  /**
   * Parameters: at, jobId, fleet, account, the outcome's state, its cycleId: drift a step's job did not fail on is
   * repaired (cycle drift by the account's outcome only).
   */
  static final String DRIFT_REPAIRED = "INSERT INTO account_history (account, at, kind, job_id, fleet, owner, detail) "
      + "SELECT t.account, CAST(? AS TEXT), 'drift.repaired', CAST(? AS TEXT), t.fleet, f.owner, "
      + "'{\"drift\":\"' || t.drift || '\"}' "
      + "FROM fleet_tenants t JOIN fleets f ON f.name = t.fleet WHERE t.fleet = ? AND t.account = ? "
      + "AND t.drift IS NOT NULL AND CAST(? AS TEXT) <> 'FAILED' AND (NOT t." + CYCLE_DRIFT
      + " OR CAST(? AS TEXT) IS NOT NULL)";
  /** Parameters: at, detail, fleet, account, drift: drift newly seen on a tenant (not the drift it already had). */
  static final String DRIFT_DETECTED = "INSERT INTO account_history (account, at, kind, job_id, fleet, owner, detail) "
      + "SELECT t.account, CAST(? AS TEXT), 'drift.detected', NULL, t.fleet, f.owner, CAST(? AS TEXT) "
      + "FROM fleet_tenants t JOIN fleets f ON f.name = t.fleet WHERE t.fleet = ? AND t.account = ? "
      + "AND (t.drift IS NULL OR t.drift <> CAST(? AS TEXT))";

  /**
   * Parameters: at, detail, fleet, account: a credentials tenant's credentials refused at Cyclr, once (read, like
   * DRIFT_DETECTED, against the drift the tenant had).
   */
  static final String CREDENTIAL_LOST = "INSERT INTO account_history (account, at, kind, job_id, fleet, owner, "
      + "detail) SELECT t.account, CAST(? AS TEXT), 'credential.lost', NULL, t.fleet, f.owner, CAST(? AS TEXT) "
      + "FROM fleet_tenants t JOIN fleets f ON f.name = t.fleet WHERE t.fleet = ? AND t.account = ? "
      + "AND (t.drift IS NULL OR t.drift <> 'DEAUTHENTICATED')";

  // ---- reconciles ------------------------------------------------------------------------------

  /** An autoApply fleet whose generation was not applied, and that nobody is applying (nor halted). */
  static final String AUTO_APPLY_DUE = "(auto_apply = 1 AND status IN ('PENDING', 'CONVERGED', 'DRIFTED') "
      + "AND (applied_generation IS NULL OR applied_generation < generation))";

  /**
   * Parameters: now, now, max. Due: an applied fleet's reconcile, and an autoApply fleet's generation that was not
   * applied yet (at once after its PUT or the end of the apply before; apply_due_ms is when it is tried again after
   * an auto-apply that was refused).
   */
  static final String DUE_RECONCILES = "SELECT name FROM fleets WHERE ((status IN ('CONVERGED', 'DRIFTED') "
      + "AND reconcile_due_ms IS NOT NULL AND reconcile_due_ms <= ?) OR (" + AUTO_APPLY_DUE
      + " AND (apply_due_ms IS NULL OR apply_due_ms <= ?))) "
      + "AND (lease_until IS NULL OR lease_until < {NOW_MS}) "
      + "ORDER BY COALESCE(reconcile_due_ms, 0) LIMIT ?";
  static final String LEASE_RECONCILE = "UPDATE fleets SET lease_owner = ?, lease_until = {NOW_MS} + ? WHERE name = ? "
      + "AND (status IN ('CONVERGED', 'DRIFTED') OR " + AUTO_APPLY_DUE + ") "
      + "AND (lease_until IS NULL OR lease_until < {NOW_MS})";
  // A lease that lapsed is still renewed while no other node has taken it (the owner is still this node).
  static final String RENEW_LEASE = "UPDATE fleets SET lease_until = {NOW_MS} + ? WHERE name = ? AND lease_owner = ? "
      + "AND lease_until IS NOT NULL";
  static final String LEASED_FOR_RECONCILE = "SELECT status, drift, generation FROM fleets WHERE name = ? "
      + "AND lease_owner = ?{FOR_UPDATE}";
  static final String RECONCILED = "UPDATE fleets SET status = ?, drift = ?, last_reconcile_at = ?, "
      + "next_reconcile_at = ?, reconcile_due_ms = ?, lease_owner = NULL, lease_until = NULL "
      + "WHERE name = ? AND lease_owner = ?";

  // ---- fleet webhooks --------------------------------------------------------------------------

  /** A fleet's webhook, owned (seen in the deliveries) by the fleet's owner. */
  static final String INSERT_FLEET_DELIVERY = "INSERT INTO webhook_deliveries (id, type, fleet, owner, payload, "
      + "status, attempts, created_at, window_start_ms, next_attempt_ms) VALUES (?, ?, ?, "
      + "(SELECT owner FROM fleets WHERE name = ?), ?, 'PENDING', 0, ?, {NOW_MS}, {NOW_MS})";
}
