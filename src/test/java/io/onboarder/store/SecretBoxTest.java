package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Auth values at rest: AES-GCM sealed, tamper-evident, keyed per installation. */
class SecretBoxTest {
  private static final String AUTH_VALUE = "api-key-0123456789abcdef";

  private static byte[] randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  private final SecretBox box = new SecretBox(randomKey());

  @ParameterizedTest
  @ValueSource(strings = {AUTH_VALUE, "", "dXNlcjpwYXNz", "ünïcødé ✓ 🚀", "line\nbreak"})
  void decryptsWhatItEncrypted(String plaintext) {
    assertThat(box.decrypt(box.encrypt(plaintext))).isEqualTo(plaintext);
  }

  @Test
  void nullStaysNull() {
    assertThat(box.encrypt(null)).isNull();
    assertThat(box.decrypt(null)).isNull();
  }

  @Test
  void twoEncryptionsOfTheSameTextDiffer() {
    assertThat(box.encrypt(AUTH_VALUE)).isNotEqualTo(box.encrypt(AUTH_VALUE));
  }

  @Test
  void noTwoSealsShareANonceAcrossThreads() throws Exception {
    // Nonces are counted, not drawn: 4 threads x 5,000 seals, every 12-byte nonce distinct.
    java.util.Set<String> nonces = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(pool.submit(() -> {
          for (int i = 0; i < 5_000; i++) {
            String sealed = box.encrypt(AUTH_VALUE);
            byte[] raw = java.util.Base64.getDecoder().decode(sealed.substring(sealed.indexOf(':') + 1));
            nonces.add(java.util.HexFormat.of().formatHex(raw, 0, 12));
          }
        }));
      }
      for (java.util.concurrent.Future<?> r : runs) {
        r.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(nonces).hasSize(20_000);
  }

  @Test
  void ciphertextRevealsNoPlaintext() {
    String sealed = box.encrypt(AUTH_VALUE);
    assertThat(sealed).doesNotContain(AUTH_VALUE);
    assertThat(new String(Base64.getDecoder().decode(untagged(sealed)), StandardCharsets.ISO_8859_1))
        .doesNotContain(AUTH_VALUE);
    assertThat(sealed).doesNotContain(Base64.getEncoder().encodeToString(AUTH_VALUE.getBytes(StandardCharsets.UTF_8)));
  }

  static Stream<Arguments> tamperings() {
    return Stream.of(
        Arguments.of("flip a nonce byte", flipByte(0)),
        Arguments.of("flip a ciphertext byte", flipByte(14)),
        Arguments.of("flip the last tag byte", (UnaryOperator<String>) s -> flip(s, -1)),
        Arguments.of("truncate the tag", (UnaryOperator<String>) s -> reencode(s, b -> Arrays.copyOf(b, b.length - 1))),
        // BUG: SecretBox.decrypt lets java.security.ProviderException (ShortBufferException) escape when the
        // sealed value is a nonce plus fewer than 16 bytes; it must be the same IllegalStateException as other damage.
        Arguments.of("keep only the nonce", (UnaryOperator<String>) s -> reencode(s, b -> Arrays.copyOf(b, 12))),
        Arguments.of("nonce plus 8 bytes", (UnaryOperator<String>) s -> reencode(s, b -> Arrays.copyOf(b, 20))),
        Arguments.of("shorter than a nonce", (UnaryOperator<String>) s -> "AAAA"),
        Arguments.of("empty", (UnaryOperator<String>) s -> ""),
        Arguments.of("not base64", (UnaryOperator<String>) s -> "%%%not base64%%%"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperings")
  void tamperingIsDetected(String name, UnaryOperator<String> tamper) {
    String sealed = box.encrypt(AUTH_VALUE);
    assertThatThrownBy(() -> box.decrypt(tamper.apply(sealed))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aDifferentKeyCannotDecrypt() {
    String sealed = box.encrypt(AUTH_VALUE);
    SecretBox other = new SecretBox(randomKey());
    assertThatThrownBy(() -> other.decrypt(sealed))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("STORE_SECRET_KEY")
        .hasMessageNotContaining(AUTH_VALUE);
  }

  @Test
  void aSealedValueCarriesTheIdOfItsKeyWhichRevealsNothingOfIt() {
    byte[] key = randomKey();
    SecretBox keyed = new SecretBox(key);
    assertThat(keyed.keyId()).matches("[0-9a-f]{8}").isEqualTo(SecretBox.keyId(key))
        .isNotEqualTo(SecretBox.keyId(randomKey()));
    assertThat(java.util.HexFormat.of().formatHex(key)).doesNotContain(keyed.keyId());
    String sealed = keyed.encrypt(AUTH_VALUE);
    assertThat(sealed).startsWith(keyed.keyId() + ":");
    assertThat(keyed.sealedWithCurrentKey(sealed)).isTrue();
    assertThat(keyed.sealedWithCurrentKey(untagged(sealed))).isFalse();
  }

  @Test
  void afterARotationOldValuesStillOpenAndNewOnesUseTheNewKey() {
    byte[] oldKey = randomKey();
    SecretBox before = new SecretBox(oldKey);
    String tagged = before.encrypt(AUTH_VALUE);
    String legacy = untagged(before.encrypt("legacy-" + AUTH_VALUE));
    SecretBox rotated = new SecretBox(randomKey(), java.util.List.of(randomKey(), oldKey));
    assertThat(rotated.decrypt(tagged)).isEqualTo(AUTH_VALUE);
    assertThat(rotated.decrypt(legacy)).as("a value sealed before key ids, found by trying every key")
        .isEqualTo("legacy-" + AUTH_VALUE);
    assertThat(rotated.sealedWithCurrentKey(tagged)).isFalse();
    String resealed = rotated.encrypt(rotated.decrypt(tagged));
    assertThat(resealed).startsWith(rotated.keyId() + ":");
    assertThat(rotated.sealedWithCurrentKey(resealed)).isTrue();
    assertThatThrownBy(() -> before.decrypt(resealed)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(rotated.keyId()).hasMessageContaining("STORE_SECRET_KEYS_OLD")
        .hasMessageNotContaining(AUTH_VALUE);
    SecretBox withoutOld = new SecretBox(randomKey());
    assertThatThrownBy(() -> withoutOld.decrypt(tagged)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(before.keyId());
    assertThatThrownBy(() -> withoutOld.decrypt(legacy)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aRelayLinkMadeWithAnOldKeyIsStillDerivedFromItsSalt() {
    byte[] oldKey = randomKey();
    byte[] salt = SecretBox.randomBytes(32);
    String token = new SecretBox(oldKey).linkToken(salt);
    SecretBox rotated = new SecretBox(randomKey(), java.util.List.of(oldKey));
    assertThat(rotated.linkToken(salt)).isNotEqualTo(token);
    assertThat(rotated.linkToken(salt, SecretBox.sha256Hex(token))).isEqualTo(token);
    assertThat(new SecretBox(randomKey()).linkToken(salt, SecretBox.sha256Hex(token))).isNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 16, 31, 33, 64})
  void rejectsAKeyThatIsNot32Bytes(int length) {
    assertThatThrownBy(() -> new SecretBox(new byte[length])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsANullKey() {
    assertThatThrownBy(() -> new SecretBox(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fingerprintIsStablePerKeyAndDiffersAcrossKeys() {
    byte[] key = randomKey();
    SecretBox a = new SecretBox(key);
    SecretBox sameKey = new SecretBox(key.clone());
    SecretBox otherKey = new SecretBox(randomKey());
    String body = "{\"items\":[{\"account\":\"tenant-001\"}]}";

    assertThat(a.fingerprint(body)).isEqualTo(a.fingerprint(body)).isEqualTo(sameKey.fingerprint(body));
    assertThat(a.fingerprint(body)).isNotEqualTo(otherKey.fingerprint(body));
    assertThat(a.fingerprint(body)).isNotEqualTo(a.fingerprint(body + " "));
    assertThat(a.fingerprint(body)).doesNotContain("tenant-001");
  }

  @Test
  void forStoreCreatesAnOwnerOnlyKeyFileAndReusesItNextTime(@TempDir Path dir) throws Exception {
    Path keyFile = dir.resolve("nested/dir/secret.key");

    SecretBox first = SecretBox.forStore(null, java.util.List.of(), keyFile);

    assertThat(keyFile).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
    assertThat(Base64.getDecoder().decode(Files.readString(keyFile).trim())).hasSize(32);
    String keyText = Files.readString(keyFile);

    SecretBox second = SecretBox.forStore(null, java.util.List.of(), keyFile);

    assertThat(Files.readString(keyFile)).as("key file not rewritten").isEqualTo(keyText);
    assertThat(second.decrypt(first.encrypt(AUTH_VALUE))).isEqualTo(AUTH_VALUE);
    assertThat(second.fingerprint("x")).isEqualTo(first.fingerprint("x"));
  }

  @Test
  void forStorePrefersTheConfiguredKeyAndWritesNoFile(@TempDir Path dir) throws Exception {
    byte[] key = randomKey();
    Path keyFile = dir.resolve("secret.key");

    SecretBox box = SecretBox.forStore(key, java.util.List.of(), keyFile);

    assertThat(keyFile).doesNotExist();
    assertThat(new SecretBox(key).decrypt(box.encrypt(AUTH_VALUE))).isEqualTo(AUTH_VALUE);
  }

  @Test
  void forStoreCreatesDifferentKeysForDifferentStores(@TempDir Path dir) throws Exception {
    SecretBox a = SecretBox.forStore(null, java.util.List.of(), dir.resolve("a.key"));
    SecretBox b = SecretBox.forStore(null, java.util.List.of(), dir.resolve("b.key"));
    assertThat(a.fingerprint("x")).isNotEqualTo(b.fingerprint("x"));
    assertThatThrownBy(() -> b.decrypt(a.encrypt(AUTH_VALUE))).isInstanceOf(IllegalStateException.class);
  }

  private static UnaryOperator<String> flipByte(int index) {
    return s -> flip(s, index);
  }

  private static String flip(String sealed, int index) {
    return reencode(sealed, b -> {
      int i = index < 0 ? b.length + index : index;
      b[i] ^= 0x01;
      return b;
    });
  }

  /** Changes the sealed bytes, keeping the key id in front. */
  private static String reencode(String sealed, UnaryOperator<byte[]> change) {
    int colon = sealed.indexOf(':');
    return sealed.substring(0, colon + 1)
        + Base64.getEncoder().encodeToString(change.apply(Base64.getDecoder().decode(sealed.substring(colon + 1))));
  }

  /** The sealed value without its key id: how values were stored before key ids. */
  private static String untagged(String sealed) {
    return sealed.substring(sealed.indexOf(':') + 1);
  }

  @Test
  void valuesSealedByTheJdksAesGcmOpenAndItsOwnOpenWithTheJdk() throws Exception {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    SecretBox box = new SecretBox(key);
    javax.crypto.spec.SecretKeySpec aes = new javax.crypto.spec.SecretKeySpec(key, "AES");
    for (String plaintext : List.of("", "k", "api-key-0001234", "ümlaut and 🔑", "x".repeat(8192))) {
      // Stored before this build: AES/GCM/NoPadding of the JDK, nonce then ciphertext and tag.
      byte[] nonce = new byte[12];
      new SecureRandom().nextBytes(nonce);
      javax.crypto.Cipher jdk = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      jdk.init(javax.crypto.Cipher.ENCRYPT_MODE, aes, new javax.crypto.spec.GCMParameterSpec(128, nonce));
      byte[] ct = jdk.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] stored = Arrays.copyOf(nonce, 12 + ct.length);
      System.arraycopy(ct, 0, stored, 12, ct.length);
      assertThat(box.decrypt(box.keyId() + ":" + Base64.getEncoder().encodeToString(stored))).isEqualTo(plaintext);
      assertThat(box.decrypt(Base64.getEncoder().encodeToString(stored))).isEqualTo(plaintext);

      // And what it seals now, the JDK opens.
      String sealed = plaintext.isEmpty() ? null : box.encrypt(plaintext);
      if (sealed != null) {
        byte[] in = Base64.getDecoder().decode(sealed.substring(sealed.indexOf(':') + 1));
        jdk.init(javax.crypto.Cipher.DECRYPT_MODE, aes, new javax.crypto.spec.GCMParameterSpec(128, in, 0, 12));
        assertThat(new String(jdk.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8)).isEqualTo(plaintext);
      }
    }
  }

  @Test
  void oneThreadsCipherMovesBetweenKeysAndSurvivesAFailedOpen() {
    SecretBox current = new SecretBox(filled(1));
    SecretBox before = new SecretBox(filled(2));
    SecretBox rotated = new SecretBox(filled(1), List.of(filled(2)));
    String sealed = rotated.encrypt("first");
    assertThat(rotated.decrypt(before.encrypt("old key"))).isEqualTo("old key");
    assertThat(rotated.decrypt(sealed)).isEqualTo("first");
    assertThat(rotated.decrypt(current.encrypt("new key"))).isEqualTo("new key");
    String tampered = sealed.substring(0, sealed.length() - 3) + (sealed.charAt(sealed.length() - 3) == 'A' ? 'B' : 'A')
        + sealed.substring(sealed.length() - 2);
    assertThatThrownBy(() -> rotated.decrypt(tampered)).isInstanceOf(IllegalStateException.class);
    assertThat(rotated.decrypt(before.encrypt("after a failure"))).isEqualTo("after a failure");
    assertThat(current.decrypt(rotated.encrypt("and back"))).isEqualTo("and back");
  }

  private static byte[] filled(int b) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) b);
    return key;
  }
}
