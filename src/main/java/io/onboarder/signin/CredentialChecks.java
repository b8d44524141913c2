package io.onboarder.signin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Durable state of credential health checks, in the job store's database, shared by every node. Each
 * AUTHENTICATED item has its own due time, spread over the interval by a hash of its id (never all at once);
 * a due check is leased to one node at a time, so every item is checked once per interval cluster-wide.
 * A lost sign-in is recorded in one transaction with everything it causes. Failures are
 * {@link io.onboarder.job.StoreException}s.
 */
public interface CredentialChecks {

  /** An AUTHENTICATED item due for a check at Cyclr, leased to one node until its lease lapses. */
  record Due(long itemId, String jobId, String account, long accountConnectorId, Long connectorId) {}

  /**
   * An item this call moved from AUTHENTICATED to REAUTH_REQUIRED (exactly one caller gets it). {@code url},
   * {@code expiresAt}: its fresh relay link (null without relay links, or in a cancelled job); {@code oauth} the
   * job's oauth options (for minting a raw Cyclr link instead).
   */
  record Lost(long itemId, String jobId, String account, long accountConnectorId, Long connectorId,
              String connectorName, String url, String expiresAt, boolean cancelled, JsonObject oauth) {}

  /**
   * Gives up to {@code max} AUTHENTICATED items that have no due time yet (just signed in, or signed in before
   * checks existed) one within {@code intervalMs} from now, spread by a hash of their id; returns how many.
   */
  Future<Integer> schedule(long intervalMs, int max);

  /** Leases up to {@code max} due checks to {@code node} for {@code leaseMs}, earliest due first. */
  Future<List<Due>> claim(String node, int max, long leaseMs);

  /**
   * The next check of the item in {@code delayMs}; {@code checked}: Cyclr said it is still signed in (the check
   * time is kept), else the check failed and is tried again. Only while {@code node} holds it; false otherwise.
   */
  Future<Boolean> again(String node, long itemId, long delayMs, boolean checked);

  /** The account connector is gone at Cyclr (404): the item is no longer checked. Only while {@code node} holds it. */
  Future<Boolean> gone(String node, long itemId);

  /**
   * Cyclr says the sign-in is lost: AUTHENTICATED → REAUTH_REQUIRED, the item's old links revoked, a fresh relay
   * link and the sign-in watch started again (as for a new sign-in), its item event (webhook
   * {@code item.deauthenticated}) and oauth event written, in one transaction; null if another caller did it first
   * or {@code node} no longer holds the check.
   */
  Future<Lost> lost(String node, long itemId);

  /** Milliseconds until the next check is due (0 if one is due now), or null when nothing is scheduled. */
  Future<Long> nextDueInMs();
}
