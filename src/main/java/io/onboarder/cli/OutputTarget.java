package io.onboarder.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where {@code -o FILE} really writes: through symbolic links to the file they name, so a link (or,
 * for root, {@code /dev/stdout}) is never replaced by a regular file.
 */
final class OutputTarget {
  private static final int MAX_LINKS = 40;

  private OutputTarget() {}

  /** The path after following every link, even to a file that does not exist yet. */
  static Path resolve(Path target) {
    Path p = target.toAbsolutePath();
    try {
      if (Files.exists(p)) {
        return p.toRealPath();
      }
      for (int hops = 0; Files.isSymbolicLink(p); hops++) {
        if (hops == MAX_LINKS) {
          throw new CliException(target + ": too many levels of symbolic links");
        }
        p = p.resolveSibling(Files.readSymbolicLink(p)).normalize();
      }
      return p;
    } catch (IOException e) {
      throw new CliException("cannot follow " + target + ": " + e.getMessage());
    }
  }

  /** Writes {@code from} into an existing device or pipe, which is opened for writing, never created. */
  static void copyInto(Path from, Path special) throws IOException {
    try (OutputStream out = Files.newOutputStream(special, StandardOpenOption.WRITE)) {
      Files.copy(from, out);
    }
  }
}
