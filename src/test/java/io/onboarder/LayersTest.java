package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of the service, read from its source: which package may use which. A use is an import
 * (static or not) or a fully qualified name in code; comments and string literals do not count.
 * <ul>
 *   <li>{@code config} is a leaf: it uses no other package of the service; so is {@code time}, the one clock;</li>
 *   <li>{@code job} (the model, its ports and the job service) uses neither {@code intake}, which uses
 *   it, nor the store implementations, nor the HTTP API;</li>
 *   <li>{@code history} uses neither the stores that write it nor the code that records into it;</li>
 *   <li>the Cyclr emulator stands alone: it is Cyclr, not a part of the service;</li>
 *   <li>the demo is a caller: it embeds the service through {@code Application} and runs the emulator,
 *   and uses nothing else of the service (it talks HTTP and the public event-bus addresses).</li>
 * </ul>
 */
class LayersTest {
  private static final Path ROOT = Path.of("src/main/java/io/onboarder");

  /** A package that uses only the {@code allowed} others (null: any), and none of the {@code forbidden}. */
  private record Rule(String pkg, Set<String> allowed, Set<String> forbidden) {
    boolean breaks(String used) {
      return forbidden.contains(used) || (allowed != null && !allowed.contains(used));
    }
  }

  private static final List<Rule> RULES = List.of(
      new Rule("config", Set.of(), Set.of()),
      new Rule("time", Set.of(), Set.of()),
      new Rule("job", null, Set.of("intake", "store", "api")),
      // Account history is written by the stores and read through its service: it uses neither them nor the API,
      // nor the fleets and sign-in code that record into it.
      new Rule("history", null, Set.of("intake", "store", "api", "fleet", "signin", "cyclr")),
      new Rule("emulator", Set.of(), Set.of()),
      // "" is the root package: Application, the service as an embedder starts it.
      new Rule("demo", Set.of("", "emulator"), Set.of()));

  @Test
  void noPackageUsesOneItsLayerForbids() {
    Set<String> broken = new TreeSet<>();
    for (Path file : sources()) {
      String pkg = packageOf(file);
      for (Rule rule : RULES) {
        if (!rule.pkg().equals(pkg)) {
          continue;
        }
        for (String used : packagesUsed(read(file))) {
          if (!used.equals(pkg) && rule.breaks(used)) {
            broken.add(ROOT.relativize(file) + " -> " + used + (used.isEmpty() ? "(root)" : ""));
          }
        }
      }
    }
    assertThat(broken).as("uses that break the layers (" + RULES + ")").isEmpty();
  }

  @Test
  void aUseIsAnImportOrAQualifiedNameButNotAComment() {
    String source = """
        package io.onboarder.job;

        import io.onboarder.bus.Problem;
        import static io.onboarder.metrics.Metrics.current;
        import io.onboarder.cyclr.*;

        /** See {@link io.onboarder.api.Problems}. */
        class X {
          // io.onboarder.intake.JobIntake is only mentioned
          String s = "io.onboarder.webhook.WebhookTypes";
          Object a = io.onboarder.store.StoreErrors.isDiskFull(null);
          Object b = io.onboarder.Application.class;
          Object c = io.onboarder.job.JobStatus.PENDING;
        }
        """;
    assertThat(packagesUsed(source)).containsExactlyInAnyOrder("bus", "metrics", "cyclr", "store", "", "job");
  }

  /** The service's packages {@code source} uses: "" for the root package ({@code Application}, {@code Main}). */
  static Set<String> packagesUsed(String source) {
    String code = withoutCommentsAndStrings(source).replaceFirst("package\\s+[\\w.]+\\s*;", "");
    Set<String> used = new TreeSet<>();
    Matcher m = Pattern.compile("\\bio\\s*\\.\\s*onboarder\\s*\\.\\s*([A-Za-z_]\\w*)").matcher(code);
    while (m.find()) {
      String next = m.group(1);
      used.add(Character.isUpperCase(next.charAt(0)) ? "" : next);
    }
    return used;
  }

  /** The code of {@code source} with comments, string, text-block and char literals blanked. */
  private static String withoutCommentsAndStrings(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    int n = source.length();
    while (i < n) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        int end = source.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != c) {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(c).append(c);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static List<Path> sources() {
    try (Stream<Path> files = Files.walk(ROOT)) {
      List<Path> all = new ArrayList<>(files.filter(p -> p.toString().endsWith(".java")).toList());
      assertThat(all).as("the main sources, from the project directory").hasSizeGreaterThan(100);
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The top-level package under io.onboarder a source file is in ("" for the root). */
  private static String packageOf(Path file) {
    Path rel = ROOT.relativize(file);
    return rel.getNameCount() == 1 ? "" : rel.getName(0).toString();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
