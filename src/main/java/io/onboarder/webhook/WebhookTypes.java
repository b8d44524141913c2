package io.onboarder.webhook;

import static io.onboarder.config.WebhookTypeNames.ACCOUNT_ACTIVE;
import static io.onboarder.config.WebhookTypeNames.ACCOUNT_FAILED;
import static io.onboarder.config.WebhookTypeNames.ACCOUNT_SETUP_REQUIRED;
import static io.onboarder.config.WebhookTypeNames.ITEM_AUTHENTICATED;
import static io.onboarder.config.WebhookTypeNames.ITEM_DEAUTHENTICATED;
import static io.onboarder.config.WebhookTypeNames.ITEM_FAILED;
import static io.onboarder.config.WebhookTypeNames.ITEM_OAUTH_PENDING;
import static io.onboarder.config.WebhookTypeNames.ITEM_SIGN_IN_EXPIRED;
import static io.onboarder.config.WebhookTypeNames.ITEM_SIGN_IN_REMINDER;
import static io.onboarder.config.WebhookTypeNames.JOB_FINISHED;

import io.onboarder.job.JobStatus;
import java.util.Map;

/**
 * Which events become webhooks, table-driven: an item reaching a status in {@link #BY_ITEM_STATUS},
 * and a job reaching a final status. Keyed by the status name: a status that should notify is one
 * more line here (and a name in {@link io.onboarder.config.WebhookTypeNames}).
 */
public final class WebhookTypes {
  private WebhookTypes() {}

  /** Item status → webhook type; one line per status that notifies. */
  private static final Map<String, String> BY_ITEM_STATUS = Map.of(
      "OAUTH_PENDING", ITEM_OAUTH_PENDING,
      "AUTHENTICATED", ITEM_AUTHENTICATED,
      "FAILED", ITEM_FAILED,
      "SIGN_IN_EXPIRED", ITEM_SIGN_IN_EXPIRED,
      "REAUTH_REQUIRED", ITEM_DEAUTHENTICATED);

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

  /** The webhook type of a sign-in reminder (an {@code onboarder.events.oauth} event with {@code reminder}). */
  public static String forReminder() {
    return ITEM_SIGN_IN_REMINDER;
  }

  /** The webhook type of a job that reached {@code status}: {@code job.finished} for a final one, else null. */
  public static String forJobStatus(JobStatus status) {
    return status.terminal() ? JOB_FINISHED : null;
  }
}
