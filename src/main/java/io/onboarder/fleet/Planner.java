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
  /** The item error of a job whose credentials Cyclr did not take (the gateway's code). */
  static final String REFUSED_CODE = "CREDENTIALS_REFUSED";
  /** Why a credentials tenant that Cyclr no longer takes is left as it is: only other credentials repair it. */
  public static final String CREDENTIALS_REFUSED = "credentials refused: supply a new authValue";
  /** Why a credentials tenant is given its credentials again: the spec brought others than Cyclr refused. */
  public static final String NEW_CREDENTIALS = "new credentials";

  private Planner() {}

  /** What was seen at Cyclr, as recorded on the tenant. */
  public record Observed(boolean accountExists, Long accountConnectorId, Boolean authenticated, String cycleId,
                         String cycleStatus) {}

  /** One tenant's line of a plan. {@code observed} is null when the live state could not be read. */
  public record Decision(String account, PlanAction action, String reason, DriftKind drift, Observed observed,
                         TenantState state) {
    /** Cyclr refused a credentials tenant's credentials (an OAuth tenant's lost sign-in is relinked instead). */
    public boolean credentialsLost() {
      return drift == DriftKind.DEAUTHENTICATED && action != PlanAction.RELINK;
    }
  }

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
      if (t.credentials()) {
        return refused(t, seen);
      }
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

  /**
   * A tenant whose spec gives its credentials (API key, Basic) and whose install Cyclr says is not authenticated:
   * a sign-in link cannot help, and giving the same credentials again changes nothing, so it is left as it is
   * (drift DEAUTHENTICATED when it was authenticated before) until the spec brings other credentials, which a
   * step's job gives Cyclr ({@code REINSTALL}: installed again, or the install re-authenticated with them).
   */
  private static Decision refused(DesiredTenant t, Observed seen) {
    boolean lost = Boolean.TRUE.equals(t.authenticated()) || t.drift() == DriftKind.DEAUTHENTICATED;
    DriftKind drift = lost ? DriftKind.DEAUTHENTICATED : null;
    TenantState state = lost ? TenantState.DRIFTED : TenantState.FAILED;
    return t.newCredentials() ? new Decision(t.account(), PlanAction.REINSTALL, NEW_CREDENTIALS, drift, seen, state)
        : new Decision(t.account(), PlanAction.NONE, CREDENTIALS_REFUSED, drift, seen, state);
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
