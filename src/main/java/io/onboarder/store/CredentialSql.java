package io.onboarder.store;

/** The SQL of credential health checks, beside {@link SignInSql}. Times: epoch milliseconds, the database's clock. */
final class CredentialSql {
  private CredentialSql() {}

  /**
   * Parameters: interval, max. Items signed in but not scheduled yet get a due time in [now, now + interval): the
   * fraction is a hash of the id ({@code id * 40503 mod 65536}, a golden-ratio step, so consecutive ids land far
   * apart), so that items that signed in together are still checked apart and no random draw is needed.
   */
  static final String SCHEDULE = "UPDATE items SET health_next_at = {NOW_MS} + ((id * 40503) % 65536) * ? / 65536, "
      + "health_owner = NULL WHERE id IN (SELECT id FROM items WHERE status = 'AUTHENTICATED' "
      + "AND health_next_at IS NULL AND health_gone = 0 LIMIT ?) AND status = 'AUTHENTICATED'";

  private static final String DUE = "SELECT id FROM items WHERE health_next_at IS NOT NULL "
      + "AND health_next_at <= {NOW_MS} AND status = 'AUTHENTICATED' ORDER BY health_next_at LIMIT ?";

  /**
   * Parameters: node, leaseMs, max. A claim moves the check past its lease, so nobody else sees it due while this
   * node checks it; a node that dies lets it come due again. PostgreSQL: SKIP LOCKED, so two nodes take disjoint sets.
   */
  static String claim(SqlDialect d) {
    return d.sql("UPDATE items SET health_owner = ?, health_next_at = {NOW_MS} + ? WHERE id IN (" + DUE
        + (d == SqlDialect.POSTGRES ? " FOR UPDATE SKIP LOCKED" : "") + ") AND status = 'AUTHENTICATED' "
        + "AND account_connector_id IS NOT NULL "
        + "RETURNING id, job_id, account, account_connector_id, connector_id");
  }

  /** Parameters: delay, itemId, node. */
  static final String AGAIN = "UPDATE items SET health_next_at = {NOW_MS} + ?, health_owner = NULL "
      + "WHERE id = ? AND status = 'AUTHENTICATED' AND health_owner = ?";
  /** Parameters: delay, itemId, node. As {@link #AGAIN}, and Cyclr's answer was read now. */
  static final String CHECKED = "UPDATE items SET health_next_at = {NOW_MS} + ?, health_owner = NULL, "
      + "health_checked_at = {NOW_MS} WHERE id = ? AND status = 'AUTHENTICATED' AND health_owner = ?";
  /** Parameters: itemId, node. */
  static final String GONE = "UPDATE items SET health_next_at = NULL, health_owner = NULL, health_gone = 1, "
      + "health_checked_at = {NOW_MS} WHERE id = ? AND status = 'AUTHENTICATED' AND health_owner = ?";
  /**
   * Parameters: now, itemId, node. Not scheduled again while REAUTH_REQUIRED; once signed in again, the next sweep
   * schedules it like any newly signed-in item.
   */
  static final String LOST = "UPDATE items SET status = 'REAUTH_REQUIRED', health_next_at = NULL, "
      + "health_owner = NULL, health_checked_at = {NOW_MS}, updated_at = ? "
      + "WHERE id = ? AND status = 'AUTHENTICATED' AND health_owner = ? "
      + "RETURNING id, job_id, account, account_connector_id, connector_id, connector_name";
  static final String JOB_OAUTH = "SELECT cancel_requested, spec FROM jobs WHERE id = ?";
  static final String NEXT_DUE = "SELECT MIN(health_next_at) - {NOW_MS} FROM items WHERE health_next_at IS NOT NULL";
}
