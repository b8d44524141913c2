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
}
