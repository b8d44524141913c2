package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks {@code Authorization: Bearer <token>} and names the caller (for the HTTP API and the event-bus bridge):
 * with JWT callers configured, a token shaped like a JSON Web Token (three base64url parts) is verified by
 * {@link JwtCallers}; any other is compared with {@code API_TOKENS} in constant time. Their entries are
 * {@code token}, {@code name:token} or {@code name:token:admin}; plain tokens all belong to the caller
 * {@value #DEFAULT_CALLER}. One per node: it holds no per-request state.
 */
public final class BearerAuth implements Handler<RoutingContext> {
  static final String DEFAULT_CALLER = io.onboarder.config.Settings.RESERVED_CALLER;
  /** Routing-context keys of the authenticated caller. */
  static final String CALLER = "caller";
  static final String ADMIN = "admin";

  /** Who a token belongs to. */
  public record Caller(String name, boolean admin) {}

  private record Entry(byte[] digest, Caller caller) {}

  private static final Pattern JWT_SHAPE = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

  private final List<Entry> entries;
  private final JwtCallers jwt;

  /** Static tokens only. */
  public BearerAuth(List<String> tokens) {
    this(tokens, null);
  }

  /** Static tokens, and JSON Web Tokens when {@code jwt} is not null. */
  public BearerAuth(List<String> tokens, JwtCallers jwt) {
    this.entries = tokens.stream().map(BearerAuth::parse).toList();
    this.jwt = jwt;
  }

  /** The JSON Web Token checks, or null with static tokens only. */
  JwtCallers jwt() {
    return jwt;
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
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      Problems.send(rc, Problems.forStatus(401, null));
      return;
    }
    Future<Caller> caller = callerOf(header.substring(7).trim());
    if (caller.isComplete()) {
      admit(rc, caller);
      return;
    }
    // The keys are being refreshed: the body waits (the router has not read it), as in Vert.x's own auth handlers.
    boolean reading = !rc.request().isEnded();
    if (reading) {
      rc.request().pause();
    }
    caller.onComplete(ar -> {
      if (reading) {
        rc.request().resume();
      }
      admit(rc, caller);
    });
  }

  private void admit(RoutingContext rc, Future<Caller> caller) {
    if (caller.succeeded() && caller.result() != null) {
      rc.put(CALLER, caller.result().name());
      rc.put(ADMIN, caller.result().admin());
      rc.next();
      return;
    }
    rc.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    Problems.send(rc, Problem.of(401, "unauthorized", "Unauthorized", caller.cause() instanceof JwtCallers.Refused r
        && r.expired() ? "The token has expired; get a new one from your identity provider."
        : jwt == null ? "Send a valid API token as 'Authorization: Bearer <token>'."
        : "Send a valid API token or a JSON Web Token this service accepts as 'Authorization: Bearer <token>'."));
  }

  /**
   * The caller a token names: a JSON Web Token's (verified, possibly after a key refresh), else a static token's;
   * null or a failed {@link JwtCallers.Refused} when none.
   */
  public Future<Caller> callerOf(String presented) {
    if (jwt != null && JWT_SHAPE.matcher(presented).matches()) {
      return jwt.caller(presented);
    }
    return Future.succeededFuture(caller(presented));
  }

  /** The static token's caller, or null. Compares digests (fixed length), always against every token. */
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
