package io.onboarder.history;

/** What happened to a Cyclr account, by the name account history shows ({@code wire}). */
public enum HistoryKind {
  ACCOUNT_CREATED("account.created"),
  CONNECTOR_INSTALLED("connector.installed"),
  /** An install that failed, with the reason: often the answer to "why don't I have the integration?". */
  CONNECTOR_FAILED("connector.failed"),
  LINK_ISSUED("link.issued"),
  LINK_OPENED("link.opened"),
  SIGN_IN_COMPLETED("sign_in.completed"),
  CREDENTIAL_LOST("credential.lost"),
  CYCLE_INSTALLED("cycle.installed"),
  CYCLE_ACTIVATED("cycle.activated"),
  DRIFT_DETECTED("drift.detected"),
  DRIFT_REPAIRED("drift.repaired"),
  CONNECTOR_UNINSTALLED("connector.uninstalled"),
  CYCLE_UNINSTALLED("cycle.uninstalled");

  public final String wire;

  HistoryKind(String wire) {
    this.wire = wire;
  }

  /** The kind of a wire name, or null. */
  public static HistoryKind parse(String wire) {
    for (HistoryKind k : values()) {
      if (k.wire.equals(wire)) {
        return k;
      }
    }
    return null;
  }
}
