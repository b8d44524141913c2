package io.onboarder.config;

import java.util.List;

/**
 * The webhook event types by their public names: what {@code WEBHOOK_EVENTS} may list (the default is
 * all). Here, beside the settings that check them, so that the configuration depends on nothing else;
 * which status raises which type is {@code webhook/WebhookTypes}.
 */
public final class WebhookTypeNames {
  private WebhookTypeNames() {}

  public static final String ITEM_OAUTH_PENDING = "item.oauth_pending";
  public static final String ITEM_AUTHENTICATED = "item.authenticated";
  public static final String ITEM_FAILED = "item.failed";
  /** A tenant who has not signed in yet is reminded (the job's signIn.remindAfterHours), with the same link. */
  public static final String ITEM_SIGN_IN_REMINDER = "item.sign_in_reminder";
  /** The link expired before the tenant signed in: the item is SIGN_IN_EXPIRED. */
  public static final String ITEM_SIGN_IN_EXPIRED = "item.sign_in_expired";
  /** A signed-in item whose sign-in a credential health check found lost (item REAUTH_REQUIRED). */
  public static final String ITEM_DEAUTHENTICATED = "item.deauthenticated";
  public static final String JOB_FINISHED = "job.finished";
  public static final String ACCOUNT_ACTIVE = "account.active";
  public static final String ACCOUNT_SETUP_REQUIRED = "account.setup_required";
  public static final String ACCOUNT_FAILED = "account.failed";
  /** A fleet's apply ended, or a reconcile found a drifted fleet back as specified. */
  public static final String FLEET_CONVERGED = "fleet.converged";
  /** A reconcile found drift (or the drift of a drifted fleet changed). */
  public static final String FLEET_DRIFTED = "fleet.drifted";
  /** A step of a fleet's apply failed more than its policy allows. */
  public static final String FLEET_HALTED = "fleet.halted";

  /** Every type a receiver can subscribe to. */
  public static final List<String> ALL = List.of(ITEM_OAUTH_PENDING, ITEM_AUTHENTICATED, ITEM_FAILED, JOB_FINISHED,
      ACCOUNT_ACTIVE, ACCOUNT_SETUP_REQUIRED, ACCOUNT_FAILED, ITEM_SIGN_IN_REMINDER, ITEM_SIGN_IN_EXPIRED,
      ITEM_DEAUTHENTICATED, FLEET_CONVERGED, FLEET_DRIFTED, FLEET_HALTED);
}
