package io.onboarder.emulator;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

/** Access tokens (many valid at once, each with its own expiry) and single-use, account-bound sign-in tokens. */
final class TokenStore {

  /** A sign-in token as handed out: {@code {"Token","ExpiresAtUtc"}}. */
  record SignInToken(String token, String accountId, long expiresAtMillis) {
    String expiresAtUtc() {
      return Instant.ofEpochMilli(expiresAtMillis).toString();
    }
  }

  // Sweep expired entries once a map grows past this, so long benchmark runs do not accumulate garbage.
  private static final int SWEEP_THRESHOLD = 10_000;

  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<String, Long> accessTokens = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, SignInToken> signInTokens = new ConcurrentHashMap<>();

  String issueAccessToken(int lifetimeSeconds) {
    long now = System.currentTimeMillis();
    if (accessTokens.size() > SWEEP_THRESHOLD) {
      accessTokens.values().removeIf(expiry -> expiry <= now);
    }
    String token = randomUrlSafe(32);
    accessTokens.put(token, now + lifetimeSeconds * 1000L);
    return token;
  }

  boolean isValidAccessToken(String token) {
    Long expiresAt = token == null ? null : accessTokens.get(token);
    return expiresAt != null && System.currentTimeMillis() < expiresAt;
  }

  void expireAllAccessTokens() {
    accessTokens.clear();
  }

  /** Every sign-in token issued so far runs out now (as if its lifetime had passed). */
  void expireAllSignInTokens() {
    long now = System.currentTimeMillis();
    signInTokens.replaceAll((k, t) -> new SignInToken(t.token(), t.accountId(), Math.min(now, t.expiresAtMillis())));
  }

  SignInToken issueSignInToken(String accountId, int lifetimeSeconds) {
    long now = System.currentTimeMillis();
    if (signInTokens.size() > SWEEP_THRESHOLD) {
      signInTokens.values().removeIf(t -> t.expiresAtMillis() <= now);
    }
    // 32 bytes give 44 standard-base64 characters ending in '=' and usually containing '+' or '/': a client that
    // forgets to URI-encode the token in the sign-in link breaks against the emulator, as it would against Cyclr.
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = Base64.getEncoder().encodeToString(bytes);
    SignInToken issued = new SignInToken(token, accountId, now + lifetimeSeconds * 1000L);
    signInTokens.put(token, issued);
    return issued;
  }

  /**
   * Uses up a sign-in token if it exists, is unexpired, unused and belongs to {@code accountId}. A token presented for
   * the wrong account is not consumed; a used one is forgotten, which then reads as unknown: 403 either way.
   */
  boolean consumeSignInToken(String token, String accountId) {
    SignInToken t = token == null ? null : signInTokens.get(token);
    if (t == null) {
      return false;
    }
    if (System.currentTimeMillis() >= t.expiresAtMillis()) {
      signInTokens.remove(token, t);
      return false;
    }
    if (!t.accountId().equals(accountId)) {
      return false;
    }
    return signInTokens.remove(token, t); // atomic: of two concurrent uses only one wins
  }

  private String randomUrlSafe(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
