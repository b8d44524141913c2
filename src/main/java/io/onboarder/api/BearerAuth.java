package io.onboarder.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Checks {@code Authorization: Bearer <token>} against the configured tokens in constant time, and
 * names the caller (for the HTTP API and the event-bus bridge). {@code API_TOKENS} entries are {@code token}, {@code name:token} or
 * {@code name:token:admin}; plain tokens all belong to the caller {@value #DEFAULT_CALLER}.
 */
public final class BearerAuth implements Handler<RoutingContext> {
  static final String DEFAULT_CALLER = io.onboarder.config.Settings.RESERVED_CALLER;
  /** Routing-context keys of the authenticated caller. */
  static final String CALLER = "caller";
  static final String ADMIN = "admin";

  /** Who a token belongs to. */
  public record Caller(String name, boolean admin) {}

  private record Entry(byte[] digest, Caller caller) {}

  private final List<Entry> entries;

  public BearerAuth(List<String> tokens) {
    this.entries = tokens.stream().map(BearerAuth::parse).toList();
  }

  private static Entry parse(String spec) {
    String[] parts = spec.split(":", -1);
    if (parts.length >= 2 && !parts[0].isBlank() && !parts[1].isBlank()) {
      boolean admin = parts.length == 3 && parts[2].trim().equalsIgnoreCase("admin");
      if (parts.length == 2 || admin) {
        return new Entry(sha256(parts[1].trim()), new Caller(parts[0].trim(), admin));
      }
    }
    return new Entry(sha256(spec), new Caller(DEFAULT_CALLER, false));
  }

  @Override
  public void handle(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    Caller caller = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? caller(header.substring(7).trim()) : null;
    if (caller != null) {
      rc.put(CALLER, caller.name());
      rc.put(ADMIN, caller.admin());
      rc.next();
    } else {
      Problems.send(rc, Problems.forStatus(401, null));
    }
  }

  /** The caller a token belongs to, or null. Compares digests (fixed length), always against every token. */
  public Caller caller(String presented) {
    byte[] given = sha256(presented);
    Caller found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.digest(), given) && found == null) {
        found = e.caller();
      }
    }
    return found;
  }

  boolean accepts(String presented) {
    return caller(presented) != null;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
