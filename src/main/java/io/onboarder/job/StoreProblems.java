package io.onboarder.job;

import io.onboarder.bus.Problem;

/**
 * The one mapping from a store failure to the problem a caller sees (status and problem type), for
 * every public address and route: a full disk is 507, a store that does not answer is 503 busy, a
 * conflict 409. Stores never build problems; they fail with a {@link StoreException} of a kind.
 */
public final class StoreProblems {
  /** Seconds a caller waits before trying again while the store does not answer. */
  private static final long RETRY_UNREACHABLE_S = 5;

  private StoreProblems() {}

  /** The store's classification of {@code err}; null when it is not a store failure. */
  public static StoreException.Kind kindOf(Throwable err) {
    return err instanceof StoreException e ? e.kind() : null;
  }

  /** The problem of {@code err}: a problem as it is, a store failure by its kind; null for anything else. */
  public static Problem of(Throwable err) {
    if (err instanceof Problem p) {
      return p;
    }
    if (!(err instanceof StoreException e)) {
      return null;
    }
    return switch (e.kind()) {
      case UNAVAILABLE -> unreachable();
      case DISK_FULL -> diskFull();
      case CONFLICT, DUPLICATE -> Problem.conflict(e.getMessage());
      case NOT_FOUND -> Problem.notFound(e.getMessage());
      case INVALID -> Problem.badRequest(e.getMessage());
      case ABANDONED -> Problem.unavailable(e.getMessage());
      case REFUSED, FAILED -> null;
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
