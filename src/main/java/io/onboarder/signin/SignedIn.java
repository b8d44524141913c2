package io.onboarder.signin;

import io.onboarder.logs.LogKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant signed in. Its item event was written by the store with the change and is published after
 * the commit, by the one node whose write made it; here it is only logged.
 */
final class SignedIn {
  private static final Logger log = LoggerFactory.getLogger(SignedIn.class);

  private SignedIn() {}

  /** {@code a} null: another caller recorded it first (and published). */
  static void noted(SignIns.Authenticated a, String by) {
    if (a == null) {
      return;
    }
    LogKeys.item(log.atInfo(), a.jobId(), a.itemId(), a.account())
        .log("job {}: item {} ({}) is AUTHENTICATED, noticed by {}", a.jobId(), a.itemId(), a.account(), by);
  }
}
