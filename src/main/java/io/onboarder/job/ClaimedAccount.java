package io.onboarder.job;

import io.vertx.core.json.JsonArray;
import java.util.List;

/**
 * An account of a job with a template, just leased to this node for one account step, with the
 * statuses of its items in that job (the decision to run the step is made in Java, see
 * {@link AccountReadiness}). {@code halted}: the job was cancelled or stopped; {@code recovered}: the
 * previous owner's step may have sent a template install (lease expired, or the process died);
 * {@code nowMs}: the database clock at the claim; {@code watchUntil}: when a sign-in watch gives up.
 */
public record ClaimedAccount(long id, String jobId, String account, AccountStatus status, AccountPhase phase,
                             String cycleId, JsonArray signIns, int attempts, boolean recovered, boolean halted,
                             Long watchInterval, Long watchUntil, long nowMs, List<ItemState> items) {

  /**
   * One item of the account in the job: its status name (a status this build may not know), error code, and
   * account connector id.
   */
  public record ItemState(String status, String errorCode, Long accountConnectorId) {
    public ItemState(String status, String errorCode) {
      this(status, errorCode, null);
    }
  }

  /**
   * Account connectors an item of the job already stands for (installed by the job, or a sign-in the template
   * brought): a re-check sends no second sign-in link for them.
   */
  public JsonArray linked() {
    JsonArray ids = new JsonArray();
    items.stream().map(ItemState::accountConnectorId).filter(java.util.Objects::nonNull).distinct()
        .forEach(ids::add);
    return ids;
  }
}
