package io.onboarder.config;

/**
 * Credential health checks of signed-in items: every {@code intervalHours} ({@code SIGNIN_HEALTH_INTERVAL_HOURS},
 * 0 = off, else at least 0.001) each is checked once at Cyclr, at no more than {@code ratePercent} (1-100) of the
 * gateway's rate limit ({@code SIGNIN_HEALTH_RATE_PERCENT}, default 10), so that installs, the sign-in watch and
 * fleet reads keep the rest.
 */
public record CredentialHealthSettings(double intervalHours, int ratePercent) {
  /** The smallest interval that is not "off": 3.6 s (tests and demos). */
  public static final double MIN_HOURS = 0.001;
  /**
   * The checks' pace per node when the gateway has no rate limit ({@code gateway.ratePerSecond} 0): 5 a second is
   * 432,000 checks a day, more than one node's signed-in items need, and still gentle on Cyclr.
   */
  public static final double UNLIMITED_GATEWAY_RATE = 5;
  public static final CredentialHealthSettings DEFAULT = new CredentialHealthSettings(24, 10);

  public CredentialHealthSettings {
    if (intervalHours != 0 && !(intervalHours >= MIN_HOURS)) {
      throw new ConfigException(ConfigKey.SIGNIN_HEALTH_INTERVAL_HOURS,
          "must be 0 (off) or at least " + MIN_HOURS + " hours, got " + intervalHours);
    }
    if (ratePercent < 1 || ratePercent > 100) {
      throw new ConfigException(ConfigKey.SIGNIN_HEALTH_RATE_PERCENT, "must be between 1 and 100, got " + ratePercent);
    }
  }

  public boolean enabled() {
    return intervalHours > 0;
  }

  public long intervalMs() {
    return Math.max(1, Math.round(intervalHours * 3_600_000));
  }

  /** Checks a second this node may make: its share of {@code gatewayRatePerSecond}, or a fixed pace without one. */
  public double checksPerSecond(double gatewayRatePerSecond) {
    return gatewayRatePerSecond > 0 ? gatewayRatePerSecond * ratePercent / 100.0 : UNLIMITED_GATEWAY_RATE;
  }
}
