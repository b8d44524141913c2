package io.onboarder.store;

import io.onboarder.signin.LinkMints;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;

/**
 * The mint counter of each relay link, on its row of the links table: one conditional update takes a
 * mint, so two nodes racing for the last one of a window cannot both get it.
 */
final class SqlLinkMints implements LinkMints {
  /**
   * Takes one sign-in token mint of a link, if its window (started by its first mint) has room; a window
   * older than its length starts again. Parameters: window, window, tokenHash, window, max. One row: taken.
   */
  static final String TAKE_MINT = "UPDATE links SET "
      + "mints = CASE WHEN mint_window_at <= {NOW_MS} - ? THEN 1 ELSE mints + 1 END, "
      + "mint_window_at = CASE WHEN mint_window_at <= {NOW_MS} - ? THEN {NOW_MS} ELSE mint_window_at END "
      + "WHERE token_hash = ? AND (mint_window_at <= {NOW_MS} - ? OR mints < ?)";
  /** Milliseconds until a link's mint window ends. Parameters: window, tokenHash. */
  static final String MINT_WINDOW_LEFT = "SELECT mint_window_at + ? - {NOW_MS} FROM links WHERE token_hash = ?";

  private final Database db;

  SqlLinkMints(Database db) {
    this.db = db;
  }

  @Override
  public Future<Long> takeMint(String token, int max, long windowMs) {
    String hash = SecretBox.sha256Hex(token);
    return db.query(TAKE_MINT, Tuple.of(windowMs, windowMs, hash, windowMs, max))
        .compose(rows -> rows.rowCount() > 0 ? Future.succeededFuture(0L)
            : db.query(MINT_WINDOW_LEFT, Tuple.of(windowMs, hash))
                .map(left -> left.size() == 0 ? windowMs : Math.max(1L, left.iterator().next().getLong(0))));
  }
}
