package io.onboarder.config;

import java.util.function.Function;

/**
 * The operator console's OIDC sign-in: {@code oidcClientId} ({@code CONSOLE_OIDC_CLIENT_ID}) is a public client of
 * the identity provider at {@code AUTH_OIDC_ISSUER} (authorization code with PKCE, no secret: the browser holds
 * nothing it could keep), asking for {@code oidcScopes} ({@code CONSOLE_OIDC_SCOPES}, default {@code openid}). Off
 * (bearer tokens pasted by hand only) when the client id is unset.
 */
public record ConsoleSettings(String oidcClientId, String oidcScopes) {
  public static final ConsoleSettings OFF = new ConsoleSettings(null, "openid");

  /** Reads the {@code CONSOLE_*} settings through {@code read} (trimmed, "" when unset), validated against {@code jwt}. */
  public static ConsoleSettings from(Function<ConfigKey, String> read, JwtSettings jwt) {
    String clientId = read.apply(ConfigKey.CONSOLE_OIDC_CLIENT_ID);
    String scopes = read.apply(ConfigKey.CONSOLE_OIDC_SCOPES).replaceAll("\\s+", " ");
    if (clientId.isEmpty()) {
      if (!scopes.isEmpty()) {
        throw new ConfigException(ConfigKey.CONSOLE_OIDC_SCOPES, "is set but CONSOLE_OIDC_CLIENT_ID is not (the "
            + "console's public client at the identity provider)");
      }
      return OFF;
    }
    if (jwt.oidcIssuer().isEmpty()) {
      throw new ConfigException(ConfigKey.CONSOLE_OIDC_CLIENT_ID, "needs AUTH_OIDC_ISSUER (the identity provider "
          + "whose discovery document names the authorization and token endpoints, and whose tokens the API accepts)");
    }
    if (!clientId.matches("[\\x21-\\x7e]{1,200}") || !scopes.matches("[\\x21-\\x7e ]{0,1000}")) {
      throw new ConfigException(ConfigKey.CONSOLE_OIDC_CLIENT_ID, "and CONSOLE_OIDC_SCOPES must be printable ASCII "
          + "(a client id, space-separated scopes)");
    }
    return new ConsoleSettings(clientId, scopes.isEmpty() ? "openid" : scopes);
  }

  /** The console offers OIDC sign-in. */
  public boolean oidc() {
    return oidcClientId != null;
  }
}
