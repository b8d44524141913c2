package io.onboarder.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The HTML of the public relay-link pages: small, self-contained (one inline style, allowed by its hash
 * in the Content-Security-Policy; no script, no external asset), and free of anything secret: no
 * token, account or job id is written into a page (the form posts to the page's own URL).
 */
final class ConnectPages {
  private static final String CSS = "body{font-family:system-ui,-apple-system,sans-serif;max-width:34rem;"
      + "margin:4rem auto;padding:0 1rem;color:#1f2937;line-height:1.5}h1{font-size:1.5rem}"
      + "button{font-size:1.1rem;padding:.6rem 1.8rem;border:0;border-radius:.4rem;background:#2563eb;color:#fff;"
      + "cursor:pointer}.muted{color:#6b7280;font-size:.9rem}";
  /** The CSP source that allows exactly the inline style above. */
  static final String STYLE_SOURCE = "'sha256-" + sha256Base64(CSS) + "'";

  private ConnectPages() {}

  /**
   * The page's policy: nothing may load but its own style; its form may post only to this service, whose
   * answer redirects to Cyclr's sign-in page ({@code signInOrigin}, which browsers check too).
   */
  static String contentSecurityPolicy(String signInOrigin) {
    return "default-src 'none'; style-src " + STYLE_SOURCE + "; form-action 'self' " + signInOrigin
        + "; base-uri 'none'; frame-ancestors 'none'";
  }

  static String connect(String connectorName, String expiresAt) {
    String name = name(connectorName);
    return page("Connect " + name, "<h1>Connect " + name + "</h1>"
        + "<p>Sign in to " + name + " to connect it. The button takes you to the sign-in page.</p>"
        + "<form method=\"post\"><button type=\"submit\">Connect</button></form>"
        + (expiresAt == null ? "" : "<p class=\"muted\">This link works until " + escape(expiresAt)
        + " (UTC), or until you have signed in.</p>"));
  }

  static String connected(String connectorName) {
    String name = name(connectorName);
    return page(name + " is connected", "<h1>" + name + " is connected</h1>"
        + "<p>You have signed in already. Nothing more to do: you can close this window.</p>");
  }

  static String gone() {
    return page("Link no longer valid", "<h1>This link is no longer valid</h1>"
        + "<p>It has expired or was replaced by a newer one. Ask for a new link.</p>");
  }

  static String notFound() {
    return page("Not found", "<h1>Not found</h1><p>There is no such page.</p>");
  }

  static String unavailable() {
    return page("Try again shortly", "<h1>Please try again in a minute</h1>"
        + "<p>The sign-in service did not answer. Your link still works.</p>");
  }

  static String tooManyRequests() {
    return page("Too many requests", "<h1>Too many requests</h1><p>Please wait a minute and try again.</p>");
  }

  /** The link's sign-in attempts for now are used up ({@code links.maxMints}): when it works again. */
  static String tooManyAttempts(long retryAfterSeconds) {
    long minutes = Math.max(1, (retryAfterSeconds + 59) / 60);
    return page("Too many attempts", "<h1>Too many attempts</h1><p>Signing in was started many times with this "
        + "link in a short while. Please try again in " + minutes + (minutes == 1 ? " minute" : " minutes") + ".</p>");
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"robots\" content=\"noindex, nofollow\"><title>" + title + "</title>"
        + "<style>" + CSS + "</style></head><body>" + body + "</body></html>";
  }

  private static String name(String connectorName) {
    return connectorName == null || connectorName.isBlank() ? "the connector" : escape(connectorName);
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c < 0x20 ? ' ' : c);
      }
    }
    return b.toString();
  }

  private static String sha256Base64(String s) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
