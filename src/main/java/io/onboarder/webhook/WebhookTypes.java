package io.onboarder.webhook;

import io.onboarder.job.JobStatus;
import java.util.List;
import java.util.Map;

/**
 * Which events become webhooks, table-driven: an item reaching a status in {@link #BY_ITEM_STATUS},
 * and a job reaching a final status. Keyed by the status name: a status that should notify is one
 * more line here (and a type in {@link #ALL}).
 */
public final class WebhookTypes {
  private WebhookTypes() {}

  public static final String ITEM_OAUTH_PENDING = "item.oauth_pending";
  public static final String ITEM_AUTHENTICATED = "item.authenticated";
  public static final String ITEM_FAILED = "item.failed";
  public static final String JOB_FINISHED = "job.finished";
  public static final String ACCOUNT_ACTIVE = "account.active";
  public static final String ACCOUNT_SETUP_REQUIRED = "account.setup_required";
  public static final String ACCOUNT_FAILED = "account.failed";

  /** Every type a receiver can subscribe to ({@code WEBHOOK_EVENTS}; the default is all). */
  public static final List<String> ALL = List.of(ITEM_OAUTH_PENDING, ITEM_AUTHENTICATED, ITEM_FAILED, JOB_FINISHED,
      ACCOUNT_ACTIVE, ACCOUNT_SETUP_REQUIRED, ACCOUNT_FAILED);

  /** Item status → webhook type; one line per status that notifies. */
  private static final Map<String, String> BY_ITEM_STATUS = Map.of(
      "OAUTH_PENDING", ITEM_OAUTH_PENDING,
      "AUTHENTICATED", ITEM_AUTHENTICATED,
      "FAILED", ITEM_FAILED);

  /** Account status → webhook type; one line per status that notifies. */
  private static final Map<String, String> BY_ACCOUNT_STATUS = Map.of(
      "ACTIVE", ACCOUNT_ACTIVE,
      "SETUP_REQUIRED", ACCOUNT_SETUP_REQUIRED,
      "FAILED", ACCOUNT_FAILED);

  /** The webhook type of an account that reached {@code status}, or null if that status notifies nobody. */
  public static String forAccountStatus(String status) {
    return BY_ACCOUNT_STATUS.get(status);
  }

  /** The webhook type of an item that reached {@code status}, or null if that status notifies nobody. */
  public static String forItemStatus(String status) {
    return BY_ITEM_STATUS.get(status);
  }

  /** The webhook type of a job that reached {@code status}: {@code job.finished} for a final one, else null. */
  public static String forJobStatus(JobStatus status) {
    return status.terminal() ? JOB_FINISHED : null;
  }
}
