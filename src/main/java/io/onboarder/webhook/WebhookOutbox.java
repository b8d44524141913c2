package io.onboarder.webhook;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The durable webhook outbox, shared by every node (rows are written by the job store in the same
 * transaction as the event they carry). Each delivery is leased to one sender at a time; the lease,
 * the due time and the retry window are measured on the database clock.
 */
public interface WebhookOutbox {

  /** A delivery leased for one attempt: its webhook-id, type, exact body, and attempts so far. */
  record Due(String id, String type, String payload, int attempts) {}

  /** A page of deliveries, newest first; {@code next} is the cursor of the next page or null. */
  record Page(List<JsonObject> deliveries, String next) {}

  /** Leases up to {@code max} due PENDING deliveries nobody holds to {@code node} for {@code leaseMs}. */
  Future<List<Due>> claimDue(String node, int max, long leaseMs);

  /** The receiver answered 2xx; false if {@code node} no longer held the lease. */
  Future<Boolean> delivered(String id, String node, int httpStatus);

  /**
   * An attempt failed ({@code httpStatus} null when no answer came); the delivery is due again in
   * {@code retryInMs}, or becomes FAILED if its retry window of {@code giveUpAfterMs} has passed.
   * Returns the new status (PENDING or FAILED), or null if {@code node} no longer held the lease.
   */
  Future<String> attemptFailed(String id, String node, Integer httpStatus, String error, long retryInMs,
                               long giveUpAfterMs);

  /** Hands back every lease {@code node} holds (a sender stopping). */
  Future<Integer> release(String node);

  /** Hands back every lease (single-process start-up: the previous process is gone). */
  Future<Integer> releaseAll();

  /**
   * A delivery, if {@code owner} may see it (null = every owner), as JSON; null if there is none.
   */
  Future<JsonObject> delivery(String id, String owner);

  /** Deliveries newest first, optionally of one status and of one owner (null = all). */
  Future<Page> list(String status, String owner, int limit, String cursor);

  /** Replays a delivery: due now, same webhook-id, a fresh retry window; returns it, or null if not visible. */
  Future<JsonObject> replay(String id, String owner);

  /** Deletes up to {@code max} deliveries of {@code status} settled before {@code before} (ISO-8601); returns how many. */
  Future<Integer> prune(String status, String before, int max);

  /** Deliveries by status, for metrics and the listing. */
  Future<JsonObject> counts();
}
