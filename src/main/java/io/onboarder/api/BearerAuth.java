package io.onboarder.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/** Checks {@code Authorization: Bearer <token>} against the configured tokens in constant time. */
final class BearerAuth implements Handler<RoutingContext> {
  private final List<byte[]> digests;

  BearerAuth(List<String> tokens) {
    this.digests = tokens.stream().map(BearerAuth::sha256).toList();
  }

  @Override
  public void handle(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && accepts(header.substring(7).trim())) {
      rc.next();
    } else {
      Problems.send(rc, Problems.forStatus(401, null));
    }
  }

  /** Compares digests (fixed length) with MessageDigest.isEqual, and always against every token. */
  boolean accepts(String presented) {
    byte[] given = sha256(presented);
    boolean ok = false;
    for (byte[] d : digests) {
      ok |= MessageDigest.isEqual(d, given);
    }
    return ok;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
