package io.onboarder.store;

/**
 * The SQL of the accounts of jobs with a template (account steps), beside {@link SqlQueries}.
 */
final class AccountSql {
  private AccountSql() {}

  /** An account's items in its job that are still being worked on. */
  private static final String ITEMS_UNFINISHED = "EXISTS (SELECT 1 FROM items i WHERE i.job_id = accounts.job_id "
      + "AND i.account = accounts.account AND i.status IN ('PENDING', 'RUNNING'))";
  /** ... or that wait for a sign-in. */
  private static final String ITEMS_UNFINISHED_OR_SIGN_IN = "EXISTS (SELECT 1 FROM items i WHERE i.job_id = "
      + "accounts.job_id AND i.account = accounts.account AND i.status IN ('PENDING', 'RUNNING', 'OAUTH_PENDING'))";

  /** Parameters: now, jobId. One row per account of the job, in the order the accounts first appear. */
  static final String INSERT_ACCOUNTS =
      "INSERT INTO accounts (job_id, account, status, phase, updated_at) SELECT job_id, account, 'WAITING', 'ITEMS', ? "
          + "FROM items WHERE job_id = ? GROUP BY job_id, account ORDER BY MIN(id)";

  /**
   * Parameters: jobId, account. After an item's outcome: its account becomes due once none of its items in
   * the job is unfinished (the claim reads them again; a sweep catches what a race left behind).
   */
  static final String ACCOUNT_ITEMS_DONE =
      "UPDATE accounts SET next_at = {NOW_MS} WHERE job_id = ? AND account = ? AND phase = 'ITEMS' "
          + "AND next_at IS NULL AND NOT " + ITEMS_UNFINISHED;

  /** Accounts whose wait is over (no sign-in outstanding, items done) but that no outcome marked due. */
  static final String SWEEP_SIGNED_IN =
      "UPDATE accounts SET next_at = {NOW_MS} WHERE phase = 'SIGN_IN' AND next_at IS NULL AND lease_owner IS NULL "
          + "AND NOT " + ITEMS_UNFINISHED_OR_SIGN_IN;
  static final String SWEEP_ITEMS_DONE =
      "UPDATE accounts SET next_at = {NOW_MS} WHERE phase = 'ITEMS' AND next_at IS NULL AND lease_owner IS NULL "
          + "AND NOT " + ITEMS_UNFINISHED;
  /** Parameters: jobId, account: the same for one account (an item of it was signed in). */
  static final String NUDGE_ACCOUNT =
      "UPDATE accounts SET next_at = {NOW_MS} WHERE job_id = ? AND account = ? AND phase IN ('ITEMS', 'SIGN_IN') "
          + "AND next_at IS NULL AND lease_owner IS NULL AND NOT " + ITEMS_UNFINISHED_OR_SIGN_IN;

  private static final String ACCOUNT_DUE = "a.next_at IS NOT NULL AND a.next_at <= {NOW_MS} AND a.lease_owner IS NULL "
      + "AND NOT (a.phase = 'ITEMS' AND EXISTS (SELECT 1 FROM items p WHERE p.job_id = a.job_id "
      + "AND p.account = a.account AND p.status IN ('PENDING', 'RUNNING'))) "
      + "AND NOT EXISTS (SELECT 1 FROM items r WHERE r.account = a.account AND r.status = 'RUNNING') "
      + "AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.account = a.account AND o.lease_owner IS NOT NULL)";
  private static final String ACCOUNT_CLAIM_SET = "UPDATE accounts SET lease_owner = ?, lease_until = {NOW_MS} + ?, "
      + "attempts = attempts + 1, next_at = NULL, updated_at = ? ";
  private static final String ACCOUNT_CLAIM_RETURNING = " RETURNING id, job_id, account, status, phase, cycle_id, "
      + "signins, attempts, recovered, watch_interval, watch_until, {NOW_MS} AS now_ms, "
      + "(SELECT j.cancel_requested + j.stopped FROM jobs j WHERE j.id = accounts.job_id) AS halted";

  /**
   * Parameters: node, leaseMs, now, candidates, max. Leases due accounts over all jobs (finished ones
   * too: a sign-in may come after the job finished), earliest due first, one per Cyclr account, none of
   * an account with a running item or account step anywhere; the unique index
   * accounts_one_running_per_account is the backstop. PostgreSQL: SKIP LOCKED and the same per-account
   * advisory lock as the item claim, so an item and an account step of one account are not leased at once.
   */
  static String claimAccounts(SqlDialect d) {
    if (d == SqlDialect.SQLITE) {
      return d.sql(ACCOUNT_CLAIM_SET + "WHERE id IN (SELECT id FROM (SELECT id, next_at, ROW_NUMBER() OVER "
          + "(PARTITION BY account ORDER BY next_at, id) AS rn FROM (SELECT a.id, a.account, a.next_at FROM accounts a "
          + "WHERE " + ACCOUNT_DUE + " ORDER BY a.next_at, a.id LIMIT ?)) WHERE rn = 1 ORDER BY next_at, id LIMIT ?)"
          + ACCOUNT_CLAIM_RETURNING);
    }
    return d.sql("WITH cand AS (SELECT a.id, a.account, a.next_at FROM accounts a WHERE " + ACCOUNT_DUE
        + " ORDER BY a.next_at, a.id LIMIT $4 FOR UPDATE OF a SKIP LOCKED), "
        + "pick AS (SELECT DISTINCT ON (account) id, next_at FROM cand "
        + "WHERE pg_try_advisory_xact_lock(hashtextextended(account, 0)) ORDER BY account, next_at, id) "
        + "UPDATE accounts SET lease_owner = $1, lease_until = {NOW_MS} + $2, attempts = attempts + 1, next_at = NULL, "
        + "updated_at = $3 WHERE id IN (SELECT id FROM pick ORDER BY next_at, id LIMIT $5)" + ACCOUNT_CLAIM_RETURNING);
  }

  /** Parameters: jobId, account: the account's items in its job, for the decision to go on. */
  static final String ACCOUNT_ITEM_STATES = "SELECT status, CASE WHEN status = 'CANCELLED' THEN error END AS error, "
      + "account_connector_id FROM items WHERE job_id = ? AND account = ?";

  /**
   * A connector the template brought that the tenant must sign in to becomes an item of the job, OAUTH_PENDING
   * from the start: it gets its link, watch, events and webhooks exactly like an installed OAuth connector.
   * Parameters: jobId, account, spec, connectorId, accountConnectorId, connectorName, oauthUrl, oauthExpiresAt, now.
   */
  static final String INSERT_SIGN_IN_ITEM = "INSERT INTO items (job_id, account, spec, status, attempts, connector_id, "
      + "account_connector_id, connector_name, oauth_url, oauth_expires_at, updated_at) "
      + "VALUES (?, ?, ?, 'OAUTH_PENDING', 0, ?, ?, ?, ?, ?, ?) RETURNING id";
  /** Parameters: jobId, account, accountConnectorId: an item of the job stands for it already. */
  static final String ITEM_FOR_ACCOUNT_CONNECTOR =
      "SELECT id FROM items WHERE job_id = ? AND account = ? AND account_connector_id = ? LIMIT 1";
  static final String ACCOUNT_HELD = "SELECT id FROM accounts WHERE id = ? AND lease_owner = ?{FOR_UPDATE}";
  /** Parameters: n, jobId: the job's total counts the sign-in items its template added. */
  static final String ADD_TO_TOTAL = "UPDATE jobs SET total = total + ? WHERE id = ?";

  /**
   * Parameters: status, phase, cycleId, keep, prerequisites, keep, signins, keep, error, phase, phase, nextCheckMs,
   * keep, watchInterval, keep, watching, watchForMs, keep, recovered, keep, now, id, node. {@code keep} = 1 for a
   * hand-back (the account stays as it was). A WAITING phase whose wait is already over is due at once, whatever
   * the step thought: an item may have finished while it ran. (Sign-in items are inserted before this.)
   */
  static final String RECORD_ACCOUNT =
      "UPDATE accounts SET status = ?, phase = ?, cycle_id = COALESCE(?, cycle_id), "
          + "prerequisites = CASE WHEN ? = 1 THEN prerequisites ELSE ? END, "
          + "signins = CASE WHEN ? = 1 THEN signins ELSE ? END, "
          + "error = CASE WHEN ? = 1 THEN error ELSE ? END, "
          + "next_at = CASE WHEN ? = 'ITEMS' AND NOT " + ITEMS_UNFINISHED + " THEN {NOW_MS} "
          + "WHEN ? = 'SIGN_IN' AND NOT " + ITEMS_UNFINISHED_OR_SIGN_IN + " THEN {NOW_MS} ELSE {NOW_MS} + ? END, "
          + "watch_interval = CASE WHEN ? = 1 THEN watch_interval ELSE ? END, "
          + "watch_until = CASE WHEN ? = 1 THEN watch_until WHEN ? = 1 THEN COALESCE(watch_until, {NOW_MS} + ?) "
          + "ELSE NULL END, "
          + "recovered = CASE WHEN ? = 1 THEN CASE WHEN ? = 1 THEN 1 ELSE recovered END ELSE 0 END, "
          + "attempts = CASE WHEN ? = 1 THEN attempts - 1 ELSE attempts END, "
          + "lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? RETURNING cycle_id";

  static final String RENEW_ACCOUNT_LEASES = "UPDATE accounts SET lease_until = {NOW_MS} + ? WHERE lease_owner = ?";
  /** An account step whose node stopped renewing: due again at once, recovered (it may have sent an install). */
  static final String RELEASE_EXPIRED_ACCOUNTS =
      "UPDATE accounts SET lease_owner = NULL, lease_until = NULL, recovered = 1, next_at = {NOW_MS}, updated_at = ? "
          + "WHERE lease_owner IS NOT NULL AND lease_until < {NOW_MS} RETURNING job_id, account";
  static final String RELEASE_ALL_ACCOUNTS =
      "UPDATE accounts SET lease_owner = NULL, lease_until = NULL, recovered = 1, next_at = {NOW_MS} "
          + "WHERE lease_owner IS NOT NULL";

  /**
   * Parameters: error, now, jobId. In a cancelled or stopped job, accounts whose step never started stay as they
   * are, for good; a step that may have sent an install (recovered) is still checked.
   */
  static final String HALT_ACCOUNTS =
      "UPDATE accounts SET phase = 'HALTED', next_at = NULL, error = ?, updated_at = ? "
          + "WHERE job_id = ? AND phase IN ('ITEMS', 'SIGN_IN', 'WATCH') AND lease_owner IS NULL AND recovered = 0 "
          + "AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = accounts.job_id AND (j.cancel_requested = 1 OR j.stopped = 1))";

  /**
   * Parameters: now, jobId. Retry: FAILED accounts run again (WAITING), SETUP_REQUIRED ones are checked again, and
   * so are those whose sign-in watch ran out (with fresh links). Run after the items' retry: an account whose items
   * were retried waits for them. (A cancelled job is never retried.)
   */
  static final String RETRY_ACCOUNTS =
      "UPDATE accounts SET status = CASE WHEN status = 'FAILED' THEN 'WAITING' ELSE status END, "
          + "error = CASE WHEN status = 'SETUP_REQUIRED' THEN error ELSE NULL END, "
          + "signins = CASE WHEN phase = 'DONE' AND status = 'WAITING' THEN NULL ELSE signins END, "
          + "phase = 'ITEMS', watch_interval = NULL, watch_until = NULL, "
          + "next_at = CASE WHEN " + ITEMS_UNFINISHED + " THEN NULL ELSE {NOW_MS} END, updated_at = ? "
          + "WHERE job_id = ? AND lease_owner IS NULL AND (status IN ('FAILED', 'SETUP_REQUIRED') "
          + "OR (phase = 'DONE' AND status = 'WAITING') "
          // A job stopped by its failure policy is retried: its halted accounts go on (those whose items the stop
          // cancelled are halted again at once, without a call).
          + "OR phase = 'HALTED') RETURNING id, account, status";

  static final String COUNT_ACCOUNTS_BY_STATUS =
      "SELECT status, COUNT(*) FROM accounts WHERE job_id = ? GROUP BY status";
  static final String ACCOUNT_COLUMNS = "id, account, status, cycle_id, prerequisites, signins, error";
  static final String SELECT_ACCOUNTS =
      "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
  static final String SELECT_ACCOUNTS_BY_STATUS =
      "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE job_id = ? AND status = ? AND id > ? ORDER BY id LIMIT ?";
}
