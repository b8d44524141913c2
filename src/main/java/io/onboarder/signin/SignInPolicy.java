package io.onboarder.signin;

import io.onboarder.config.Settings;

/**
 * How sign-in links are handed out and watched, from the configuration: relay links on
 * {@code publicUrl} (null = Cyclr's raw URLs, as before relay links existed), their lifetime, and the
 * watch's backoff from {@code watchFirstMs} up to {@code watchMaxMs}.
 */
public record SignInPolicy(String publicUrl, long linkTtlMs, long watchFirstMs, long watchMaxMs) {
  public static final long WATCH_MAX_MS = Settings.WATCH_MAX_MS;
  public static final SignInPolicy DEFAULT = new SignInPolicy(null, 168 * 3_600_000L, 30_000, WATCH_MAX_MS);

  public SignInPolicy {
    if (linkTtlMs <= 0 || watchFirstMs <= 0 || watchMaxMs < watchFirstMs) {
      throw new IllegalArgumentException("link lifetime and watch intervals must be positive, first <= max");
    }
    publicUrl = publicUrl == null || publicUrl.isBlank() ? null : publicUrl.replaceAll("/+$", "");
  }

  /** Relay links (with PUBLIC_URL), their lifetime and the sign-in watch's first interval, as configured. */
  public static SignInPolicy of(Settings settings) {
    return new SignInPolicy(settings.publicUrl(), Math.round(settings.linkTtlHours() * 3_600_000),
        settings.watchIntervalMs(), WATCH_MAX_MS);
  }

  public boolean relayLinks() {
    return publicUrl != null;
  }

  /** {@code {PUBLIC_URL}/connect/{token}}. */
  public String linkUrl(String token) {
    return publicUrl + "/connect/" + token;
  }

  /** Where Cyclr sends the browser back after a sign-in that started at a relay link. */
  public String returnUrl(String token) {
    return linkUrl(token) + "/done";
  }

  public WatchSchedule schedule() {
    return new WatchSchedule(watchFirstMs, watchMaxMs);
  }
}
