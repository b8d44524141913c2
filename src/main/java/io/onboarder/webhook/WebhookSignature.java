package io.onboarder.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing: {@code webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">},
 * keyed with the bytes that follow {@code whsec_} in {@code WEBHOOK_SECRET} (base64-decoded). The
 * key never leaves this class's caller; nothing here logs.
 */
public final class WebhookSignature {
  private WebhookSignature() {}

  public static String sign(byte[] key, String id, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest = mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** How the outbox names an endpoint (its disabled state): SHA-256 of the URL, which may hold credentials. */
  public static String urlHash(String url) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
