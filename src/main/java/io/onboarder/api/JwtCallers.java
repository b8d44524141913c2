package io.onboarder.api;

import io.onboarder.bus.JsonBounds;
import io.onboarder.config.JwtSettings;
import io.onboarder.config.Settings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the caller of a JSON Web Token: signed by one of the identity provider's keys ({@link JwksSource}) with an
 * asymmetric algorithm ({@code alg: none} and HMAC are refused before any key is looked at), issuer and audience as
 * configured, {@code exp} present and, like {@code nbf} and {@code iat}, within {@value JwksSource#LEEWAY_SECONDS}
 * seconds of skew; the caller is the {@code AUTH_CALLER_CLAIM}, an admin has {@code AUTH_ADMIN_CLAIM} equal to or
 * containing {@code AUTH_ADMIN_VALUE}. A refusal says only whether the token expired; why else goes to the debug
 * log, never the token.
 */
public final class JwtCallers {
  private static final Logger log = LoggerFactory.getLogger(JwtCallers.class);
  /** Longest token looked at (they fit in an HTTP header; the bridge's frames could carry a megabyte). */
  static final int MAX_TOKEN_CHARS = 16 * 1024;
  /** Longest caller name taken from a claim. */
  static final int MAX_CALLER_CHARS = 256;

  /** A token that names no caller; {@code expired} is the one reason a caller is told. */
  public static final class Refused extends RuntimeException {
    private final boolean expired;

    Refused(String reason, boolean expired) {
      super(reason, null, false, false);
      this.expired = expired;
    }

    public boolean expired() {
      return expired;
    }
  }

  private final JwtSettings settings;
  private final JwksSource keys;

  public JwtCallers(JwtSettings settings, JwksSource keys) {
    this.settings = settings;
    this.keys = keys;
  }

  /** The identity provider's keys (and discovery document) these checks use. */
  JwksSource keys() {
    return keys;
  }

  /** The token's caller, or a failed {@link Refused}; on the calling context (at once when keys are known). */
  public Future<BearerAuth.Caller> caller(String token) {
    String kid;
    try {
      kid = checkedHeader(token);
    } catch (Refused r) {
      return refused(r);
    }
    Future<JwksSource.KeySet> set = keys.keysFor(kid);
    if (set.isComplete()) {
      return set.succeeded() ? verify(set.result(), kid, token) : refused(new Refused("no keys", false));
    }
    // A refresh is under way on the key source's context: the answer comes back to the caller's.
    Context caller = Vertx.currentContext();
    Promise<BearerAuth.Caller> answer = Promise.promise();
    set.onComplete(ar -> {
      Runnable done = () -> (ar.succeeded() ? verify(ar.result(), kid, token)
          : JwtCallers.<BearerAuth.Caller>refused(new Refused("no keys", false))).onComplete(answer);
      if (caller != null) {
        caller.runOnContext(v -> done.run());
      } else {
        done.run();
      }
    });
    return answer.future();
  }

  /** The header's key id after the shape checks: three parts, a signature, an accepted algorithm, no {@code crit}. */
  private static String checkedHeader(String token) {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new Refused("token too long", false);
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[2].isEmpty()) {
      throw new Refused("not a signed JWT", false);
    }
    Object header;
    try {
      header = JsonBounds.parse(Buffer.buffer(Base64.getUrlDecoder().decode(parts[0])));
    } catch (RuntimeException e) {
      throw new Refused("header unreadable", false);
    }
    if (!(header instanceof JsonObject h) || !(h.getValue("alg") instanceof String alg)
        || !JwksSource.ALGORITHMS.contains(alg)) {
      throw new Refused("algorithm not accepted", false);
    }
    if (h.containsKey("crit")) {
      throw new Refused("critical header extension", false);
    }
    Object kid = h.getValue("kid");
    if (kid != null && !(kid instanceof String)) {
      throw new Refused("kid not a string", false);
    }
    return (String) kid;
  }

  private Future<BearerAuth.Caller> verify(JwksSource.KeySet set, String kid, String token) {
    if (set == null || !set.knows(kid)) {
      return refused(new Refused(set == null ? "no keys yet" : "unknown key id", false));
    }
    User user;
    try {
      Future<User> checked = set.auth().authenticate(new TokenCredentials(token));
      if (checked.failed()) {
        String why = String.valueOf(checked.cause().getMessage());
        return refused(new Refused(why, why.contains("expired") && expired(token)));
      }
      user = checked.result();
    } catch (RuntimeException e) {
      return refused(new Refused("unverifiable: " + e.getClass().getSimpleName(), false));
    }
    JsonObject claims = user.attributes().getJsonObject("accessToken");
    if (!(claims.getValue("exp") instanceof Number)) {
      return refused(new Refused("no exp", false));
    }
    Object name = claim(claims, settings.callerClaim());
    if (!(name instanceof String caller) || caller.isBlank() || caller.length() > MAX_CALLER_CHARS
        || caller.chars().anyMatch(Character::isISOControl) || caller.equalsIgnoreCase(Settings.RESERVED_CALLER)) {
      return refused(new Refused("no usable caller claim", false));
    }
    return Future.succeededFuture(new BearerAuth.Caller(caller, admin(claims)));
  }

  /**
   * Whether the library's "expired" (said of {@code exp}, {@code nbf} and {@code iat} alike, after the signature
   * was checked) is about {@code exp}.
   */
  private static boolean expired(String token) {
    try {
      Object claims = JsonBounds.parse(Buffer.buffer(Base64.getUrlDecoder().decode(token.split("\\.")[1])));
      return claims instanceof JsonObject c && c.getValue("exp") instanceof Number exp
          && System.currentTimeMillis() / 1000 - JwksSource.LEEWAY_SECONDS >= exp.longValue();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean admin(JsonObject claims) {
    if (settings.adminClaim() == null) {
      return false;
    }
    Object value = claim(claims, settings.adminClaim());
    if (value instanceof JsonArray values) {
      return values.stream().anyMatch(v -> settings.adminValue().equals(String.valueOf(v)));
    }
    return value != null && !(value instanceof JsonObject) && settings.adminValue().equals(String.valueOf(value));
  }

  /** A claim by name, else by a dotted path into objects ({@code realm_access.roles}). */
  static Object claim(JsonObject claims, String name) {
    if (claims.containsKey(name)) {
      return claims.getValue(name);
    }
    Object cur = claims;
    for (String part : name.split("\\.")) {
      if (!(cur instanceof JsonObject o)) {
        return null;
      }
      cur = o.getValue(part);
    }
    return cur;
  }

  private static <T> Future<T> refused(Refused r) {
    log.debug("JWT refused: {}", r.getMessage());
    return Future.failedFuture(r);
  }
}
