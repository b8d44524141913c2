package io.onboarder.fleet;

/**
 * What a plan says one tenant needs: {@code NONE}, {@code INSTALL} (not installed), {@code REINSTALL}
 * (the fleet's install is gone at Cyclr, or Cyclr refused a credentials tenant's credentials and the spec gives new
 * ones: the job gives them to the install), {@code RELINK} (installed, not signed in: a fresh sign-in
 * link), {@code INSTALL_CYCLE} (the template's cycle is missing), {@code ACTIVATE} (the cycle is not
 * active), {@code UNINSTALL} (left the spec; prune removes what the fleet installed). Every action but
 * NONE and UNINSTALL is carried out by one job item for the tenant (a job installs or finds the install,
 * issues a link when one is needed, then installs or reuses the template's cycle and activates it).
 */
public enum PlanAction {
  NONE, INSTALL, REINSTALL, RELINK, INSTALL_CYCLE, ACTIVATE, UNINSTALL;

  /** Whether a step job carries this action out. */
  public boolean byJob() {
    return this != NONE && this != UNINSTALL;
  }

  /** The action named {@code s}, or null (a bad filter). */
  public static PlanAction parse(String s) {
    for (PlanAction a : values()) {
      if (a.name().equals(s)) {
        return a;
      }
    }
    return null;
  }
}
