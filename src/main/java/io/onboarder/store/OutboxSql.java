package io.onboarder.store;

/**
 * The SQL of the webhook outbox and its endpoint, beside {@link SqlQueries}.
 */
final class OutboxSql {
  private OutboxSql() {}

  static final String INSERT_DELIVERY = "INSERT INTO webhook_deliveries (id, type, job_id, owner, payload, status, "
      + "attempts, created_at, window_start_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, {NOW_MS}, "
      + "{NOW_MS})";
  static final String DELIVERY_COLUMNS = "seq, id, type, job_id, fleet, payload, status, attempts, created_at, "
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
}
