package io.onboarder.fleet;

import io.onboarder.bus.FleetContract.LiveConnector;
import io.onboarder.bus.FleetContract.LiveCycle;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.job.ConnectorRef;
import io.onboarder.job.JobRequest;

/**
 * The comparison at the heart of a plan, with no I/O: a tenant's spec, what the fleet knew of it, and
 * its live state at Cyclr give one action, a reason a person can read, the drift (if the fleet had made
 * it true before) and the state to record. The first thing missing decides: account, install, sign-in,
 * cycle, activation.
 */
public final class Planner {
  private Planner() {}

  /** What was seen at Cyclr, as recorded on the tenant. */
  public record Observed(boolean accountExists, Long accountConnectorId, Boolean authenticated, String cycleId,
                         String cycleStatus) {}

  /** One tenant's line of a plan. {@code observed} is null when the live state could not be read. */
  public record Decision(String account, PlanAction action, String reason, DriftKind drift, Observed observed,
                         TenantState state) {}

  public static Decision decide(FleetSpec spec, DesiredTenant t, LiveStateReply live) {
    String account = t.account();
    if (!t.inSpec()) {
      if (!t.installedConnector() && !t.installedCycle()) {
        return new Decision(account, PlanAction.NONE, "not in the spec, and nothing of this fleet's is installed", null,
            null, t.state());
      }
      return new Decision(account, spec.policy().prune() ? PlanAction.UNINSTALL : PlanAction.NONE,
          spec.policy().prune() ? "not in the spec: prune removes what this fleet installed"
              : "not in the spec (prune is off: its install stays)", null, null, t.state());
    }
    if (!live.succeeded()) {
      return new Decision(account, PlanAction.NONE, "live state could not be read (" + live.failure().code()
          + "): planned again next time", null, null, t.state());
    }
    boolean madeBefore = t.installedConnector() || t.accountConnectorId() != null;
    if (!live.accountExists()) {
      Observed none = new Observed(false, null, null, null, null);
      return new Decision(account, madeBefore ? PlanAction.REINSTALL : PlanAction.INSTALL,
          spec.fields().createAccounts() ? "account missing at Cyclr: created, then installed"
              : "account missing at Cyclr (createAccounts is off: the install needs it to exist)",
          madeBefore ? DriftKind.ACCOUNT_MISSING : null, none, madeBefore ? TenantState.DRIFTED : TenantState.PENDING);
    }
    LiveConnector install = install(spec, t.item(), live);
    LiveCycle cycle = spec.fields().template() == null || live.cycles().isEmpty() ? null : live.cycles().get(0);
    Observed seen = new Observed(true, install == null ? null : install.accountConnectorId(),
        install == null ? null : install.authenticated(), cycle == null ? null : cycle.cycleId(),
        cycle == null ? null : cycle.status());
    if (install == null) {
      return madeBefore
          ? new Decision(account, PlanAction.REINSTALL, "install gone at Cyclr", DriftKind.CONNECTOR_MISSING, seen,
              TenantState.DRIFTED)
          : new Decision(account, PlanAction.INSTALL, "not installed", null, seen, TenantState.PENDING);
    }
    if (!install.authenticated()) {
      if (Boolean.TRUE.equals(t.authenticated())) {
        return new Decision(account, PlanAction.RELINK, "deauthenticated", DriftKind.DEAUTHENTICATED, seen,
            TenantState.DRIFTED);
      }
      if (t.state() == TenantState.WAITING_SIGN_IN) {
        return new Decision(account, PlanAction.NONE, "waiting for the tenant to sign in", null, seen,
            TenantState.WAITING_SIGN_IN);
      }
      return new Decision(account, PlanAction.RELINK, "not signed in", null, seen, TenantState.WAITING_SIGN_IN);
    }
    if (spec.fields().template() != null) {
      boolean hadCycle = t.installedCycle() || t.cycleId() != null;
      if (cycle == null) {
        return new Decision(account, PlanAction.INSTALL_CYCLE, hadCycle ? "cycle gone at Cyclr" : "no cycle",
            hadCycle ? DriftKind.CYCLE_MISSING : null, seen, hadCycle ? TenantState.DRIFTED : TenantState.CONNECTED);
      }
      boolean active = "Active".equalsIgnoreCase(cycle.status());
      if (spec.fields().activate() != null && !active && t.state() == TenantState.SETUP_REQUIRED) {
        // Activation found prerequisites only the tenant can set up: asking again changes nothing.
        return new Decision(account, PlanAction.NONE, "waiting for the tenant to set up the cycle", null, seen,
            TenantState.SETUP_REQUIRED);
      }
      if (spec.fields().activate() != null && !active) {
        boolean wasActive = t.state() == TenantState.ACTIVE || t.state() == TenantState.DRIFTED;
        return new Decision(account, PlanAction.ACTIVATE, "cycle " + cycle.status(),
            wasActive ? DriftKind.CYCLE_INACTIVE : null, seen, wasActive ? TenantState.DRIFTED : TenantState.CONNECTED);
      }
      return new Decision(account, PlanAction.NONE, "up to date", null, seen,
          active ? TenantState.ACTIVE : TenantState.CONNECTED);
    }
    return new Decision(account, PlanAction.NONE, "up to date", null, seen, TenantState.CONNECTED);
  }

  /** The tenant's install of its connector (the gateway lists only installs of that connector), by install name. */
  private static LiveConnector install(FleetSpec spec, JobRequest.Item item, LiveStateReply live) {
    String name = item.installName() != null ? item.installName() : spec.fields().installName();
    for (LiveConnector c : live.connectors()) {
      if (name == null || name.equals(c.name())) {
        return c;
      }
    }
    return null;
  }

  /** The connector a tenant's install uses, as the gateway's live-state request carries it. */
  public static ConnectorRef connector(FleetSpec spec, JobRequest.Item item) {
    return item.connector() != null ? item.connector() : spec.fields().connector();
  }
}
