package io.onboarder.fleet;

import io.onboarder.job.JobRequest;

/**
 * A tenant as the fleet wants it ({@code item}: the tenant as a job item, its auth value only when
 * asked for) and what the fleet knew of it before: whether it is still in the spec, whether the fleet
 * installed its connector or cycle, its last observed state and the drift recorded on it. {@code credentials}:
 * the spec gives the tenant's credentials (an auth value: API key, Basic), so no sign-in link can repair them;
 * {@code newCredentials}: those are not the credentials last given to Cyclr (compared by keyed fingerprint).
 */
public record DesiredTenant(JobRequest.Item item, boolean inSpec, boolean installedConnector,
                            boolean installedCycle, TenantState state, Boolean authenticated,
                            Long accountConnectorId, String cycleId, String cycleStatus, DriftKind drift,
                            boolean credentials, boolean newCredentials) {

  /** A tenant without recorded drift whose spec gives no credentials (it signs in). */
  public DesiredTenant(JobRequest.Item item, boolean inSpec, boolean installedConnector, boolean installedCycle,
                       TenantState state, Boolean authenticated, Long accountConnectorId, String cycleId,
                       String cycleStatus) {
    this(item, inSpec, installedConnector, installedCycle, state, authenticated, accountConnectorId, cycleId,
        cycleStatus, null, false, false);
  }

  public String account() {
    return item.account();
  }
}
