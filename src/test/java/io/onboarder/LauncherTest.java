package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher users run ({@code bin/cyclr-onboarder}: the README's quick start and the container image's
 * ENTRYPOINT) execs java with the shipped JVM settings, finds the jar, passes the arguments through and lets
 * {@code ONBOARDER_JVM_OPTIONS} replace the settings; the Windows script and the docs name the same flags. A
 * stand-in {@code java} (JAVA_HOME) prints what it was given, so no JVM starts.
 */
class LauncherTest {
  private static final Path LAUNCHER = Path.of("bin/cyclr-onboarder");
  static final String SHIPPED = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx512m -XX:+ExitOnOutOfMemoryError";

  @TempDir
  Path tmp;

  @Test
  void execsJavaWithTheShippedSettingsAndTheArguments() throws Exception {
    Path jar = Files.writeString(tmp.resolve("some.jar"), "");
    List<String> args = run(Map.of("ONBOARDER_JAR", jar.toString()), "serve", "--flag", "two words");
    assertThat(String.join(" ", args)).isEqualTo(SHIPPED + " -jar " + jar + " serve --flag two words");
    assertThat(args).endsWith("two words");
  }

  @Test
  void onboarderJvmOptionsReplaceTheSettings() throws Exception {
    Path jar = Files.writeString(tmp.resolve("some.jar"), "");
    List<String> args = run(Map.of("ONBOARDER_JAR", jar.toString(), "ONBOARDER_JVM_OPTIONS", "-Xmx1g -XX:+UseG1GC"),
        "demo");
    assertThat(args).containsExactly("-Xmx1g", "-XX:+UseG1GC", "-jar", jar.toString(), "demo");
  }

  @Test
  void findsTheJarBesideItsFolderAsInTheImage() throws Exception {
    // The image: /app/bin/cyclr-onboarder and /app/cyclr-onboarder.jar.
    Path app = Files.createDirectories(tmp.resolve("app/bin"));
    Path launcher = Files.copy(LAUNCHER, app.resolve("cyclr-onboarder"));
    Files.writeString(app.resolveSibling("cyclr-onboarder.jar"), "");
    List<String> args = run(launcher, Map.of(), "serve");
    assertThat(args).containsSubsequence("-jar", app.resolveSibling("cyclr-onboarder.jar").toAbsolutePath().normalize().toString(),
        "serve");
  }

  @Test
  void saysHowToBuildTheJarWhenThereIsNone() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("empty/bin"));
    Path launcher = Files.copy(LAUNCHER, bin.resolve("cyclr-onboarder"));
    Process p = start(launcher, Map.of(), "serve");
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("./mvnw -B -q package -DskipTests");
  }

  @Test
  void theImageTheWindowsScriptAndTheDocsUseTheSameSettings() throws IOException {
    assertThat(Files.readString(Path.of("Dockerfile"))).contains("ENTRYPOINT [\"/app/bin/cyclr-onboarder\"]")
        .contains("COPY --chmod=0755 bin/cyclr-onboarder /app/bin/cyclr-onboarder");
    assertThat(Files.readString(Path.of("bin/cyclr-onboarder.cmd"))).contains(SHIPPED);
    assertThat(Files.readString(Path.of("docs/operations.md"))).contains(SHIPPED);
    String pod = Files.readString(Path.of("k8s/base/deployment.yaml"));
    Matcher m = Pattern.compile("name: ONBOARDER_JVM_OPTIONS\\s+value: \"([^\"]+)\"").matcher(pod);
    assertThat(m.find()).as("k8s/base sets ONBOARDER_JVM_OPTIONS").isTrue();
    // The pod's heap follows its memory limit instead of the fixed 512 MB; everything else is the same.
    assertThat(m.group(1)).isEqualTo(SHIPPED.replace("-Xmx512m", "-XX:MaxRAMPercentage=70"));
    assertThat(Files.readString(Path.of("README.md"))).contains("bin/cyclr-onboarder demo")
        .doesNotContain("java -jar target/cyclr-onboarder.jar");
  }

  private List<String> run(Map<String, String> env, String... args) throws Exception {
    return run(LAUNCHER, env, args);
  }

  private List<String> run(Path launcher, Map<String, String> env, String... args) throws Exception {
    Process p = start(launcher, env, args);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    return out.lines().toList();
  }

  private Process start(Path launcher, Map<String, String> env, String... args) throws IOException {
    Path fakeHome = tmp.resolve("jdk");
    Path java = fakeHome.resolve("bin/java");
    if (!Files.exists(java)) {
      Files.createDirectories(java.getParent());
      Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
      Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    List<String> command = new java.util.ArrayList<>(List.of("sh", launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("ONBOARDER_JAR");
    pb.environment().remove("ONBOARDER_JVM_OPTIONS");
    pb.environment().put("JAVA_HOME", fakeHome.toString());
    pb.environment().putAll(env);
    return pb.start();
  }
}
