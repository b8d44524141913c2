package io.onboarder.job;

import io.onboarder.bus.Problem;
import io.onboarder.store.StoreErrors;

/**
 * The one mapping from a store failure to the problem a caller sees (status and problem type), for
 * every public address and route: a full disk is 507, a store that does not answer is 503 busy. The
 * store's classification of a failure is read in {@link #kindOf} alone.
 */
public final class StoreProblems {
  /** Seconds a caller waits before trying again while the store does not answer. */
  private static final long RETRY_UNREACHABLE_S = 5;

  private StoreProblems() {}

  /** What a store failure is, to a caller. */
  public enum Kind { DISK_FULL, UNAVAILABLE, OTHER }

  /** The store's own classification of {@code err}. */
  public static Kind kindOf(Throwable err) {
    return StoreErrors.isDiskFull(err) ? Kind.DISK_FULL
        : StoreErrors.isUnavailable(err) ? Kind.UNAVAILABLE
        : Kind.OTHER;
  }

  /** The problem of {@code err}: a problem as it is, a store failure by its kind; null for anything else. */
  public static Problem of(Throwable err) {
    if (err instanceof Problem p) {
      return p;
    }
    return switch (kindOf(err)) {
      case DISK_FULL -> diskFull();
      case UNAVAILABLE -> unreachable();
      case OTHER -> null;
    };
  }

  public static Problem diskFull() {
    return Problem.of(507, "disk-full", "Insufficient storage", "The job store's disk is full: nothing was "
        + "accepted. Try again once the operator has freed disk space.");
  }

  public static Problem unreachable() {
    return Problem.busy("The job store is unreachable; try again shortly.", RETRY_UNREACHABLE_S);
  }

  /** Anything else: the caller logs it; the answer says only that nothing was done. */
  public static Problem internal() {
    return Problem.of(500, "internal", "Internal error", "The request could not be completed; it was not "
        + "accepted.");
  }
}
