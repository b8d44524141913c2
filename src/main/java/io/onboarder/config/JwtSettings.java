package io.onboarder.config;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Callers from an identity provider: JSON Web Tokens checked against the keys at {@code jwksUrl}
 * ({@code AUTH_JWKS_URL}) or at the {@code jwks_uri} that {@code oidcIssuer}'s discovery document names
 * ({@code AUTH_OIDC_ISSUER}); {@code issuer} and {@code audiences} are enforced when set (with discovery the
 * issuer defaults to the document's); the caller is the {@code callerClaim}, an admin has {@code adminClaim}
 * equal to (or, as an array, containing) {@code adminValue}. {@code caFile} and {@code tokenFile} let the key
 * fetch trust a private CA and present a bearer token (Kubernetes' own issuer asks for both). Off when
 * neither key source is set.
 */
public record JwtSettings(String jwksUrl, String oidcIssuer, String issuer, List<String> audiences,
                          String callerClaim, String adminClaim, String adminValue, long refreshMs,
                          String caFile, String tokenFile) {
  public static final JwtSettings OFF = new JwtSettings("", "", null, List.of(), "sub", null, null, 600_000, null,
      null);

  /** Reads the {@code AUTH_*} settings through {@code read} (a key's trimmed value, "" when unset), validated. */
  public static JwtSettings from(Function<ConfigKey, String> read) {
    String jwksUrl = url(ConfigKey.AUTH_JWKS_URL, read.apply(ConfigKey.AUTH_JWKS_URL));
    String oidcIssuer = url(ConfigKey.AUTH_OIDC_ISSUER, read.apply(ConfigKey.AUTH_OIDC_ISSUER));
    if (!jwksUrl.isEmpty() && !oidcIssuer.isEmpty()) {
      throw new ConfigException(ConfigKey.AUTH_OIDC_ISSUER, "and AUTH_JWKS_URL are both set: set one (the issuer's "
          + "discovery document names its keys)");
    }
    boolean on = !jwksUrl.isEmpty() || !oidcIssuer.isEmpty();
    for (ConfigKey k : List.of(ConfigKey.AUTH_JWT_ISSUER, ConfigKey.AUTH_JWT_AUDIENCE, ConfigKey.AUTH_CALLER_CLAIM,
        ConfigKey.AUTH_ADMIN_CLAIM, ConfigKey.AUTH_ADMIN_VALUE, ConfigKey.AUTH_JWKS_REFRESH_SECONDS,
        ConfigKey.AUTH_JWKS_CA_FILE, ConfigKey.AUTH_JWKS_TOKEN_FILE)) {
      if (!on && !read.apply(k).isEmpty()) {
        throw new ConfigException(k, "is set but there is no key source for JSON Web Tokens: set AUTH_JWKS_URL "
            + "(the identity provider's JWKS) or AUTH_OIDC_ISSUER (its issuer URL, for discovery)");
      }
    }
    if (!on) {
      return OFF;
    }
    String adminClaim = emptyToNull(read.apply(ConfigKey.AUTH_ADMIN_CLAIM));
    String adminValue = emptyToNull(read.apply(ConfigKey.AUTH_ADMIN_VALUE));
    if ((adminClaim == null) != (adminValue == null)) {
      throw new ConfigException(adminClaim == null ? ConfigKey.AUTH_ADMIN_CLAIM : ConfigKey.AUTH_ADMIN_VALUE,
          "is required with " + (adminClaim == null ? "AUTH_ADMIN_VALUE" : "AUTH_ADMIN_CLAIM") + " (an admin's token "
          + "has the claim equal to the value, or an array claim containing it, e.g. groups and onboarder-admins)");
    }
    String callerClaim = read.apply(ConfigKey.AUTH_CALLER_CLAIM);
    List<String> audiences = Arrays.stream(read.apply(ConfigKey.AUTH_JWT_AUDIENCE).split(","))
        .map(String::trim).filter(a -> !a.isEmpty()).toList();
    return new JwtSettings(jwksUrl, oidcIssuer, emptyToNull(read.apply(ConfigKey.AUTH_JWT_ISSUER)), audiences,
        callerClaim.isEmpty() ? "sub" : callerClaim, adminClaim, adminValue,
        refreshSeconds(read.apply(ConfigKey.AUTH_JWKS_REFRESH_SECONDS)) * 1000,
        emptyToNull(read.apply(ConfigKey.AUTH_JWKS_CA_FILE)), emptyToNull(read.apply(ConfigKey.AUTH_JWKS_TOKEN_FILE)));
  }

  /** JSON Web Tokens are accepted: a key source is configured. */
  public boolean enabled() {
    return !jwksUrl.isEmpty() || !oidcIssuer.isEmpty();
  }

  /** The discovery document's URL ({@code <issuer>/.well-known/openid-configuration}), or null without discovery. */
  public String discoveryUrl() {
    return oidcIssuer.isEmpty() ? null : oidcIssuer + "/.well-known/openid-configuration";
  }

  private static long refreshSeconds(String text) {
    if (text.isEmpty()) {
      return 600;
    }
    try {
      long s = Long.parseLong(text);
      if (s >= 1 && s <= 86_400) {
        return s;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(ConfigKey.AUTH_JWKS_REFRESH_SECONDS, "must be a whole number of seconds from 1 to "
        + "86400, got '" + text + "'");
  }

  /**
   * An absolute URL without query or fragment (trailing slash dropped), https unless on this host: keys fetched
   * over plain HTTP could be replaced on the way, and whoever replaces them can sign any caller's token.
   */
  static String url(ConfigKey k, String s) {
    if (s.isEmpty()) {
      return "";
    }
    URI u;
    try {
      u = URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(k, "must be an absolute https URL, got '" + s + "'");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (u.getHost() == null || !(scheme.equals("https") || scheme.equals("http")) || u.getRawQuery() != null
        || u.getRawFragment() != null) {
      throw new ConfigException(k, "must be an absolute https URL without query or fragment, got '" + s + "'");
    }
    String host = u.getHost();
    if (scheme.equals("http") && !(host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]"))) {
      throw new ConfigException(k, "must use https (plain http only on localhost): keys fetched over plain HTTP "
          + "could be replaced on the way, got '" + s + "'");
    }
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
