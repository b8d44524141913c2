package io.onboarder.signin;

import io.onboarder.job.ItemStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Durable state of relay links and of the sign-in watch, in the job store's database, shared by every
 * node. Tokens go in and out only as the opaque strings of the links; the store keeps their SHA-256 and
 * decides validity (expiry on the database clock, revocation). Watches are leased like items: a due
 * watch is claimed by one node at a time. The link policy (public URL, lifetimes, watch intervals) is
 * given to the implementation when it is built. Failures are {@link io.onboarder.job.StoreException}s
 * (NOT_FOUND, CONFLICT for the link rules below).
 */
public interface SignIns {

  /** An OAUTH_PENDING item due for a poll at Cyclr, claimed by one node until its lease lapses. */
  record Watched(long itemId, String jobId, String account, Long accountConnectorId, Long connectorId,
                 long intervalMs) {}

  /** An item that this call moved from OAUTH_PENDING to AUTHENTICATED (exactly one caller gets it). */
  record Authenticated(long itemId, String jobId, String account, Long connectorId) {}

  /** What a relay link leads to, as the public pages need it. */
  record LinkView(long itemId, String jobId, String account, Long accountConnectorId, Long connectorId,
                  String connectorName, ItemStatus status, boolean expired, boolean revoked, String expiresAt,
                  JsonObject jobSpec) {
    /** Unknown, expired or revoked links lead nowhere (410); a signed-in item outlives its link's use. */
    public boolean usable() {
      return !expired && !revoked;
    }

    public JsonObject oauth() {
      return jobSpec.getJsonObject("oauth", new JsonObject());
    }
  }

  /** An item that may get a sign-in link: what the link and its event need. */
  record LinkTarget(long itemId, String jobId, String account, Long accountConnectorId, Long connectorId,
                    String connectorName) {}

  /** A link just issued (relay or raw) for {@code target}: {@code url}, and {@code expiresAt} of that url. */
  record IssuedLink(LinkTarget target, String url, String cyclrUrl, String expiresAt) {}

  // ---- watch ---------------------------------------------------------------------------------

  /** Leases up to {@code max} due watches to {@code node} for {@code leaseMs}, earliest due first. */
  Future<List<Watched>> claimWatches(String node, int max, long leaseMs);

  /**
   * Not signed in yet: polls again in {@code delayMs}, at {@code intervalMs} from then on. Only while
   * {@code node} holds the watch (a lapsed lease lets another node's schedule stand); false otherwise.
   */
  Future<Boolean> watchAgain(String node, long itemId, long intervalMs, long delayMs);

  /** The account connector is gone at Cyclr: nothing left to watch. */
  Future<Void> stopWatch(long itemId);

  /** Ends the watches whose link expired (no poll); returns how many. */
  Future<Integer> expireWatches();

  /** Milliseconds until the next watch is due (0 if one is due now), or null when nothing is watched. */
  Future<Long> nextWatchDueInMs();

  /**
   * OAUTH_PENDING → AUTHENTICATED, ending its watch, with its item event (and {@code item.authenticated}
   * webhook) in the same transaction; the item for the one caller that changed it, else null.
   */
  Future<Authenticated> markAuthenticated(long itemId);

  /** The tenant is at Cyclr now (a Connect or a return): poll soon again, from the first interval. */
  Future<Void> visited(long itemId);

  // ---- links ---------------------------------------------------------------------------------

  /** The link a token opens, or null for a token no link has (never issued, or forged). */
  Future<LinkView> link(String token);

  /**
   * A new relay link for an OAUTH_PENDING item of the job, the old ones revoked, the watch restarted and
   * its oauth event written, in one transaction. NOT_FOUND for an item not in the job, CONFLICT for one that
   * needs no sign-in or a cancelled job.
   */
  Future<IssuedLink> reissue(String jobId, long itemId);

  /** The item a raw (Cyclr) link may be minted for; the same NOT_FOUND/CONFLICT rules as {@link #reissue}. */
  Future<LinkTarget> linkTarget(String jobId, long itemId);

  /** Records a raw Cyclr URL minted for the item and restarts its watch (and writes its oauth event). */
  Future<Void> rawLinkIssued(LinkTarget target, String url, String expiresAt);

  /** Revokes the job's links that still work and ends its watches; returns how many links were revoked. */
  Future<Integer> revokeLinks(String jobId);
}
