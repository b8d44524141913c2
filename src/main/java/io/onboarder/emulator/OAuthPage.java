package io.onboarder.emulator;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * The browser page a sign-in link opens ({@code updateaccountconnectoroauth}): it stands in for the provider's consent
 * screen, so a valid sign-in token marks the account connector authenticated at once.
 */
final class OAuthPage {

  private static final String FORBIDDEN = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>403 Forbidden</title>"
      + "</head><body><h1>403 Forbidden</h1><p>This sign-in link is invalid, has expired or has already been used.</p>"
      + "</body></html>";

  private final EmulatorState state;
  private final TokenStore tokens;
  private final EmulatorStats stats;

  OAuthPage(EmulatorState state, TokenStore tokens, EmulatorStats stats) {
    this.state = state;
    this.tokens = tokens;
    this.stats = stats;
  }

  void handle(RoutingContext rc) {
    String targetOrigin = rc.queryParams().get("targetOrigin");
    if (targetOrigin == null || targetOrigin.isBlank() || hasControlChars(targetOrigin)) {
      stats.countOAuthPage(false);
      Http.html(rc, 400, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>400 Bad Request</title></head>"
          + "<body><h1>400 Bad Request</h1><p>targetOrigin is required.</p></body></html>");
      return;
    }
    String id = rc.queryParams().get("id");
    AccountConnector ac = ApiHandlers.isNumeric(id) ? state.accountConnector(Integer.parseInt(id)) : null;
    // Ownership is checked before the token is consumed, so a link for the wrong connector does not burn the token.
    if (ac == null || !tokens.consumeSignInToken(rc.queryParams().get("token"), ac.accountId)) {
      stats.countOAuthPage(false);
      Http.html(rc, 403, FORBIDDEN);
      return;
    }
    ac.authenticated(true);
    stats.countOAuthPage(true);
    String callbackMessage = rc.queryParams().get("callbackMessage");
    if (callbackMessage == null) {
      rc.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, targetOrigin).end();
      return;
    }
    Http.html(rc, 200, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Connected</title></head><body>"
        + "<p>Connected. You can close this window.</p><script>"
        + "if (window.opener) { window.opener.postMessage(" + jsString(callbackMessage) + ", "
        + jsString(targetOrigin) + "); }</script></body></html>");
  }

  /** A double-quoted JS string literal that is also safe inside an HTML script element (no {@code </script>}). */
  static String jsString(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'' || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static boolean hasControlChars(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < 0x20 || s.charAt(i) == 0x7f) {
        return true;
      }
    }
    return false;
  }
}
