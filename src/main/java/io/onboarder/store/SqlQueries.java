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
            + "owner, trace_parent) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, NULL, ?, ?, ?, ?, ?, ?)"
        : "INSERT INTO jobs (id, status, created_at, finished_at, total, spec, idempotency_key, request_print, owner, "
            + "trace_parent) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)";
  }

  /** Parameters: id, created_at, owner, trace_parent. A hidden job that a streamed request's items are appended to. */
  static String insertIntake(SqlDialect d) {
    return d == SqlDialect.SQLITE
        ? "INSERT INTO jobs (id, seq, status, created_at, total, spec, owner, trace_parent, intake_heartbeat) VALUES "
            + "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), 'INTAKE', ?, 0, '{}', ?, ?, {NOW_MS})"
        : "INSERT INTO jobs (id, status, created_at, total, spec, owner, trace_parent, intake_heartbeat) VALUES "
            + "(?, 'INTAKE', ?, 0, '{}', ?, ?, {NOW_MS})";
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

  /** The start of an INSERT of new items; {@link ItemRows} adds the rows. */
  static final String INSERT_ITEMS = "INSERT INTO items (job_id, account, spec, auth_value, status, attempts, "
      + "updated_at) VALUES ";
  static final String JOB_COLUMNS =
      "id, status, created_at, finished_at, total, spec, cancel_requested, stopped, owner, trace_parent";
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

  /** No item of the account runs and no account step of it (template, activation): they never overlap at Cyclr. */
  private static final String ACCOUNT_FREE = "NOT EXISTS (SELECT 1 FROM items r WHERE r.account = {I}.account AND "
      + "r.status = 'RUNNING') AND NOT EXISTS (SELECT 1 FROM accounts s WHERE s.account = {I}.account AND "
      + "s.lease_owner IS NOT NULL)";
  /** In a cancelled or stopped job, only recovered items may still run (decided by the database, not a cache). */
  private static final String MAY_RUN = "({I}.recovered = 1 OR o.halted = 0)";
  /**
   * Open jobs with how many of their items run now and the id of their last candidate: their
   * (parameter 4 + 1)-th PENDING item that may run, so no job adds more than that many candidates (a big
   * job's pending items are never all read; an index range, the accounts are checked once, in cand).
   * Each job is read once (MATERIALIZED: never folded into the join).
   */
  private static final String OPEN_JOBS = "WITH open AS MATERIALIZED (SELECT o.id, o.seq, o.halted, "
      + "(SELECT COUNT(*) FROM items b WHERE b.job_id = o.id AND b.status = 'RUNNING') AS busy, "
      + "COALESCE((SELECT x.id FROM items x WHERE x.job_id = o.id AND x.status = 'PENDING' AND "
      + MAY_RUN.replace("{I}", "x") + " ORDER BY x.id LIMIT 1 OFFSET ?4), 9223372036854775807) AS last_id "
      + "FROM (SELECT id, seq, cancel_requested + stopped AS halted FROM jobs WHERE status IN ('PENDING', 'RUNNING')) o), "
      + "cand AS (SELECT i.id, i.job_id, i.account, o.seq, o.busy FROM open o JOIN items i ON i.job_id = o.id "
      + "AND i.status = 'PENDING' AND i.id <= o.last_id WHERE " + MAY_RUN.replace("{I}", "i") + " AND "
      + ACCOUNT_FREE.replace("{I}", "i");
  /**
   * Jobs take turns: an item's turn is its rank in its job plus the items its job runs now, so a job
   * with fewer items running (a small or a new one) goes first, and the oldest job breaks a tie.
   */
  private static final String TURNS = "turns AS (SELECT id, seq, busy + ROW_NUMBER() OVER (PARTITION BY job_id "
      + "ORDER BY id) AS turn FROM one) ";
  private static final String CLAIM_UPDATE = "UPDATE items SET status = 'RUNNING', attempts = attempts + 1, "
      + "lease_owner = ?1, lease_until = {NOW_MS} + ?2, updated_at = ?3 WHERE status = 'PENDING' AND id IN "
      + "(SELECT id FROM turns ORDER BY turn, seq, id LIMIT ?5) RETURNING id, job_id, account, auth_value, spec, "
      + "attempts, (SELECT j.cancel_requested + j.stopped FROM jobs j WHERE j.id = items.job_id) AS halted, "
      + "(SELECT j.status FROM jobs j WHERE j.id = items.job_id) AS job_status";

  /**
   * The claim across open jobs, one statement. Parameters: node, leaseMs, now, candidates per job - 1,
   * max. At most one item per account (of the oldest job), none of an account with a RUNNING item or
   * account step; the unique index items_one_running_per_account is the backstop. PostgreSQL: candidates
   * locked with SKIP LOCKED, and an advisory lock per account so that two nodes claiming at once skip
   * each other's accounts (the open jobs are locked first, {@link #LOCK_OPEN_JOBS}).
   */
  static String claim(SqlDialect d) {
    if (d == SqlDialect.SQLITE) {
      return d.sql(OPEN_JOBS + "), one AS (SELECT id, job_id, seq, busy FROM (SELECT id, job_id, seq, busy, "
          + "ROW_NUMBER() OVER (PARTITION BY account ORDER BY seq, id) AS rn FROM cand) WHERE rn = 1), " + TURNS
          + CLAIM_UPDATE);
    }
    return d.sql((OPEN_JOBS + " FOR UPDATE OF i SKIP LOCKED), one AS (SELECT DISTINCT ON (account) id, job_id, "
        + "seq, busy FROM cand WHERE pg_try_advisory_xact_lock(hashtextextended(account, 0)) "
        + "ORDER BY account, seq, id), " + TURNS + CLAIM_UPDATE).replace("?", "$"));
  }

  /**
   * PostgreSQL, before a claim: the open jobs locked in one order (as {@code EventWriter} locks them), so
   * the claim's statement sees a cancel or a stop that committed meanwhile, and its events are numbered.
   */
  static final String LOCK_OPEN_JOBS = "SELECT id, event_seq, owner FROM jobs WHERE status IN ('PENDING', 'RUNNING') "
      + "ORDER BY id COLLATE \"C\"{FOR_UPDATE}";
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
  /**
   * What settling a job needs, in one read: the job, its failed items, and whether anything still keeps
   * it open (a PENDING or RUNNING item, an account waiting for its items or running a step) or failed.
   */
  static final String SETTLE_STATE = "SELECT " + JOB_COLUMNS + ", (SELECT COUNT(*) FROM items f WHERE f.job_id = "
      + "jobs.id AND f.status = 'FAILED') AS failed, CASE WHEN EXISTS (SELECT 1 FROM items p WHERE p.job_id = jobs.id "
      + "AND p.status = 'PENDING') THEN 1 ELSE 0 END AS pending, CASE WHEN EXISTS (SELECT 1 FROM items r WHERE "
      + "r.job_id = jobs.id AND r.status = 'RUNNING') THEN 1 ELSE 0 END AS running, CASE WHEN EXISTS (SELECT 1 FROM "
      + "accounts a WHERE a.job_id = jobs.id AND (a.phase = 'ITEMS' OR a.lease_owner IS NOT NULL)) THEN 1 ELSE 0 END "
      + "AS blocking, CASE WHEN EXISTS (SELECT 1 FROM accounts a WHERE a.job_id = jobs.id AND a.status = 'FAILED') "
      + "THEN 1 ELSE 0 END AS failed_accounts FROM jobs WHERE id = ? AND status <> 'INTAKE'";
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
