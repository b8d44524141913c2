package io.onboarder.job;

/**
 * The one way a store port fails: a {@link Kind} that callers act on (retry later, refuse with 507,
 * answer 409), classified once by the store from SQLState, SQLite result codes and exception types.
 * The message is for people (logs, a problem's detail); nothing decides on its text.
 */
public final class StoreException extends RuntimeException {

  /** What went wrong, as a caller needs to tell it apart. */
  public enum Kind {
    /** The database does not answer (down, restarting, unreachable, pool closed, this node shutting down). */
    UNAVAILABLE,
    /** The database cannot grow: nothing was written. */
    DISK_FULL,
    /** The change contradicts the record's state (a finished job cancelled, a key used for another request). */
    CONFLICT,
    /** A unique constraint refused the write (a concurrent writer won a race). */
    DUPLICATE,
    /** The record named does not exist. */
    NOT_FOUND,
    /** The caller passed something the store cannot use (a cursor it never issued). */
    INVALID,
    /** A streamed intake was deleted as stale while it was still being written. */
    ABANDONED,
    /** The database cannot be used as it is (a newer schema, a file another process holds): start-up stops. */
    REFUSED,
    /** Anything else: a bug or an unexpected database error. */
    FAILED
  }

  private final Kind kind;

  public StoreException(Kind kind, String message) {
    this(kind, message, null);
  }

  public StoreException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether {@code err} is a store failure of {@code kind}. */
  public static boolean is(Throwable err, Kind kind) {
    return err instanceof StoreException e && e.kind == kind;
  }

  @Override
  public String toString() {
    return "StoreException(" + kind + "): " + getMessage();
  }
}
