package io.onboarder.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Where the service is and how to authenticate: {@code --server}, and the token from the
 * environment ({@code CYCLR_ONBOARDER_TOKEN}) or a file ({@code --token-file}), never from a flag
 * value that would land in the shell history.
 */
final class ServerOptions {
  /** The environment, replaceable in tests. */
  static Function<String, String> env = System::getenv;

  @Option(names = "--server", paramLabel = "URL",
      description = "the service's base URL (default: $CYCLR_ONBOARDER_URL, else http://localhost:8080)")
  String server;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "file holding the API token (default: the token in $CYCLR_ONBOARDER_TOKEN)")
  Path tokenFile;

  ApiClient client() {
    String url = server != null ? server
        : env.apply("CYCLR_ONBOARDER_URL") != null ? env.apply("CYCLR_ONBOARDER_URL") : "http://localhost:8080";
    return new ApiClient(url, token());
  }

  private String token() {
    if (tokenFile != null) {
      return checked(fromFile(tokenFile), "--token-file " + tokenFile);
    }
    String t = env.apply("CYCLR_ONBOARDER_TOKEN");
    return t == null || t.isBlank() ? null : checked(t.strip(), "$CYCLR_ONBOARDER_TOKEN");
  }

  /** Most bytes a token file may have: a token is far shorter, and a wrong path must not be read whole. */
  private static final long MAX_TOKEN_FILE_BYTES = 64 * 1024;

  /** The file's one line, without a UTF-8 byte-order mark (Windows editors add one) or line break. */
  static String fromFile(Path file) {
    String text;
    try {
      if (Files.size(file) > MAX_TOKEN_FILE_BYTES) {
        throw new CliException("--token-file " + file + " is larger than " + MAX_TOKEN_FILE_BYTES
            + " bytes; it must hold the token alone");
      }
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CliException("cannot read --token-file " + file + ": " + e.getMessage());
    }
    text = (text.startsWith("\uFEFF") ? text.substring(1) : text).strip();
    if (text.isEmpty()) {
      throw new CliException("--token-file " + file + " is empty");
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      throw new CliException("--token-file " + file + " has more than one line; it must hold the token alone");
    }
    return text;
  }

  /** A token goes into an HTTP header: visible ASCII only. The message never shows the token. */
  static String checked(String token, String source) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        throw new CliException(source + " holds a character that cannot be part of a token (a space, a control "
            + "character or non-ASCII); it must hold the token alone");
      }
    }
    return token;
  }
}
