package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core stays readable: no main source file grows past 450 lines, and no store port past 12 methods
 * (split them by responsibility or record kind instead).
 */
class SourceShapeTest {
  private static final int MAX_LINES = 450;
  private static final int MAX_PORT_METHODS = 12;

  @Test
  void noMainSourceFileIsOver450Lines() throws IOException {
    List<String> tooLong;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      tooLong = files.filter(p -> p.toString().endsWith(".java")).filter(p -> lines(p) > MAX_LINES)
          .map(p -> p + " (" + lines(p) + " lines)").toList();
    }
    assertThat(tooLong).isEmpty();
  }

  /** A store port: an interface outside {@code store} that a class of the {@code store} package implements. */
  @Test
  void noStorePortHasMoreThan12Methods() throws Exception {
    Set<Class<?>> ports = new TreeSet<>(Comparator.comparing(Class::getName));
    try (Stream<Path> files = Files.walk(Path.of("target/classes/io/onboarder/store"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String name = "io.onboarder.store." + f.getFileName().toString().replace(".class", "");
        for (Class<?> i : Class.forName(name).getInterfaces()) {
          if (i.getName().startsWith("io.onboarder.") && !i.getPackageName().equals("io.onboarder.store")) {
            ports.add(i);
          }
        }
      }
    }
    assertThat(ports).as("the ports the store implements").extracting(Class::getSimpleName)
        .contains("JobRecords", "ItemQueue", "AccountQueue", "SignIns", "WebhookOutbox", "FleetStore");
    List<String> tooWide = ports.stream().filter(i -> portMethods(i) > MAX_PORT_METHODS)
        .map(i -> i.getName() + " (" + portMethods(i) + " methods)").toList();
    assertThat(tooWide).isEmpty();
  }

  private static long portMethods(Class<?> port) {
    return Arrays.stream(port.getDeclaredMethods()).filter(m -> Modifier.isAbstract(m.getModifiers())).count();
  }

  private static long lines(Path p) {
    try (Stream<String> l = Files.lines(p)) {
      return l.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
