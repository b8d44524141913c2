package io.onboarder.fleet;

/**
 * What the fleet last knew of one tenant: {@code PENDING} (nothing done yet), {@code INSTALLED}
 * (connector installed, nothing more needed), {@code WAITING_SIGN_IN} (installed, the tenant has not
 * signed in), {@code CONNECTED} (installed and authenticated), {@code ACTIVE} (its cycle runs),
 * {@code SETUP_REQUIRED} (its cycle needs setting up by the tenant), {@code DRIFTED} (live state moved
 * away from the spec), {@code FAILED}, {@code REMOVED} (what the fleet installed was removed).
 */
public enum TenantState {
  PENDING, INSTALLED, WAITING_SIGN_IN, CONNECTED, ACTIVE, SETUP_REQUIRED, DRIFTED, FAILED, REMOVED;

  /** The state named {@code s}, or null if it is none (a bad filter). */
  public static TenantState parse(String s) {
    for (TenantState t : values()) {
      if (t.name().equals(s)) {
        return t;
      }
    }
    return null;
  }
}
