package io.onboarder.store;

/**
 * The SQL of relay links and the sign-in watch, beside {@link SqlQueries}.
 */
final class SignInSql {
  private SignInSql() {}

  /**
   * Items the sign-in watch polls and whose links open: a first sign-in (OAUTH_PENDING) or a sign-in lost and asked
   * for again (REAUTH_REQUIRED, after a credential health check).
   */
  static final String AWAITS_SIGN_IN = "status IN ('OAUTH_PENDING', 'REAUTH_REQUIRED')";

  static final String JOB_CANCEL_REQUESTED = "SELECT cancel_requested FROM jobs WHERE id = ?{FOR_UPDATE}";

  /**
   * The cancel flag under a shared lock (PostgreSQL): recording outcomes of several jobs in one batch takes
   * these in any order without deadlocking each other, while a cancel (FOR UPDATE) is wholly before or after.
   * With the job's spec, for its sign-in campaign.
   */
  static String jobCancelRequestedShared(SqlDialect d) {
    return d.sql("SELECT cancel_requested, spec FROM jobs WHERE id = ?"
        + (d == SqlDialect.POSTGRES ? " FOR SHARE" : ""));
  }
  /** Parameters: connectorName, interval, firstDelay, ttl, itemId. Starts (or restarts) the watch of an item. */
  static final String START_WATCH =
      "UPDATE items SET connector_name = COALESCE(?, connector_name), watch_interval = ?, "
          + "watch_next_at = {NOW_MS} + ?, watch_until = {NOW_MS} + ?, watch_owner = NULL "
          + "WHERE id = ? AND " + AWAITS_SIGN_IN;
  /** A revoked link leads nowhere and its campaign ends (no reminder, no expiry step). */
  static final String REVOKE_ITEM_LINKS =
      "UPDATE links SET revoked = 1, campaign_at = NULL WHERE item_id = ? AND revoked = 0";
  /**
   * Parameters: tokenHash, salt, itemId, jobId, accountConnectorId, ttl, first campaign step (ms from now: the
   * first reminder, else the expiry), campaign plan (reminder times after issue, ms, comma-separated).
   */
  static final String INSERT_LINK =
      "INSERT INTO links (token_hash, salt, item_id, job_id, account_connector_id, created_at, expires_at, "
          + "campaign_at, campaign_plan) VALUES (?, ?, ?, ?, ?, {NOW_MS}, {NOW_MS} + ?, {NOW_MS} + ?, ?) "
          + "RETURNING expires_at";
  static final String REVOKE_JOB_LINKS = "UPDATE links SET revoked = 1, campaign_at = NULL "
      + "WHERE job_id = ? AND revoked = 0 AND expires_at > {NOW_MS} RETURNING id";
  static final String STOP_JOB_WATCHES = "UPDATE items SET watch_next_at = NULL, watch_owner = NULL "
      + "WHERE job_id = ? AND " + AWAITS_SIGN_IN + " AND watch_next_at IS NOT NULL";
  private static final String DUE_WATCHES = "SELECT id FROM items WHERE " + AWAITS_SIGN_IN + " "
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
        + "AND " + AWAITS_SIGN_IN + " "
        + "RETURNING id, job_id, account, account_connector_id, connector_id, watch_interval");
  }

  /** Parameters: interval, delay, itemId, node. */
  static final String WATCH_AGAIN = "UPDATE items SET watch_interval = ?, watch_next_at = {NOW_MS} + ?, "
      + "watch_owner = NULL WHERE id = ? AND " + AWAITS_SIGN_IN + " AND watch_owner = ?";
  static final String STOP_WATCH =
      "UPDATE items SET watch_next_at = NULL, watch_owner = NULL WHERE id = ? AND " + AWAITS_SIGN_IN;
  static final String EXPIRE_WATCHES = "UPDATE items SET watch_next_at = NULL, watch_owner = NULL "
      + "WHERE " + AWAITS_SIGN_IN + " AND watch_next_at IS NOT NULL AND watch_next_at <= {NOW_MS} "
      + "AND watch_until <= {NOW_MS}";
  static final String NEXT_WATCH_DUE = "SELECT MIN(watch_next_at) - {NOW_MS} FROM items "
      + "WHERE " + AWAITS_SIGN_IN + " AND watch_next_at IS NOT NULL AND watch_until > {NOW_MS}";
  /**
   * Parameters: now, itemId. Not conditional on the watch's owner: whoever sees the sign-in records it, once. A sign-in
   * again (after REAUTH_REQUIRED) keeps the first sign-in's time, which the funnel measures.
   */
  static final String MARK_AUTHENTICATED = "UPDATE items SET status = 'AUTHENTICATED', watch_next_at = NULL, "
      + "watch_owner = NULL, updated_at = ?, signed_in_at = COALESCE(signed_in_at, {NOW_MS}) "
      + "WHERE id = ? AND " + AWAITS_SIGN_IN + " "
      + "RETURNING id, job_id, account, connector_id";
  /** Signed in: the item's links have no campaign step left (no reminder, no expiry). */
  static final String END_CAMPAIGNS =
      "UPDATE links SET campaign_at = NULL WHERE item_id = ? AND campaign_at IS NOT NULL";
  static final String JOB_SPEC = "SELECT spec FROM jobs WHERE id = ?";
  /** Parameters: interval, delay, itemId. Only while the watch runs (not expired, not cancelled). */
  static final String VISITED = "UPDATE items SET watch_interval = ?, watch_next_at = {NOW_MS} + ?, "
      + "watch_owner = NULL WHERE id = ? AND " + AWAITS_SIGN_IN + " AND watch_until > {NOW_MS} "
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
