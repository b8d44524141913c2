package io.onboarder.fleet;

import io.onboarder.job.JobRequest;

/**
 * A tenant as the fleet wants it ({@code item}: the tenant as a job item, its auth value only when
 * asked for) and what the fleet knew of it before: whether it is still in the spec, whether the fleet
 * installed its connector or cycle, and its last observed state.
 */
public record DesiredTenant(JobRequest.Item item, boolean inSpec, boolean installedConnector,
                            boolean installedCycle, TenantState state, Boolean authenticated,
                            Long accountConnectorId, String cycleId, String cycleStatus) {

  public String account() {
    return item.account();
  }
}
