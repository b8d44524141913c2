package io.onboarder.fleet;

/**
 * Where a fleet stands: {@code PENDING} (never applied), {@code APPLYING} (an apply's steps are running),
 * {@code CONVERGED} (live state matches the spec), {@code DRIFTED} (a reconcile found drift),
 * {@code HALTED} (a step failed more than the policy allows; resume or roll back), {@code PAUSED},
 * {@code DELETING} (deleted with {@code uninstall=true}: what it installed is being removed, then it is forgotten).
 */
public enum FleetStatus {
  PENDING, APPLYING, CONVERGED, DRIFTED, HALTED, PAUSED, DELETING
}
