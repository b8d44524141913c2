package io.onboarder.store;

import io.onboarder.job.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Keyset cursors over text keys (fleet tenants and plan lines by account): opaque, URL-safe. */
final class Cursors {
  private Cursors() {}

  static String of(String key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  /** The key after which a page starts: "" for none; INVALID for a cursor this service never issued. */
  static String after(String cursor) {
    if (cursor == null) {
      return "";
    }
    try {
      return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new StoreException(StoreException.Kind.INVALID, "cursor is not one this service issued.");
    }
  }
}
