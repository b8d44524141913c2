package io.onboarder.store;

/** What a store failure means, for both back ends, in one place. */
public final class StoreErrors {
  private StoreErrors() {}

  /** The database cannot grow: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100) or ENOSPC. */
  public static boolean isDiskFull(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("SQLITE_FULL") || m.contains("database or disk is full") || m.contains("53100")
          || m.contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }

  /** The database does not answer (down, restarting, unreachable, or this node is shutting down). */
  public static boolean isUnavailable(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof io.vertx.sqlclient.ClosedConnectionException) {
        return true;
      }
      String m = String.valueOf(t.getMessage()).toLowerCase();
      if (m.contains("connection refused") || m.contains("connection closed") || m.contains("timeout")
          || m.contains("pool closed") || m.contains("the database file") || m.contains("57p01")
          || m.contains("57p03")) {
        return true;
      }
    }
    return false;
  }
}
