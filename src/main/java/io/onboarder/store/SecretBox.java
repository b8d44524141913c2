package io.onboarder.store;

import io.onboarder.job.JobRequest;
import io.onboarder.job.RequestPrint;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Encrypts auth values at rest with AES-256-GCM (a unique 96-bit nonce per value) and keys
 * request fingerprints with HMAC-SHA256, so neither plaintext nor a guessable hash reaches disk.
 * A sealed value is {@code <key id>:<base64 of nonce and ciphertext>}, the key id being a keyed digest of the
 * key that sealed it: values are sealed with the current key and read with it or any old key
 * ({@code STORE_SECRET_KEYS_OLD}), so the key can be rotated and everything re-sealed ({@link Rekey}).
 */
public final class SecretBox {
  private static final int NONCE_BYTES = 12;
  private static final int KEY_ID_CHARS = 8;
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * GCM nonces, NIST SP 800-38D 8.2.1 style: a counter, unique within this process, started at a random
   * 64-bit value under a random 32-bit prefix drawn once per process. Nodes sharing a key collide only if
   * both their random starts and their counted ranges meet (odds far below 2^-32 per pair). A secure random
   * draw per value cost a lock and a /dev/urandom read per item of a million-item upload.
   */
  private static final int NONCE_PREFIX = RANDOM.nextInt();
  private static final java.util.concurrent.atomic.AtomicLong NONCE_COUNTER =
      new java.util.concurrent.atomic.AtomicLong(RANDOM.nextLong());

  private final String keyId;
  /** Every key that may open a value, current first, by key id (insertion order). */
  private final java.util.Map<String, KeyParameter> readKeys = new java.util.LinkedHashMap<>();
  private final java.util.List<SecretKeySpec> linkKeys = new java.util.ArrayList<>();
  private final SecretKeySpec macKey;
  private final SecretKeySpec linkKey;
  private final KeyParameter sealKey;
  /** An AES-GCM cipher per thread: see {@link Gcm}. */
  private final ThreadLocal<Gcm> ciphers = ThreadLocal.withInitial(Gcm::new);

  public SecretBox(byte[] key) {
    this(key, java.util.List.of());
  }

  /** {@code key} seals and opens; each of {@code oldKeys} only opens (values sealed before a rotation). */
  public SecretBox(byte[] key, java.util.List<byte[]> oldKeys) {
    this.keyId = keyId(key);
    this.macKey = new SecretKeySpec(hmac(new SecretKeySpec(key, "HmacSHA256"), "fingerprint"), "HmacSHA256");
    this.linkKey = derivedLinkKey(key);
    this.sealKey = new KeyParameter(key);
    readKeys.put(keyId, sealKey);
    linkKeys.add(linkKey);
    for (byte[] old : oldKeys) {
      if (readKeys.putIfAbsent(keyId(old), new KeyParameter(old)) == null) {
        linkKeys.add(derivedLinkKey(old));
      }
    }
  }

  /** The id that values sealed with {@code key} carry: 8 hex characters of a keyed digest (reveals nothing). */
  public static String keyId(byte[] key) {
    if (key == null || key.length != 32) {
      throw new IllegalArgumentException("key must be 32 bytes");
    }
    return java.util.HexFormat.of().formatHex(hmac(new SecretKeySpec(key, "HmacSHA256"), "key-id"))
        .substring(0, KEY_ID_CHARS);
  }

  /** The id of the key that seals values now. */
  public String keyId() {
    return keyId;
  }

  /** Whether {@code sealed} was sealed with the current key (so {@link Rekey} leaves it as it is). */
  public boolean sealedWithCurrentKey(String sealed) {
    return sealed != null && sealed.length() > KEY_ID_CHARS && sealed.charAt(KEY_ID_CHARS) == ':'
        && sealed.startsWith(keyId);
  }

  private static SecretKeySpec derivedLinkKey(byte[] key) {
    return new SecretKeySpec(hmac(new SecretKeySpec(key, "HmacSHA256"), "relay-link"), "HmacSHA256");
  }

  /**
   * The configured key, or for the embedded store a key file beside the database, created
   * once with owner-only permissions. Blocking: call from a worker.
   */
  public static SecretBox forStore(byte[] configuredKey, java.util.List<byte[]> oldKeys, Path keyFile)
      throws IOException {
    if (configuredKey != null) {
      return new SecretBox(configuredKey, oldKeys);
    }
    if (!Files.exists(keyFile)) {
      if (keyFile.getParent() != null) {
        Files.createDirectories(keyFile.getParent());
      }
      byte[] fresh = new byte[32];
      RANDOM.nextBytes(fresh);
      try {
        try {
          Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
          Files.createFile(keyFile);
        }
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(fresh) + "\n");
      } catch (FileAlreadyExistsException raced) {
        // Another process created it first: use theirs.
      }
    }
    byte[] key = Base64.getDecoder().decode(Files.readString(keyFile).trim());
    return new SecretBox(key, oldKeys);
  }

  private static byte[] nonce() {
    return java.nio.ByteBuffer.allocate(NONCE_BYTES).putInt(NONCE_PREFIX).putLong(NONCE_COUNTER.getAndIncrement())
        .array();
  }

  public String encrypt(String plaintext) {
    if (plaintext == null) {
      return null;
    }
    byte[] nonce = nonce();
    byte[] in = plaintext.getBytes(StandardCharsets.UTF_8);
    try {
      byte[] out = ciphers.get().run(true, sealKey, nonce, in, 0, in.length, NONCE_BYTES);
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      return keyId + ":" + Base64.getEncoder().encodeToString(out);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("encryption failed", e);
    }
  }

  /**
   * Opens a value sealed with the current or an old key. Values sealed before key ids existed (bare base64) are
   * tried with every key: GCM's tag tells the right one.
   */
  public String decrypt(String sealed) {
    if (sealed == null) {
      return null;
    }
    boolean tagged = sealed.length() > KEY_ID_CHARS && sealed.charAt(KEY_ID_CHARS) == ':';
    if (tagged) {
      KeyParameter key = readKeys.get(sealed.substring(0, KEY_ID_CHARS));
      if (key == null) {
        throw new IllegalStateException("cannot decrypt a stored auth value: it was sealed with key id "
            + sealed.substring(0, KEY_ID_CHARS) + ", which is neither STORE_SECRET_KEY (" + keyId
            + ") nor in STORE_SECRET_KEYS_OLD");
      }
      return open(key, sealed.substring(KEY_ID_CHARS + 1));
    }
    IllegalStateException last = null;
    for (KeyParameter key : readKeys.values()) {
      try {
        return open(key, sealed);
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  private String open(KeyParameter key, String base64) {
    try {
      byte[] in = Base64.getDecoder().decode(base64);
      if (in.length < NONCE_BYTES + 16) {
        throw new IllegalArgumentException("too short");
      }
      byte[] nonce = java.util.Arrays.copyOf(in, NONCE_BYTES);
      return new String(ciphers.get().run(false, key, nonce, in, NONCE_BYTES, in.length - NONCE_BYTES, 0),
          StandardCharsets.UTF_8);
    } catch (InvalidCipherTextException | IllegalArgumentException | IllegalStateException e) {
      throw new IllegalStateException("cannot decrypt a stored auth value: was STORE_SECRET_KEY changed "
          + "without the old key in STORE_SECRET_KEYS_OLD?", e);
    }
  }

  /**
   * AES-GCM with 128-bit tags (the JDK's AES/GCM/NoPadding format: ciphertext then tag), Bouncy Castle's
   * cipher: given the key it holds already, it keeps the key's schedule and GHASH tables, where the JDK's
   * rebuilt and reallocated them for every value (a million per big upload, 1 KiB and 2 us each without
   * the C2 compiler's intrinsics).
   */
  private static final class Gcm {
    private final GCMModeCipher cipher = GCMBlockCipher.newInstance(AESEngine.newInstance());
    /** The key the cipher holds, or null when unknown (after a failure). */
    private KeyParameter holds;

    /** The output of {@code len} bytes of {@code in} at {@code off}, placed {@code skip} bytes into the result. */
    byte[] run(boolean seal, KeyParameter key, byte[] nonce, byte[] in, int off, int len, int skip)
        throws InvalidCipherTextException {
      KeyParameter given = holds == key ? null : key; // null: the key it holds
      holds = null;
      cipher.init(seal, new AEADParameters(given, 128, nonce));
      byte[] out = new byte[skip + cipher.getOutputSize(len)];
      int n = cipher.processBytes(in, off, len, out, skip);
      n += cipher.doFinal(out, skip + n);
      holds = key;
      return n + skip == out.length ? out : java.util.Arrays.copyOf(out, skip + n);
    }
  }

  /** Keyed fingerprint of a request body, for idempotency-key comparison. */
  public String fingerprint(String text) {
    return Base64.getEncoder().encodeToString(hmac(macKey, text));
  }

  /**
   * The token of a relay link: HMAC-SHA256 of its random 256-bit salt under a key derived from the store
   * key, base64url (43 characters). Only the salt and the token's SHA-256 are stored.
   */
  public String linkToken(byte[] salt) {
    return linkToken(linkKey, salt);
  }

  /**
   * The token of a stored link (its salt and token hash) under whichever key made it, current or old, so a link
   * issued before a key rotation is still shown and reminded with its own URL; null if no key made it.
   */
  public String linkToken(byte[] salt, String tokenHash) {
    for (SecretKeySpec key : linkKeys) {
      String token = linkToken(key, salt);
      if (sha256Hex(token).equals(tokenHash)) {
        return token;
      }
    }
    return null;
  }

  private static String linkToken(SecretKeySpec key, byte[] salt) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(salt));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh random salt of {@code bytes} bytes. */
  public static byte[] randomBytes(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Lower-case hex SHA-256 of a token: how a link is found without storing the token. */
  public static String sha256Hex(String token) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Prefix of prints made by {@link #newPrint()}; earlier versions stored bare {@link #fingerprint} values. */
  public static final String PRINT_VERSION = "v2:";

  /**
   * An incremental keyed fingerprint of a job request: one line per item ([account, authValue, spec]
   * as JSON; JSON escapes newlines, so lines cannot run into each other), then the job spec.
   */
  public RequestPrint newPrint() {
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(macKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return new RequestPrint() {
      @Override
      public void item(JobRequest.Item item) {
        JsonStringEncoder json = JsonStringEncoder.getInstance();
        String spec = item.specText();
        String line = "[\"" + new String(json.quoteAsString(item.account())) + "\","
            + (item.authValue() == null ? "null" : "\"" + new String(json.quoteAsString(item.authValue())) + "\"")
            + "," + (spec == null ? "null" : spec) + "]";
        mac.update(line.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) '\n');
      }

      @Override
      public String finish(JsonObject spec) {
        mac.update((byte) '#');
        mac.update(spec.encode().getBytes(StandardCharsets.UTF_8));
        return PRINT_VERSION + Base64.getEncoder().encodeToString(mac.doFinal());
      }
    };
  }

  private static byte[] hmac(SecretKeySpec key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
