package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The core stays readable: no main source file grows past 450 lines (split it by responsibility instead). */
class SourceShapeTest {
  private static final int MAX_LINES = 450;

  @Test
  void noMainSourceFileIsOver450Lines() throws IOException {
    List<String> tooLong;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      tooLong = files.filter(p -> p.toString().endsWith(".java")).filter(p -> lines(p) > MAX_LINES)
          .map(p -> p + " (" + lines(p) + " lines)").toList();
    }
    assertThat(tooLong).isEmpty();
  }

  private static long lines(Path p) {
    try (Stream<String> l = Files.lines(p)) {
      return l.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
