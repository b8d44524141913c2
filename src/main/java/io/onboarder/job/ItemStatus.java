package io.onboarder.job;

import java.util.EnumSet;
import java.util.Set;

/** Lifecycle of one (account × connector) item, with the allowed transitions in one place. */
public enum ItemStatus {
  PENDING, RUNNING, INSTALLED, ALREADY_INSTALLED, OAUTH_PENDING, AUTHENTICATED, FAILED, CANCELLED,
  /** The tenant did not sign in before the link expired (the job's signIn.expireAfterHours, else LINKS_TTL_HOURS). */
  SIGN_IN_EXPIRED,
  /**
   * The tenant had signed in, and a credential health check found the sign-in lost at Cyclr (a revoked grant, a
   * changed password): a fresh link went out and the sign-in watch waits for the tenant again. Terminal for the
   * job like OAUTH_PENDING (a finished job stays finished; its counts and reports show the item), not succeeded.
   */
  REAUTH_REQUIRED;

  /**
   * Final for the job: the job finishes when none of its items is PENDING or RUNNING. OAUTH_PENDING is
   * terminal in that sense, yet it may still move on to AUTHENTICATED (the sign-in watch) after the job finished;
   * so are AUTHENTICATED and REAUTH_REQUIRED, which credential health checks move back and forth.
   */
  public boolean terminal() {
    return this != PENDING && this != RUNNING;
  }

  public boolean succeeded() {
    return this == INSTALLED || this == ALREADY_INSTALLED || this == OAUTH_PENDING || this == AUTHENTICATED;
  }

  public Set<ItemStatus> next() {
    return switch (this) {
      // PENDING → RUNNING when claimed; → CANCELLED by cancel or the failure policy.
      case PENDING -> EnumSet.of(RUNNING, CANCELLED);
      // RUNNING → PENDING only when work is handed back (shutdown, crash recovery) untried;
      // → CANCELLED for a dry run's "would install".
      case RUNNING -> EnumSet.of(PENDING, INSTALLED, ALREADY_INSTALLED, OAUTH_PENDING, FAILED, CANCELLED);
      // retry re-runs failed items only.
      case FAILED -> EnumSet.of(PENDING);
      // The tenant signed in: noticed by the sign-in watch or on return through /connect/{token}/done.
      // Or its link expired first (the sign-in campaign).
      case OAUTH_PENDING -> EnumSet.of(AUTHENTICATED, SIGN_IN_EXPIRED);
      // A credential health check found the sign-in lost at Cyclr.
      case AUTHENTICATED -> EnumSet.of(REAUTH_REQUIRED);
      // The tenant signed in again through the fresh link (a recovered connection).
      case REAUTH_REQUIRED -> EnumSet.of(AUTHENTICATED);
      default -> EnumSet.noneOf(ItemStatus.class);
    };
  }

  /** Waiting for the tenant to sign in (first time or again): the sign-in watch polls it and its link opens. */
  public boolean awaitsSignIn() {
    return this == OAUTH_PENDING || this == REAUTH_REQUIRED;
  }

  public boolean canMoveTo(ItemStatus target) {
    return next().contains(target);
  }

  public static ItemStatus parse(String s) {
    try {
      return s == null ? null : valueOf(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
