package io.onboarder.cyclr;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one place that makes text from Cyclr safe to store, return, publish and log. It hides every
 * run of {@value #WINDOW} or more characters that also occurs in a secret (case-insensitively), so a
 * quoted, cut-off or partly echoed auth value cannot slip through (a secret shorter than that is
 * hidden where it occurs whole), and only then shortens the text: shortening first could cut a
 * secret so that a whole-value match misses it.
 */
public final class Redaction {
  /** The longest error text kept. */
  public static final int MAX_CHARS = 500;
  /** Shorter runs are too common to mean anything (and a secret's 7 characters reveal little). */
  static final int WINDOW = 8;
  /** Secrets shorter than this are not looked for: they would hide ordinary words. */
  static final int MIN_SECRET = 4;
  static final String MARK = "[redacted]";

  private Redaction() {}

  /** {@code text} without any trace of the secrets, at most {@link #MAX_CHARS} characters. */
  public static String clean(String text, String... secrets) {
    if (text == null) {
      return null;
    }
    // Only a prefix can reach the output, and finding a run needs nothing beyond it.
    String t = text.length() > MAX_CHARS * 4 ? text.substring(0, MAX_CHARS * 4) : text;
    char[] original = t.toCharArray();
    char[] folded = fold(t);
    boolean[] hide = new boolean[t.length()];
    for (String secret : variants(secrets)) {
      if (secret.length() < WINDOW) {
        // Short: whole occurrences, same case (a short secret folded would hide ordinary words).
        markWhole(original, secret.toCharArray(), hide);
      } else {
        markRuns(folded, fold(secret), hide);
      }
    }
    StringBuilder out = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      if (!hide[i]) {
        out.append(t.charAt(i));
      } else if (i == 0 || !hide[i - 1]) {
        out.append(MARK);
      }
    }
    return shorten(out.toString());
  }

  private static void markWhole(char[] text, char[] secret, boolean[] hide) {
    for (int i = 0; i + secret.length <= text.length; i++) {
      if (regionEquals(text, i, secret, 0, secret.length)) {
        java.util.Arrays.fill(hide, i, i + secret.length, true);
      }
    }
  }

  /** Marks every position covered by a run of {@value #WINDOW} characters that also occurs in the secret. */
  private static void markRuns(char[] text, char[] secret, boolean[] hide) {
    Set<String> windows = new HashSet<>();
    for (int i = 0; i + WINDOW <= secret.length; i++) {
      windows.add(new String(secret, i, WINDOW));
    }
    for (int i = 0; i + WINDOW <= text.length; i++) {
      if (windows.contains(new String(text, i, WINDOW))) {
        java.util.Arrays.fill(hide, i, i + WINDOW, true);
      }
    }
  }

  /**
   * The secrets as given, and for a Basic auth value (base64 of {@code user:password}) also its
   * decoded form and password, which an error text might quote instead.
   */
  private static List<String> variants(String... secrets) {
    List<String> all = new ArrayList<>();
    for (String s : secrets) {
      if (s == null || s.length() < MIN_SECRET) {
        continue;
      }
      all.add(s);
      String decoded = decodedBasic(s);
      if (decoded != null) {
        all.add(decoded);
        String password = decoded.substring(decoded.indexOf(':') + 1);
        if (password.length() >= MIN_SECRET) {
          all.add(password);
        }
      }
    }
    return all;
  }

  private static String decodedBasic(String s) {
    if (s.length() % 4 != 0 || !s.matches("[A-Za-z0-9+/]+={0,2}")) {
      return null;
    }
    try {
      String d = new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
      return d.indexOf(':') > 0 && d.chars().allMatch(c -> c >= 0x20 && c != 0x7F && c != 0xFFFD) ? d : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Lower case, char by char, so positions in the folded text are positions in the original. */
  private static char[] fold(String s) {
    char[] c = s.toCharArray();
    for (int i = 0; i < c.length; i++) {
      c[i] = Character.toLowerCase(c[i]);
    }
    return c;
  }

  private static boolean regionEquals(char[] a, int from, char[] b, int bFrom, int length) {
    for (int k = 0; k < length; k++) {
      if (a[from + k] != b[bFrom + k]) {
        return false;
      }
    }
    return true;
  }

  private static String shorten(String s) {
    if (s.length() <= MAX_CHARS) {
      return s;
    }
    int end = MAX_CHARS - 1;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "…";
  }
}
