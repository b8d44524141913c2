package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.onboarder.job.StoreException.Kind;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;
import org.sqlite.SQLiteException;

/**
 * Classifies a database failure once, for both back ends, from what the driver says in types and
 * codes (PostgreSQL SQLStates, SQLite result codes, connection and pool exceptions), never from
 * message text.
 */
final class StoreFailures {
  // SQLite primary result codes (the low byte of an extended code): https://sqlite.org/rescode.html
  private static final int SQLITE_BUSY = 5;
  private static final int SQLITE_LOCKED = 6;
  private static final int SQLITE_READONLY = 8;
  private static final int SQLITE_IOERR = 10;
  private static final int SQLITE_FULL = 13;
  private static final int SQLITE_CANTOPEN = 14;
  private static final int SQLITE_CONSTRAINT = 19;
  private static final int SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
  private static final int SQLITE_CONSTRAINT_UNIQUE = 2067;

  private StoreFailures() {}

  /** {@code err} as a store failure; one already classified is returned as it is. */
  static StoreException classify(Throwable err) {
    if (err instanceof StoreException e) {
      return e;
    }
    return new StoreException(kindOf(err), String.valueOf(err.getMessage()), err);
  }

  static Kind kindOf(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      Kind kind = kindOfOne(t);
      if (kind != null) {
        return kind;
      }
    }
    return Kind.FAILED;
  }

  private static Kind kindOfOne(Throwable t) {
    if (t instanceof StoreException e) {
      return e.kind();
    }
    if (t instanceof SQLiteException e) {
      return sqlite(e.getResultCode().code);
    }
    if (t instanceof DatabaseException e) {
      return sqlState(e.getSqlState());
    }
    if (t instanceof SQLException e) {
      Kind kind = sqlState(e.getSQLState());
      return kind != null ? kind : sqlite(e.getErrorCode());
    }
    if (t instanceof ConnectException || t instanceof ClosedConnectionException || t instanceof TimeoutException
        || t instanceof ClosedChannelException || t instanceof io.vertx.core.impl.NoStackTraceTimeoutException) {
      return Kind.UNAVAILABLE;
    }
    // The SQL pool fails an acquisition with a bare VertxException when it is closed or its wait timed out.
    if (t.getClass() == VertxException.class) {
      return Kind.UNAVAILABLE;
    }
    return null;
  }

  /** PostgreSQL (and JDBC) SQLStates: https://www.postgresql.org/docs/current/errcodes-appendix.html */
  static Kind sqlState(String state) {
    if (state == null) {
      return null;
    }
    return switch (state) {
      case "53100" -> Kind.DISK_FULL; // disk_full
      case "23505" -> Kind.DUPLICATE; // unique_violation
      case "53300", "57P01", "57P02", "57P03", "25006" -> Kind.UNAVAILABLE; // too many connections, shutdown, read only
      default -> state.startsWith("08") ? Kind.UNAVAILABLE : null; // connection exceptions
    };
  }

  static Kind sqlite(int code) {
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Kind.DUPLICATE;
    }
    return switch (code & 0xff) {
      case SQLITE_FULL -> Kind.DISK_FULL;
      case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN -> Kind.UNAVAILABLE;
      case SQLITE_CONSTRAINT -> null;
      default -> null;
    };
  }
}
