package io.onboarder.signin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;

/**
 * Durable state of sign-in campaigns, in the job store's database, shared by every node: each relay link's
 * next step (a reminder, then its expiry) with its due time, leased like the sign-in watch and taken by one
 * conditional write, so that a reminder goes out once per tenant and step cluster-wide, across restarts;
 * the funnel's marks (page shown, Connect pressed); revocation of one item's link. Due times and validity
 * are decided on the database's clock. Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface Campaigns {

  /**
   * A link's campaign step that came due, leased to one node: reminder number {@code reminder} (1-based), or
   * its expiry ({@code reminder} 0). Times are on the database clock; {@code account} and
   * {@code accountConnectorId} let an expiry check at Cyclr first whether the tenant signed in after all.
   */
  record Due(long linkId, long itemId, String jobId, String account, Long accountConnectorId, int remindersSent,
             int reminder, long nextAtMs) {
    public boolean expiry() {
      return reminder == 0;
    }
  }

  /** What taking a step did. */
  enum Stepped {
    /** The reminder's event (and webhook) was written. */
    REMINDED,
    /** The item is SIGN_IN_EXPIRED now (its event and webhook written). */
    EXPIRED,
    /** Nothing left to do for the link (signed in, revoked or reissued meanwhile): its campaign ended. */
    ENDED,
    /** Another node holds the step now (this node's lease lapsed), or took it already: nothing written. */
    LOST
  }

  /**
   * The funnel of a set of jobs, tenants (items with a relay link) at each stage: {@code issued} a link,
   * {@code opened} its page, {@code started} (pressed Connect, a Cyclr sign-in token minted),
   * {@code authenticated}, {@code reminded} at least once, {@code expired}; and the median time from the
   * first link to the sign-in (null before any).
   */
  record Funnel(long issued, long opened, long started, long authenticated, long reminded, long expired,
                Double medianSecondsToSignIn) {
    public JsonObject toJson() {
      return new JsonObject().put("issued", issued).put("opened", opened).put("started", started)
          .put("authenticated", authenticated).put("reminded", reminded).put("expired", expired)
          .put("medianSecondsToSignIn", medianSecondsToSignIn);
    }
  }

  /** The most jobs one funnel query takes (a fleet's steps are a handful of jobs). */
  int MAX_FUNNEL_JOBS = 1_000;

  /** Leases up to {@code max} due campaign steps to {@code node} for {@code leaseMs}, earliest due first. */
  Future<List<Due>> claimDue(String node, int max, long leaseMs);

  /**
   * Takes a claimed step: a reminder's oauth event with {@code reminder} and webhook {@code item.sign_in_reminder},
   * or the expiry (item SIGN_IN_EXPIRED, its event and webhook {@code item.sign_in_expired}), with the link's next
   * step, in one transaction; only while {@code node} holds the step and nobody took it yet.
   */
  Future<Stepped> step(String node, Due due);

  /** Milliseconds until the next step is due (0 if one is due now), or null when no campaign runs. */
  Future<Long> nextDueInMs();

  /** The link's page was shown (a GET): true the first time only. */
  Future<Boolean> opened(String token);

  /** Connect was pressed and a Cyclr sign-in token minted for the link: true the first time only. */
  Future<Boolean> started(String token);

  /**
   * Revokes the item's link(s) that still work and ends its watch and campaign; returns how many links. NOT_FOUND
   * for an item not in the job, CONFLICT when it has no link that still works.
   */
  Future<Integer> revoke(String jobId, long itemId);

  /** The funnel over {@code jobIds} (at most {@link #MAX_FUNNEL_JOBS}): one job, or the step jobs of a fleet. */
  Future<Funnel> funnel(Collection<String> jobIds);
}
