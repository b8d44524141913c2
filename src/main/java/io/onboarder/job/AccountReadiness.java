package io.onboarder.job;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When an account of a job with a template may go on to its template, decided in one place from the
 * statuses of its items in that job. An account goes on once every item is {@link #READY}; it waits
 * for its tenant while an item is OAUTH_PENDING (the sign-in watch moves it on); an account with a
 * FAILED item (or one whose sign-in expired) does not get the template.
 */
public final class AccountReadiness {
  /**
   * Item statuses that let the account go on: installed, already there, or signed in. Built from the
   * statuses this build knows, so AUTHENTICATED (the sign-in watch's status) counts as soon as it exists.
   */
  public static final Set<String> READY = Arrays.stream(ItemStatus.values()).map(Enum::name)
      .filter(Set.of("INSTALLED", "ALREADY_INSTALLED", "AUTHENTICATED")::contains)
      .collect(Collectors.toUnmodifiableSet());
  /** Statuses of an item still being worked on. */
  public static final Set<String> UNFINISHED = Set.of("PENDING", "RUNNING");
  /** An item that waits for its tenant to sign in. */
  public static final String SIGN_IN = "OAUTH_PENDING";
  /** An item whose tenant did not sign in before the link expired: the account does not get the template. */
  public static final String EXPIRED = "SIGN_IN_EXPIRED";
  /** The error code of a dry run's "would install" item. */
  public static final String DRY_RUN = "DRY_RUN";

  private AccountReadiness() {}

  /** What to do with a claimed account. */
  public enum Decision {
    /** Run the account step at Cyclr. */
    RUN,
    /** The job was cancelled or stopped, and a step may have sent an install: look at Cyclr, change nothing. */
    CHECK_ONLY,
    /** The job was cancelled or stopped before the account step started: it never will. */
    HALT,
    /** An item is still PENDING or RUNNING (a retry came in between): wait for it. */
    WAIT_ITEMS,
    /** An item waits for its tenant's sign-in. */
    WAIT_SIGN_IN,
    /** An item FAILED: the account does not get the template. */
    FAIL,
  }

  public static Decision decide(ClaimedAccount a, boolean dryRun) {
    if (a.halted()) {
      return a.recovered() ? Decision.CHECK_ONLY : Decision.HALT;
    }
    boolean signIn = false;
    boolean unknown = false;
    for (ClaimedAccount.ItemState i : a.items()) {
      if (UNFINISHED.contains(i.status())) {
        return Decision.WAIT_ITEMS;
      }
    }
    for (ClaimedAccount.ItemState i : a.items()) {
      String s = i.status();
      if (s.equals("FAILED") || s.equals(EXPIRED)) {
        return Decision.FAIL;
      }
      if (READY.contains(s)) {
        continue;
      }
      if (s.equals(SIGN_IN)) {
        signIn = true;
      } else if (s.equals("CANCELLED")) {
        // A dry run's "would install" is fine for a dry account step; any other cancel means the job stopped.
        if (!(dryRun && DRY_RUN.equals(i.errorCode()))) {
          return Decision.HALT;
        }
      } else {
        unknown = true;
      }
    }
    if (dryRun) {
      return Decision.RUN;
    }
    // A status this build does not know is not taken for ready: the account waits like for a sign-in.
    return signIn || unknown ? Decision.WAIT_SIGN_IN : Decision.RUN;
  }
}
