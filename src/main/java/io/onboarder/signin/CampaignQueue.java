package io.onboarder.signin;

import io.onboarder.lease.LeaseQueue;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sign-in campaigns as a {@link LeaseQueue}: due steps (reminders, expiries) leased to this node, each
 * taken in its own transaction that writes its event, only while this node still holds it; a dead node's
 * claims come due again when their lease lapses. An expiry whose tenant turned out to be signed in at
 * Cyclr is recorded as the sign-in instead.
 */
final class CampaignQueue implements LeaseQueue<Campaigns.Due, CampaignQueue.Taken> {
  private static final Logger log = LoggerFactory.getLogger(CampaignQueue.class);
  /** Never look at the store again sooner than this while nothing is due. */
  private static final long MIN_SLEEP_MS = 20;

  /** A step ready to be taken; {@code signedIn}: the expiry's check found the tenant signed in at Cyclr. */
  record Taken(Campaigns.Due due, boolean signedIn) {}

  private final Campaigns campaigns;
  private final SignIns signIns;
  private final String nodeId;
  private final long leaseMs;

  CampaignQueue(Campaigns campaigns, SignIns signIns, String nodeId, long leaseMs) {
    this.campaigns = campaigns;
    this.signIns = signIns;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
  }

  @Override
  public Future<List<Campaigns.Due>> claim(int max) {
    return campaigns.claimDue(nodeId, max, leaseMs);
  }

  @Override
  public Future<List<Taken>> record(List<Taken> outcomes) {
    return LeaseQueue.recordInTurn(outcomes, this::take);
  }

  private Future<Boolean> take(Taken t) {
    Campaigns.Due d = t.due();
    if (t.signedIn()) {
      return signIns.markAuthenticated(d.itemId()).map(a -> {
        SignedIn.noted(a, "the check before its link expired");
        return true;
      });
    }
    return campaigns.step(nodeId, d).map(stepped -> {
      switch (stepped) {
        case REMINDED -> LogKeys.item(log.atInfo(), d.jobId(), d.itemId(), d.account())
            .log("job {}: item {} ({}) reminded to sign in (reminder {})", d.jobId(), d.itemId(), d.account(),
                d.reminder());
        case EXPIRED -> LogKeys.item(log.atInfo(), d.jobId(), d.itemId(), d.account())
            .log("job {}: item {} ({}) is SIGN_IN_EXPIRED: its link expired before a sign-in", d.jobId(), d.itemId(),
                d.account());
        default -> { }
      }
      return stepped != Campaigns.Stepped.LOST;
    });
  }

  /** A claim that lands while the node stops lapses: whoever runs next takes the step. */
  @Override
  public Future<Void> release(List<Campaigns.Due> unsent) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Long> nextDueInMs() {
    return campaigns.nextDueInMs().map(ms -> ms == null ? null : Math.max(MIN_SLEEP_MS, ms));
  }
}
