package io.onboarder.config;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads store keys: {@code STORE_SECRET_KEY} (base64 of 32 bytes) and {@code STORE_SECRET_KEYS_OLD}, a
 * comma-separated list of keys in that form that only open values sealed before a key rotation.
 */
final class SecretKeys {
  private SecretKeys() {}

  /** One key; never echoes the value back (it is a secret, even when malformed). */
  static byte[] decode(ConfigKey k, String text) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(k, "must be base64 (generate one with: openssl rand -base64 32)");
    }
    if (key.length != 32) {
      throw new ConfigException(k, "must decode to 32 bytes, got " + key.length
          + " (generate one with: openssl rand -base64 32)");
    }
    return key;
  }

  /** The comma-separated old keys; empty for "". */
  static List<byte[]> decodeAll(ConfigKey k, String text) {
    List<byte[]> keys = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        keys.add(decode(k, part));
      }
    }
    return List.copyOf(keys);
  }
}
