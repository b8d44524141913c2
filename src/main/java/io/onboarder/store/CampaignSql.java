package io.onboarder.store;

/**
 * The SQL of sign-in campaigns (reminders, expiry, revocation) and of the sign-in funnel, beside
 * {@link SignInSql}. Times are epoch milliseconds on the database's clock.
 */
final class CampaignSql {
  private CampaignSql() {}

  private static final String DUE = "SELECT id FROM links WHERE campaign_at IS NOT NULL AND campaign_at <= {NOW_MS} "
      + "AND revoked = 0 ORDER BY campaign_at LIMIT ?";

  /**
   * Parameters: node, leaseMs, max. A claim moves the step past its lease, so that nobody else sees it due while
   * this node takes it; a node that dies just lets it come due again. PostgreSQL: SKIP LOCKED, so two nodes
   * claiming at once take disjoint sets.
   */
  static String claimDue(SqlDialect d) {
    return d.sql("UPDATE links SET campaign_owner = ?, campaign_at = {NOW_MS} + ? WHERE id IN (" + DUE
        + (d == SqlDialect.POSTGRES ? " FOR UPDATE SKIP LOCKED" : "") + ") "
        + "RETURNING id, item_id, job_id, account_connector_id, created_at, expires_at, campaign_plan, reminders_sent, "
        + "{NOW_MS} AS now_ms, (SELECT i.account FROM items i WHERE i.id = links.item_id) AS account");
  }

  /**
   * Parameters: sent, nextAt, linkId, node, sentBefore. Takes a reminder: only while this node holds it, nobody
   * sent it yet, the link works and its tenant has not signed in (a first sign-in, or again after a credential health
   * check found it lost: REAUTH_REQUIRED). One row: this call took it.
   */
  static final String TAKE_REMINDER = "UPDATE links SET reminders_sent = ?, campaign_at = ?, campaign_owner = NULL "
      + "WHERE id = ? AND campaign_owner = ? AND reminders_sent = ? AND revoked = 0 AND campaign_at IS NOT NULL "
      + "AND expires_at > {NOW_MS} "
      + "AND EXISTS (SELECT 1 FROM items i WHERE i.id = links.item_id AND i." + SignInSql.AWAITS_SIGN_IN + ") "
      + "RETURNING salt, token_hash, expires_at";
  /** Parameters: linkId, node. Takes the expiry step: the link has expired and this node holds it. */
  static final String TAKE_EXPIRY = "UPDATE links SET campaign_at = NULL, campaign_owner = NULL WHERE id = ? "
      + "AND campaign_owner = ? AND revoked = 0 AND campaign_at IS NOT NULL AND expires_at <= {NOW_MS}";
  /** Parameters: now (ISO), itemId. */
  static final String EXPIRE_ITEM = "UPDATE items SET status = 'SIGN_IN_EXPIRED', watch_next_at = NULL, "
      + "watch_owner = NULL, updated_at = ? WHERE id = ? AND status = 'OAUTH_PENDING' "
      + "RETURNING id, job_id, account, connector_id";
  /**
   * Parameters: linkId, node. A step that cannot be taken because the tenant signed in or the link was revoked
   * meanwhile: its campaign ends. One row: ended.
   */
  static final String END_STEP = "UPDATE links SET campaign_at = NULL, campaign_owner = NULL WHERE id = ? "
      + "AND campaign_owner = ? AND (revoked = 1 OR NOT EXISTS (SELECT 1 FROM items i WHERE i.id = links.item_id "
      + "AND i." + SignInSql.AWAITS_SIGN_IN + "))";
  static final String NEXT_DUE = "SELECT MIN(campaign_at) - {NOW_MS} FROM links WHERE campaign_at IS NOT NULL";

  /** Parameters: tokenHash. The first view of a link's page. */
  static final String OPENED = "UPDATE links SET opened_at = {NOW_MS} WHERE token_hash = ? AND opened_at IS NULL";
  /** Parameters: tokenHash. The first Connect through a link. */
  static final String STARTED = "UPDATE links SET started_at = {NOW_MS} WHERE token_hash = ? AND started_at IS NULL";

  static final String ITEM_IN_JOB = "SELECT status FROM items WHERE id = ? AND job_id = ?";
  /** Parameters: itemId, jobId. The item's links that still work, revoked, their campaign ended. */
  static final String REVOKE_ITEM = "UPDATE links SET revoked = 1, campaign_at = NULL, campaign_owner = NULL "
      + "WHERE item_id = ? AND job_id = ? AND revoked = 0 AND expires_at > {NOW_MS} RETURNING id";

  /** {IN}: the job ids' placeholders. Tenants (items) with a link at each stage of the funnel. */
  static final String FUNNEL_LINKS = "SELECT COUNT(DISTINCT item_id) AS issued, "
      + "COUNT(DISTINCT CASE WHEN opened_at IS NOT NULL THEN item_id END) AS opened, "
      + "COUNT(DISTINCT CASE WHEN started_at IS NOT NULL THEN item_id END) AS started, "
      + "COUNT(DISTINCT CASE WHEN reminders_sent > 0 THEN item_id END) AS reminded FROM links WHERE job_id IN ({IN})";
  static final String FUNNEL_ITEMS = "SELECT COUNT(CASE WHEN status = 'AUTHENTICATED' THEN 1 END) AS authenticated, "
      + "COUNT(CASE WHEN status = 'SIGN_IN_EXPIRED' THEN 1 END) AS expired FROM items i WHERE job_id IN ({IN}) "
      + "AND status IN ('AUTHENTICATED', 'SIGN_IN_EXPIRED') AND EXISTS (SELECT 1 FROM links l WHERE l.item_id = i.id)";
  /** Milliseconds from an item's first link to its sign-in, of the signed-in items with a link. */
  private static final String TIMES_TO_SIGN_IN = "SELECT i.signed_in_at - (SELECT MIN(l.created_at) FROM links l "
      + "WHERE l.item_id = i.id) AS ms FROM items i WHERE i.job_id IN ({IN}) AND i.status = 'AUTHENTICATED' "
      + "AND i.signed_in_at IS NOT NULL AND EXISTS (SELECT 1 FROM links l WHERE l.item_id = i.id)";
  static final String COUNT_SIGN_INS = "SELECT COUNT(*) FROM (" + TIMES_TO_SIGN_IN + ") t";
  /** Parameters: the job ids, then offset: the one or two middle times (LIMIT 2 from the lower middle). */
  static final String MIDDLE_SIGN_INS = "SELECT ms FROM (" + TIMES_TO_SIGN_IN + ") t ORDER BY ms LIMIT 2 OFFSET ?";
}
