package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** What may leave the gateway of an upstream error text: nothing of a secret, at most 500 characters. */
class RedactionTest {

  /** A 600-character secret, like a long API key or a JWT someone pasted. */
  private static final String LONG_SECRET = longSecret();

  private static String longSecret() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 600; i++) {
      sb.append(Integer.toString(i * 7919 + 104729, 36));
    }
    return sb.substring(0, 600);
  }

  /** No run of {@code n} characters of the secret appears in the text. */
  static void assertNoFragment(String text, String secret, int n) {
    for (int i = 0; i + n <= secret.length(); i++) {
      assertThat(text).as("fragment at %d", i).doesNotContain(secret.substring(i, i + n));
    }
  }

  @Test
  void anAuthValueQuotedInCyclrsErrorMessageIsRedacted() {
    assertThat(Redaction.clean("Invalid API key 'sk-live-123456' for this connector", "sk-live-123456"))
        .isEqualTo("Invalid API key '[redacted]' for this connector");
  }

  @Test
  void messagesWithoutTheAuthValueAreLeftAlone() {
    assertThat(Redaction.clean("Connector 5 is a draft and cannot be installed.", "key-1"))
        .isEqualTo("Connector 5 is a draft and cannot be installed.");
  }

  @Test
  void aLongSecretCutByTheLengthLimitLeavesNoFragment() {
    // The old order (cut at 500, then match the whole value) let ~480 characters through.
    String message = "Invalid AuthValue '" + LONG_SECRET + "' for connector 5";
    String cleaned = Redaction.clean(message, LONG_SECRET);
    assertThat(cleaned).startsWith("Invalid AuthValue '[redacted]' for connector 5").hasSizeLessThanOrEqualTo(500);
    assertNoFragment(cleaned, LONG_SECRET, Redaction.WINDOW);
  }

  @Test
  void partsOfTheSecretAreRedactedWhereverTheyAppearAndWhateverTheCase() {
    String part = LONG_SECRET.substring(100, 140);
    String cleaned = Redaction.clean("Value ..." + part.toUpperCase() + "... rejected; also " + LONG_SECRET.substring(
        590) + " and " + LONG_SECRET.substring(0, 12), LONG_SECRET);
    assertNoFragment(cleaned.toLowerCase(), LONG_SECRET.toLowerCase(), Redaction.WINDOW);
    assertThat(cleaned).startsWith("Value ...[redacted]... rejected");
  }

  @Test
  void aTextFarLongerThanTheLimitIsShortenedAfterRedaction() {
    String cleaned = Redaction.clean("x".repeat(3_000_000) + LONG_SECRET, LONG_SECRET);
    assertThat(cleaned).hasSize(500).endsWith("…");
    assertThat(Redaction.clean(LONG_SECRET.repeat(50), LONG_SECRET)).isEqualTo("[redacted]");
  }

  @Test
  void theDecodedPasswordOfABasicAuthValueIsRedactedToo() {
    String basic = Base64.getEncoder().encodeToString("alice:correct-horse-battery".getBytes(StandardCharsets.UTF_8));
    assertThat(Redaction.clean("User alice: password 'correct-horse-battery' is wrong", basic))
        .doesNotContain("correct-horse").doesNotContain("battery");
  }

  @Test
  void severalSecretsAndShortOrMissingOnes() {
    assertThat(Redaction.clean("client s3cr3t-client-xyz and key abcd", "abcd", "s3cr3t-client-xyz", null, "ab"))
        .isEqualTo("client [redacted] and key [redacted]");
    assertThat(Redaction.clean(null, "abcd")).isNull();
  }

  @Test
  void numbersMayArriveAsStrings() {
    assertThat(OnboardFlow.longOf("1042", null)).isEqualTo(1042L);
    assertThat(OnboardFlow.longOf(1042, null)).isEqualTo(1042L);
    assertThat(OnboardFlow.longOf("n/a", 7L)).isEqualTo(7L);
    assertThat(OnboardFlow.longOf(null, null)).isNull();
  }
}
