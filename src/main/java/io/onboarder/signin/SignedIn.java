package io.onboarder.signin;

import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A tenant signed in: the item event, published by the one node whose store write made the change. */
final class SignedIn {
  private static final Logger log = LoggerFactory.getLogger(SignedIn.class);

  private SignedIn() {}

  /** {@code a} null: another caller recorded it first (and published). */
  static void publish(JobEvents events, SignInStore.Authenticated a, String by) {
    if (a == null) {
      return;
    }
    log.info("job {}: item {} ({}) is AUTHENTICATED, noticed by {}", a.jobId(), a.itemId(), a.account(), by);
    events.item(a.jobId(), a.itemId(), a.account(), a.connectorId(), ItemStatus.AUTHENTICATED, null);
  }
}
