package io.onboarder.emulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The credentials (API keys, Basic) third parties no longer take, as the emulator plays them: an install given
 * refused credentials is not authenticated, and giving them again ({@code PUT /v1.0/account/connectors/{id}})
 * changes nothing; other credentials authenticate it. Only SHA-256 digests are kept, never the values.
 */
final class Credentials {
  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  /** {@code PUT /v1.0/account/connectors/{id}} with {@code AuthValue}: the install takes them, authenticated unless refused. */
  void give(AccountConnector ac, Object authValue) {
    String given = digest(authValue);
    ac.credentials(given);
    ac.authenticated(!refused(given));
  }

  /** The third party no longer takes the install's credentials: it is unauthenticated, now and when given them again. */
  void refuse(AccountConnector ac) {
    if (ac == null) {
      return;
    }
    if (ac.credentials() != null) {
      refused.add(ac.credentials());
    }
    ac.authenticated(false);
  }

  boolean refused(String digest) {
    return digest != null && refused.contains(digest);
  }

  /** SHA-256 of a credential, or null for none. */
  static String digest(Object authValue) {
    if (!(authValue instanceof String s) || s.isEmpty()) {
      return null;
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
