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
      try {
        String t = Files.readString(tokenFile).strip();
        if (t.isEmpty()) {
          throw new CliException("--token-file " + tokenFile + " is empty");
        }
        return t;
      } catch (IOException e) {
        throw new CliException("cannot read --token-file " + tokenFile + ": " + e.getMessage());
      }
    }
    String t = env.apply("CYCLR_ONBOARDER_TOKEN");
    return t == null || t.isBlank() ? null : t.strip();
  }
}
