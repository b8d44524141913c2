package io.onboarder.store;

/**
 * Every SQL statement of the store, in one holder. Plain SQL that SQLite and PostgreSQL both accept,
 * with the few dialect differences ({NOW_MS}, {FOR_UPDATE}, the claim, the job insert) expanded by
 * {@link SqlDialect}.
 */
final class SqlQueries {
  private SqlQueries() {}

  static String insertJob(SqlDialect d) {
    // SQLite numbers jobs itself; PostgreSQL's seq is a sequence (BIGSERIAL).
    return d == SqlDialect.SQLITE
        ? "INSERT INTO jobs (id, seq, status, created_at, finished_at, total, spec, idempotency_key, request_print, "
            + "owner) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, NULL, ?, ?, ?, ?, ?)"
        : "INSERT INTO jobs (id, status, created_at, finished_at, total, spec, idempotency_key, request_print, owner) "
            + "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)";
  }

  /** Parameters: id, created_at, owner. A hidden job that a streamed request's items are appended to. */
  static String insertIntake(SqlDialect d) {
    return d == SqlDialect.SQLITE
        ? "INSERT INTO jobs (id, seq, status, created_at, total, spec, owner, intake_heartbeat) VALUES "
            + "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), 'INTAKE', ?, 0, '{}', ?, {NOW_MS})"
        : "INSERT INTO jobs (id, status, created_at, total, spec, owner, intake_heartbeat) VALUES "
            + "(?, 'INTAKE', ?, 0, '{}', ?, {NOW_MS})";
  }

  static final String TOUCH_INTAKE =
      "UPDATE jobs SET intake_heartbeat = {NOW_MS} WHERE id = ? AND status = 'INTAKE'";
  /** The one statement that makes a streamed job visible and dispatchable. */
  static final String COMMIT_INTAKE =
      "UPDATE jobs SET status = 'PENDING', created_at = ?, total = ?, spec = ?, idempotency_key = ?, "
          + "request_print = ?, intake_heartbeat = NULL WHERE id = ? AND status = 'INTAKE'";
  /** Parameters: jobId, batch size. Deletes in bounded batches so SQLite's one writer stays available. */
  static final String DELETE_INTAKE_ITEMS =
      "DELETE FROM items WHERE id IN (SELECT i.id FROM items i JOIN jobs j ON j.id = i.job_id "
          + "WHERE i.job_id = ? AND j.status = 'INTAKE' LIMIT ?)";
  static final String DELETE_INTAKE_JOB = "DELETE FROM jobs WHERE id = ? AND status = 'INTAKE'";
  static final String STALE_INTAKES =
      "SELECT id FROM jobs WHERE status = 'INTAKE' AND (intake_heartbeat IS NULL OR intake_heartbeat < {NOW_MS} - ?)";

  private static final String INSERT_ITEMS = "INSERT INTO items (job_id, account, spec, auth_value, status, attempts, "
      + "updated_at) VALUES ";

  /**
   * An INSERT of {@code rows} new items of one job: parameter 1 is the job id and 2 the time, shared by
   * every row (numbered parameters, bound once); then account, spec and auth value of each row.
   */
  static String insertItems(SqlDialect d, int rows) {
    char mark = d == SqlDialect.POSTGRES ? '$' : '?';
    StringBuilder b = new StringBuilder(INSERT_ITEMS.length() + rows * 48).append(INSERT_ITEMS);
    for (int i = 0, p = 3; i < rows; i++, p += 3) {
      b.append(i == 0 ? "(" : ", (").append(mark).append("1, ").append(mark).append(p).append(", ")
          .append(mark).append(p + 1).append(", ").append(mark).append(p + 2).append(", 'PENDING', 0, ")
          .append(mark).append("2)");
    }
    return b.toString();
  }
  static final String JOB_COLUMNS = "id, status, created_at, finished_at, total, spec, cancel_requested, stopped, owner";
  // A job being streamed in (status INTAKE) exists for no query until it is committed.
  static final String SELECT_JOB = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ? AND status <> 'INTAKE'";
  static final String LOCK_JOB =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ? AND status <> 'INTAKE'{FOR_UPDATE}";
  static final String SELECT_JOB_BY_KEY = "SELECT " + JOB_COLUMNS + ", request_print FROM jobs WHERE idempotency_key = ?";
  static final String SELECT_RECENT_JOBS =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE status <> 'INTAKE' ORDER BY seq DESC LIMIT ?";
  static final String SELECT_RECENT_JOBS_OF =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE owner = ? AND status <> 'INTAKE' ORDER BY seq DESC LIMIT ?";
  static final String SELECT_UNFINISHED_JOBS =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE status IN ('PENDING', 'RUNNING') ORDER BY seq";
  static final String COUNT_BY_STATUS = "SELECT status, COUNT(*) FROM items WHERE job_id = ? GROUP BY status";
  /** Pending items of open jobs (and of submissions being streamed in), through items_by_job_status. */
  static final String COUNT_PENDING = "SELECT COUNT(*) FROM items WHERE job_id IN (SELECT id FROM jobs WHERE "
      + "status IN ('INTAKE', 'PENDING', 'RUNNING')) AND status = 'PENDING'";
  static final String MARK_RUNNING = "UPDATE jobs SET status = 'RUNNING' WHERE id = ? AND status = 'PENDING'";
  static final String PING = "SELECT 1";

  /**
   * In a cancelled or stopped job, only recovered items may still run (decided by the database, not a cache).
   * The claim's job is parameter 4: the check is made once per claim, not per candidate.
   */
  private static final String RECOVERED_OR_LIVE = "(i.recovered = 1 OR NOT EXISTS (SELECT 1 FROM jobs j "
      + "WHERE j.id = {JOB} AND (j.cancel_requested = 1 OR j.stopped = 1)))";
  /** No account step (template, activation) of the item's account runs anywhere: they never overlap at Cyclr. */
  private static final String NO_ACCOUNT_STEP_RUNNING =
      "NOT EXISTS (SELECT 1 FROM accounts s WHERE s.account = i.account AND s.lease_owner IS NOT NULL)";
  private static final String CLAIM_CANDIDATES =
      "SELECT id, account FROM items i WHERE i.job_id = ?4 AND i.status = 'PENDING' AND "
          + RECOVERED_OR_LIVE.replace("{JOB}", "?4")
          + " AND NOT EXISTS (SELECT 1 FROM items r WHERE r.account = i.account AND r.status = 'RUNNING') "
          + "AND " + NO_ACCOUNT_STEP_RUNNING + " ORDER BY i.id LIMIT ?5";
  // The claim is of one job: its flags are read once, not per returned row.
  private static final String CLAIM_RETURNING = " RETURNING id, account, auth_value, spec, attempts, "
      + "(SELECT j.cancel_requested + j.stopped FROM jobs j WHERE j.id = {JOB}) AS halted";

  /**
   * Parameters: node, leaseMs, now, jobId, candidates, max. One item per account, none
   * of an account with a RUNNING item; the unique index items_one_running_per_account is the backstop.
   * PostgreSQL: candidates locked with SKIP LOCKED, and an advisory lock per account so that two
   * nodes claiming at the same moment skip each other's accounts.
   */
  static String claim(SqlDialect d) {
    if (d == SqlDialect.SQLITE) {
      // Numbered parameters: the job (?4) is used three times.
      return d.sql("UPDATE items SET status = 'RUNNING', attempts = attempts + 1, lease_owner = ?1, "
          + "lease_until = {NOW_MS} + ?2, updated_at = ?3 WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() "
          + "OVER (PARTITION BY account ORDER BY id) AS rn FROM (" + CLAIM_CANDIDATES + ")) WHERE rn = 1 "
          + "ORDER BY id LIMIT ?6)" + CLAIM_RETURNING.replace("{JOB}", "?4"));
    }
    return d.sql(("WITH cand AS (SELECT id, account FROM items i WHERE i.job_id = $4 AND i.status = 'PENDING' AND "
        + RECOVERED_OR_LIVE + " AND NOT EXISTS (SELECT 1 FROM items r WHERE r.account = i.account "
        + "AND r.status = 'RUNNING') AND " + NO_ACCOUNT_STEP_RUNNING
        + " ORDER BY i.id LIMIT $5 FOR UPDATE OF i SKIP LOCKED), "
        + "pick AS (SELECT DISTINCT ON (account) id FROM cand "
        + "WHERE pg_try_advisory_xact_lock(hashtextextended(account, 0)) ORDER BY account, id) "
        + "UPDATE items SET status = 'RUNNING', attempts = attempts + 1, lease_owner = $1, "
        + "lease_until = {NOW_MS} + $2, updated_at = $3 WHERE id IN (SELECT id FROM pick ORDER BY id LIMIT $6)"
        + CLAIM_RETURNING).replace("{JOB}", "$4"));
  }

  static final String RENEW_LEASES =
      "UPDATE items SET lease_until = {NOW_MS} + ? WHERE lease_owner = ? AND status = 'RUNNING'";
  static final String RECORD_OUTCOME =
      "UPDATE items SET status = ?, connector_id = COALESCE(?, connector_id), "
          + "account_connector_id = COALESCE(?, account_connector_id), oauth_url = ?, oauth_expires_at = ?, error = ?, "
          + "auth_value = CASE WHEN ? = 1 THEN NULL ELSE auth_value END, "
          + "attempts = CASE WHEN ? = 'PENDING' THEN attempts - 1 ELSE attempts END, "
          + "recovered = CASE WHEN ? = 1 THEN 1 ELSE recovered END, lease_owner = NULL, lease_until = NULL, "
          + "updated_at = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?";
  /** The items a node holds now (at most its window), locked against a concurrent takeover. */
  static final String SELECT_HELD = "SELECT id FROM items WHERE lease_owner = ? AND status = 'RUNNING'{FOR_UPDATE}";
  static final String MARK_CANCEL_REQUESTED = "UPDATE jobs SET cancel_requested = 1 WHERE id = ?";
  static final String MARK_STOPPED = "UPDATE jobs SET stopped = 1 WHERE id = ?";
  static final String CANCEL_UNSTARTED =
      "UPDATE items SET status = 'CANCELLED', auth_value = NULL, updated_at = ? "
          + "WHERE job_id = ? AND status = 'PENDING' AND recovered = 0 "
          // Only while the job is cancelled or stopped: a retry may have re-opened it since it was read.
          + "AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = items.job_id AND (j.cancel_requested = 1 OR j.stopped = 1)) "
          + "RETURNING id, account";
  static final String RETRY_FAILED =
      "UPDATE items SET status = 'PENDING', error = NULL, updated_at = ? WHERE job_id = ? AND status = 'FAILED' "
          + "RETURNING id, account";
  static final String REOPEN_JOB = "UPDATE jobs SET status = 'RUNNING', finished_at = NULL, stopped = 0 WHERE id = ?";
  static final String ANY_UNFINISHED_ITEM =
      "SELECT 1 FROM items WHERE job_id = ? AND status IN ('PENDING', 'RUNNING') LIMIT 1";
  static final String ANY_FAILED_ITEM = "SELECT 1 FROM items WHERE job_id = ? AND status = 'FAILED' LIMIT 1";
  static final String FINISH_JOB = "UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?";
  static final String ITEM_COLUMNS =
      "id, account, spec, status, attempts, connector_id, account_connector_id, oauth_url, oauth_expires_at, error";
  static final String SELECT_ITEM = "SELECT " + ITEM_COLUMNS + " FROM items WHERE id = ?";
  static final String JOB_OF_ITEM = "SELECT job_id FROM items WHERE id = ?";
  static final String SELECT_ITEMS =
      "SELECT " + ITEM_COLUMNS + " FROM items WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
  static final String SELECT_ITEMS_BY_STATUS =
      "SELECT " + ITEM_COLUMNS + " FROM items WHERE job_id = ? AND status = ? AND id > ? ORDER BY id LIMIT ?";

  // ---- accounts of jobs with a template ------------------------------------------------------

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

  static final String ANY_BLOCKING_ACCOUNT =
      "SELECT 1 FROM accounts WHERE job_id = ? AND (phase = 'ITEMS' OR lease_owner IS NOT NULL) LIMIT 1";
  static final String ANY_FAILED_ACCOUNT = "SELECT 1 FROM accounts WHERE job_id = ? AND status = 'FAILED' LIMIT 1";
  static final String COUNT_ACCOUNTS_BY_STATUS =
      "SELECT status, COUNT(*) FROM accounts WHERE job_id = ? GROUP BY status";
  static final String ACCOUNT_COLUMNS = "id, account, status, cycle_id, prerequisites, signins, error";
  static final String SELECT_ACCOUNTS =
      "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
  static final String SELECT_ACCOUNTS_BY_STATUS =
      "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE job_id = ? AND status = ? AND id > ? ORDER BY id LIMIT ?";
  // ---- event log -------------------------------------------------------------------------------

  /** Locks the job row for the rest of the transaction (PostgreSQL) and reads its last event number. */
  static final String LOCK_JOB_EVENTS = "SELECT event_seq, owner FROM jobs WHERE id = ?{FOR_UPDATE}";
  static final String ADVANCE_EVENT_SEQ = "UPDATE jobs SET event_seq = ? WHERE id = ?";
  static final String INSERT_EVENT =
      "INSERT INTO job_events (job_id, seq, kind, body, created_at) VALUES (?, ?, ?, ?, ?)";
  static final String SELECT_EVENTS =
      "SELECT seq, kind, body FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?";
  /** Jobs finished before a time whose events are still kept. */
  static final String JOBS_WITH_OLD_EVENTS = "SELECT id FROM jobs WHERE status IN ('SUCCEEDED', "
      + "'COMPLETED_WITH_ERRORS', 'CANCELLED') AND finished_at < ? AND EXISTS (SELECT 1 FROM job_events e "
      + "WHERE e.job_id = jobs.id) LIMIT ?";
  static final String DELETE_EVENTS_OF_JOB = "DELETE FROM job_events WHERE job_id = ?";
  /** Jobs with RUNNING items whose lease expired: locked first, then released one job at a time. */
  // Open jobs first, then each one's RUNNING items (items_by_job_status): never a walk over all items.
  // Only open jobs can have RUNNING items (a job finishes when none is PENDING or RUNNING).
  static final String JOBS_WITH_EXPIRED_LEASES = "SELECT id AS job_id FROM jobs WHERE status IN ('PENDING', 'RUNNING') "
      + "AND EXISTS (SELECT 1 FROM items WHERE items.job_id = jobs.id AND items.status = 'RUNNING' "
      + "AND items.lease_until < {NOW_MS})";
  static final String RELEASE_EXPIRED_OF_JOB =
      "UPDATE items SET status = 'PENDING', recovered = 1, lease_owner = NULL, lease_until = NULL, updated_at = ? "
          + "WHERE job_id = ? AND status = 'RUNNING' AND lease_until < {NOW_MS} RETURNING id, account";
  static final String JOBS_WITH_RUNNING_ITEMS = "SELECT id AS job_id FROM jobs WHERE status IN ('PENDING', 'RUNNING') "
      + "AND EXISTS (SELECT 1 FROM items WHERE items.job_id = jobs.id AND items.status = 'RUNNING')";
  static final String RELEASE_ALL_OF_JOB =
      "UPDATE items SET status = 'PENDING', recovered = 1, lease_owner = NULL, lease_until = NULL, updated_at = ? "
          + "WHERE job_id = ? AND status = 'RUNNING' RETURNING id, account";

  // ---- webhook outbox --------------------------------------------------------------------------

  static final String INSERT_DELIVERY = "INSERT INTO webhook_deliveries (id, type, job_id, owner, payload, status, "
      + "attempts, created_at, window_start_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, {NOW_MS}, "
      + "{NOW_MS})";
  static final String DELIVERY_COLUMNS = "seq, id, type, job_id, payload, status, attempts, created_at, "
      + "next_attempt_ms, lease_until, last_attempt_at, last_http_status, last_error, finished_at";

  /**
   * Parameters: node, leaseMs, max. Due PENDING deliveries nobody holds are leased to one sender;
   * PostgreSQL skips rows another sender is claiming at the same moment.
   */
  static final String CLAIM_DELIVERIES = "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = {NOW_MS} + ? "
      + "WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_ms <= {NOW_MS} "
      + "AND (lease_until IS NULL OR lease_until < {NOW_MS}) ORDER BY next_attempt_ms LIMIT ?{SKIP_LOCKED}) "
      + "AND status = 'PENDING' RETURNING id, type, payload, attempts";
  /** Parameters: now, httpStatus, now, id, node. */
  static final String DELIVERED = "UPDATE webhook_deliveries SET status = 'DELIVERED', attempts = attempts + 1, "
      + "last_attempt_at = ?, last_http_status = ?, last_error = NULL, finished_at = ?, "
      + "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'PENDING'";
  /**
   * Parameters: now, httpStatus, error, giveUpAfterMs, giveUpAfterMs, now, retryInMs, id, node. A failed
   * attempt past the retry window (measured from the first attempt, or the last replay) is final.
   */
  static final String ATTEMPT_FAILED = "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?, "
      + "last_http_status = ?, last_error = ?, "
      + "status = CASE WHEN {NOW_MS} - window_start_ms >= ? THEN 'FAILED' ELSE 'PENDING' END, "
      + "finished_at = CASE WHEN {NOW_MS} - window_start_ms >= ? THEN ? ELSE NULL END, "
      + "next_attempt_ms = {NOW_MS} + ?, lease_owner = NULL, lease_until = NULL "
      + "WHERE id = ? AND lease_owner = ? AND status = 'PENDING' RETURNING status";
  /** Parameters: node. A sender that stops hands its leases back (the attempt in flight may still land). */
  static final String RELEASE_DELIVERIES_OF = "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL "
      + "WHERE lease_owner = ? AND status = 'PENDING'";
  static final String RELEASE_ALL_DELIVERIES =
      "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL";
  /** Parameters: id. A replay: due now, with a fresh retry window; the webhook-id stays the same. */
  static final String REPLAY_DELIVERY = "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_ms = "
      + "{NOW_MS}, window_start_ms = {NOW_MS}, finished_at = NULL WHERE id = ? RETURNING " + DELIVERY_COLUMNS;
  static final String SELECT_DELIVERY = "SELECT " + DELIVERY_COLUMNS + ", owner FROM webhook_deliveries WHERE id = ?";
  static final String PRUNE_DELIVERIES = "DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM "
      + "webhook_deliveries WHERE status = ? AND finished_at < ? LIMIT ?)";
  static final String COUNT_DELIVERIES_BY_STATUS = "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status";

  /** Newest first, after a cursor (seq); optionally of one status and of one owner. */
  static String deliveries(boolean byStatus, boolean byOwner) {
    return "SELECT " + DELIVERY_COLUMNS + " FROM webhook_deliveries WHERE seq < ?"
        + (byStatus ? " AND status = ?" : "") + (byOwner ? " AND owner = ?" : "") + " ORDER BY seq DESC LIMIT ?";
  }

  static final String SELECT_ENDPOINT = "SELECT disabled_at, disabled_reason FROM webhook_endpoints WHERE url_hash = ?";
  static final String DISABLE_ENDPOINT = "INSERT INTO webhook_endpoints (url_hash, disabled_at, disabled_reason) "
      + "VALUES (?, ?, ?) ON CONFLICT (url_hash) DO UPDATE SET disabled_at = excluded.disabled_at, "
      + "disabled_reason = excluded.disabled_reason";
  static final String ENABLE_ENDPOINT = "DELETE FROM webhook_endpoints WHERE url_hash = ?";

  // ---- sign-in links and the sign-in watch (SqlSignInStore) -----------------------------------

  static final String JOB_CANCEL_REQUESTED = "SELECT cancel_requested FROM jobs WHERE id = ?{FOR_UPDATE}";

  /**
   * The cancel flag under a shared lock (PostgreSQL): recording outcomes of several jobs in one batch takes
   * these in any order without deadlocking each other, while a cancel (FOR UPDATE) is wholly before or after.
   */
  static String jobCancelRequestedShared(SqlDialect d) {
    return d == SqlDialect.POSTGRES ? d.sql("SELECT cancel_requested FROM jobs WHERE id = ? FOR SHARE")
        : d.sql(JOB_CANCEL_REQUESTED);
  }
  /** Parameters: connectorName, interval, firstDelay, ttl, itemId. Starts (or restarts) the watch of an item. */
  static final String START_WATCH =
      "UPDATE items SET connector_name = COALESCE(?, connector_name), watch_interval = ?, "
          + "watch_next_at = {NOW_MS} + ?, watch_until = {NOW_MS} + ?, watch_owner = NULL "
          + "WHERE id = ? AND status = 'OAUTH_PENDING'";
  static final String REVOKE_ITEM_LINKS = "UPDATE links SET revoked = 1 WHERE item_id = ? AND revoked = 0";
  /** Parameters: tokenHash, salt, itemId, jobId, accountConnectorId, ttl. */
  static final String INSERT_LINK =
      "INSERT INTO links (token_hash, salt, item_id, job_id, account_connector_id, created_at, expires_at) "
          + "VALUES (?, ?, ?, ?, ?, {NOW_MS}, {NOW_MS} + ?) RETURNING expires_at";
  static final String REVOKE_JOB_LINKS =
      "UPDATE links SET revoked = 1 WHERE job_id = ? AND revoked = 0 AND expires_at > {NOW_MS} RETURNING id";
  static final String STOP_JOB_WATCHES = "UPDATE items SET watch_next_at = NULL, watch_owner = NULL "
      + "WHERE job_id = ? AND status = 'OAUTH_PENDING' AND watch_next_at IS NOT NULL";
  private static final String DUE_WATCHES = "SELECT id FROM items WHERE status = 'OAUTH_PENDING' "
      + "AND watch_next_at IS NOT NULL AND watch_next_at <= {NOW_MS} AND watch_until > {NOW_MS} "
      + "ORDER BY watch_next_at LIMIT ?";

  /**
   * Parameters: node, leaseMs, max. A claim moves the watch's next poll past the lease, so that nobody
   * else sees it due while this node polls; a node that dies just lets it come due again. PostgreSQL:
   * due rows are locked with SKIP LOCKED, so two nodes claiming at once take disjoint sets.
   */
  static String claimWatches(SqlDialect d) {
    return d.sql("UPDATE items SET watch_owner = ?, watch_next_at = {NOW_MS} + ? WHERE id IN ("
        + DUE_WATCHES + (d == SqlDialect.POSTGRES ? " FOR UPDATE SKIP LOCKED" : "") + ") "
        + "AND status = 'OAUTH_PENDING' "
        + "RETURNING id, job_id, account, account_connector_id, connector_id, watch_interval");
  }

  /** Parameters: interval, delay, itemId, node. */
  static final String WATCH_AGAIN = "UPDATE items SET watch_interval = ?, watch_next_at = {NOW_MS} + ?, "
      + "watch_owner = NULL WHERE id = ? AND status = 'OAUTH_PENDING' AND watch_owner = ?";
  static final String STOP_WATCH =
      "UPDATE items SET watch_next_at = NULL, watch_owner = NULL WHERE id = ? AND status = 'OAUTH_PENDING'";
  static final String EXPIRE_WATCHES = "UPDATE items SET watch_next_at = NULL, watch_owner = NULL "
      + "WHERE status = 'OAUTH_PENDING' AND watch_next_at IS NOT NULL AND watch_next_at <= {NOW_MS} "
      + "AND watch_until <= {NOW_MS}";
  static final String NEXT_WATCH_DUE = "SELECT MIN(watch_next_at) - {NOW_MS} FROM items "
      + "WHERE status = 'OAUTH_PENDING' AND watch_next_at IS NOT NULL AND watch_until > {NOW_MS}";
  /** Parameters: now, itemId. Not conditional on the watch's owner: whoever sees the sign-in records it, once. */
  static final String MARK_AUTHENTICATED = "UPDATE items SET status = 'AUTHENTICATED', watch_next_at = NULL, "
      + "watch_owner = NULL, updated_at = ? WHERE id = ? AND status = 'OAUTH_PENDING' "
      + "RETURNING id, job_id, account, connector_id";
  /** Parameters: interval, delay, itemId. Only while the watch runs (not expired, not cancelled). */
  static final String VISITED = "UPDATE items SET watch_interval = ?, watch_next_at = {NOW_MS} + ?, "
      + "watch_owner = NULL WHERE id = ? AND status = 'OAUTH_PENDING' AND watch_until > {NOW_MS} "
      + "AND watch_next_at IS NOT NULL";
  static final String SELECT_LINK = "SELECT l.item_id, l.job_id, l.salt, l.expires_at, l.revoked, "
      + "CASE WHEN l.expires_at <= {NOW_MS} THEN 1 ELSE 0 END AS expired, i.status, i.account, "
      + "i.account_connector_id, i.connector_id, i.connector_name, j.spec "
      + "FROM links l JOIN items i ON i.id = l.item_id JOIN jobs j ON j.id = l.job_id WHERE l.token_hash = ?";
  static final String SELECT_LINK_TARGET = "SELECT id, job_id, account, status, account_connector_id, connector_id, "
      + "connector_name FROM items WHERE id = ? AND job_id = ?";
  static final String SET_RAW_LINK = "UPDATE items SET oauth_url = ?, oauth_expires_at = ? WHERE id = ?";
  /** The live links of a page of items (ids from..to of one job). */
  static final String LINKS_OF_ITEMS = "SELECT item_id, salt, token_hash, expires_at FROM links "
      + "WHERE job_id = ? AND item_id >= ? AND item_id <= ? AND revoked = 0 ORDER BY id";
}
