package io.onboarder.config;

/**
 * The fleets' settings. {@code readRatePercent}: the share (1-100) of {@code gateway.ratePerSecond} (and of
 * {@code gateway.maxConcurrency}) that reading tenants' live state at Cyclr may use, so a plan or a reconcile of a
 * large fleet never starves installs of the rest.
 */
public record FleetSettings(int readRatePercent) {
  public static final FleetSettings DEFAULT = new FleetSettings(20);
}
