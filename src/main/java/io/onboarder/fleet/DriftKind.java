package io.onboarder.fleet;

/**
 * How a tenant's live state at Cyclr moved away from what the fleet had made true:
 * {@code CONNECTOR_MISSING} (its install was deleted), {@code DEAUTHENTICATED} (the grant was revoked, or the credentials refused),
 * {@code CYCLE_MISSING} (its cycle was deleted), {@code CYCLE_INACTIVE} (its cycle was paused),
 * {@code ACCOUNT_MISSING} (the Cyclr account is gone).
 */
public enum DriftKind {
  CONNECTOR_MISSING, DEAUTHENTICATED, CYCLE_MISSING, CYCLE_INACTIVE, ACCOUNT_MISSING
}
