package io.onboarder.store;

/** Every SQL statement of the store, in one holder. Plain SQL that SQLite and PostgreSQL both accept. */
final class SqlQueries {
  private SqlQueries() {}

  static final String INSERT_JOB =
      "INSERT INTO jobs (id, seq, status, created_at, finished_at, total, spec, idempotency_key, request_print) "
          + "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, NULL, ?, ?, ?, ?)";
  static final String INSERT_ITEM =
      "INSERT INTO items (job_id, account, spec, auth_value, status, attempts, updated_at) VALUES (?, ?, ?, ?, 'PENDING', 0, ?)";
  static final String JOB_COLUMNS = "id, status, created_at, finished_at, total, spec, cancel_requested";
  static final String SELECT_JOB = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?";
  static final String SELECT_JOB_BY_KEY = "SELECT " + JOB_COLUMNS + ", request_print FROM jobs WHERE idempotency_key = ?";
  static final String SELECT_RECENT_JOBS = "SELECT " + JOB_COLUMNS + " FROM jobs ORDER BY seq DESC LIMIT ?";
  static final String SELECT_UNFINISHED_JOBS =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE status IN ('PENDING', 'RUNNING') ORDER BY seq";
  static final String COUNT_BY_STATUS = "SELECT status, COUNT(*) FROM items WHERE job_id = ? GROUP BY status";
  static final String REQUEUE_RUNNING =
      "UPDATE items SET status = 'PENDING', recovered = 1, updated_at = ? WHERE status = 'RUNNING'";
  static final String SELECT_CLAIMABLE =
      "SELECT id, account, auth_value, spec, attempts FROM items WHERE job_id = ? AND status = 'PENDING' "
          + "AND recovered >= ? ORDER BY id LIMIT ?";
  static final String MARK_CLAIMED =
      "UPDATE items SET status = 'RUNNING', attempts = attempts + 1, updated_at = ? "
          + "WHERE job_id = ? AND status = 'PENDING' AND recovered >= ? AND id <= ?";
  static final String RECORD_OUTCOME =
      "UPDATE items SET status = ?, connector_id = COALESCE(?, connector_id), "
          + "account_connector_id = COALESCE(?, account_connector_id), oauth_url = ?, oauth_expires_at = ?, error = ?, "
          + "auth_value = CASE WHEN ? = 1 THEN NULL ELSE auth_value END, "
          + "attempts = CASE WHEN ? = 'PENDING' THEN attempts - 1 ELSE attempts END, "
          + "recovered = CASE WHEN ? = 1 THEN 1 ELSE recovered END, updated_at = ? "
          + "WHERE id = ? AND status = 'RUNNING'";
  static final String SELECT_BY_STATUS = "SELECT id, account FROM items WHERE job_id = ? AND status = ? ORDER BY id";
  static final String SELECT_CANCELLABLE =
      "SELECT id, account FROM items WHERE job_id = ? AND status = 'PENDING' AND recovered = 0 ORDER BY id";
  static final String MARK_CANCEL_REQUESTED = "UPDATE jobs SET cancel_requested = 1 WHERE id = ?";
  static final String CANCEL_PENDING =
      "UPDATE items SET status = 'CANCELLED', auth_value = NULL, updated_at = ? "
          + "WHERE job_id = ? AND status = 'PENDING' AND recovered = 0";
  static final String REOPEN_JOB =
      "UPDATE jobs SET cancel_requested = 0, status = 'RUNNING', finished_at = NULL WHERE id = ?";
  static final String RETRY_FAILED =
      "UPDATE items SET status = 'PENDING', error = NULL, updated_at = ? WHERE job_id = ? AND status = 'FAILED'";
  static final String SET_JOB_STATUS = "UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?";
  static final String ITEM_COLUMNS =
      "id, account, spec, status, attempts, connector_id, account_connector_id, oauth_url, oauth_expires_at, error";
  static final String SELECT_ITEMS =
      "SELECT " + ITEM_COLUMNS + " FROM items WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
  static final String SELECT_ITEMS_BY_STATUS =
      "SELECT " + ITEM_COLUMNS + " FROM items WHERE job_id = ? AND status = ? AND id > ? ORDER BY id LIMIT ?";
}
