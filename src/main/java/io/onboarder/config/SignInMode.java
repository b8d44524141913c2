package io.onboarder.config;

/** How OAuth sign-in links are minted: the seed flow or the currently documented one. */
public enum SignInMode {
  /** {@code POST /v1.0/accounts/tokens} + {@code /web/connector/updateaccountconnectoroauth}. */
  ACCOUNT_TOKENS("account-tokens", "/web/connector/updateaccountconnectoroauth"),
  /** {@code POST /v1.0/accounts/{id}/signintoken} + {@code /connectorauth/updateaccountconnectoroauth}. */
  SIGNINTOKEN("signintoken", "/connectorauth/updateaccountconnectoroauth");

  public final String value;
  public final String pagePath;

  SignInMode(String value, String pagePath) {
    this.value = value;
    this.pagePath = pagePath;
  }

  public static SignInMode parse(String s) {
    for (SignInMode m : values()) {
      if (m.value.equalsIgnoreCase(s.trim())) {
        return m;
      }
    }
    return null;
  }
}
