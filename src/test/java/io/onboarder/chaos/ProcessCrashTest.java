package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.ServiceProcess;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as a real process, killed with SIGKILL mid-job (twice) or stopped with SIGTERM:
 * after a restart on the same store every account is installed exactly once, and no auth value
 * is in the process output or the database files.
 */
@ExtendWith(VertxExtension.class)
class ProcessCrashTest {

  private static Map<String, String> env(CyclrEmulator cyclr, Path dir) {
    return Map.of(
        "API_TOKENS", TestService.TOKEN,
        "CYCLR_API_URL", cyclr.apiUrl(),
        "CYCLR_CLIENT_ID", cyclr.options().getClientId(),
        "CYCLR_CLIENT_SECRET", cyclr.options().getClientSecret(),
        "STORE_URL", "sqlite:" + dir.resolve("data/onboarder.db"),
        "GATEWAY_MAX_CONCURRENCY", "8",
        "CYCLR_REQUEST_TIMEOUT_MS", "3000",
        "JOBS_SHUTDOWN_GRACE_MS", "10000");
  }

  private static CyclrEmulator emulator(Vertx vertx, int latencyMs) {
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions().setLatencyMs(latencyMs));
    TestService.await(cyclr.start(0));
    return cyclr;
  }

  @Test
  void killedHardTwiceMidJobThenRestartedInstallsEveryAccountExactlyOnce(Vertx vertx, @TempDir Path dir)
      throws IOException {
    CyclrEmulator cyclr = emulator(vertx, 10);
    Path log = dir.resolve("service.log");
    int n = 1200;
    JsonObject job = TestService.apiKeyJob("crash", n);
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      id = p.submit(job);
      p.awaitProgress(id, 150, Duration.ofSeconds(60));
      p.killHard();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      p.awaitProgress(id, 500, Duration.ofSeconds(60));
      p.killHard();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(120));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      JsonObject counts = done.getJsonObject("counts");
      assertThat(counts.getLong("RUNNING")).isZero();
      assertThat(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED")).isEqualTo(n);
      p.terminate(Duration.ofSeconds(30));
    }
    assertThat(cyclr.stats().installs()).isEqualTo(n);
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
    assertNoAuthValueOnDisk(dir, log, n);
  }

  @Test
  void sigtermDrainsExitsZeroAndARestartFinishesWithoutDuplicates(Vertx vertx, @TempDir Path dir)
      throws IOException {
    CyclrEmulator cyclr = emulator(vertx, 15);
    Path log = dir.resolve("service.log");
    int n = 600;
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      id = p.submit(TestService.apiKeyJob("term", n));
      p.awaitProgress(id, 100, Duration.ofSeconds(60));
      long t0 = System.nanoTime();
      int exit = p.terminate(Duration.ofSeconds(30));
      assertThat(exit).isZero();
      Files.copy(log, Path.of("target/sigterm-service.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
    }
    Files.copy(log, Path.of("target/sigterm-service.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.readString(log)).contains("draining").contains("stopped");
    // A process without a terminal logs JSON lines (LOG_FORMAT unset), as in a container.
    assertThat(Files.readAllLines(log)).filteredOn(line -> line.contains("\"stopped\""))
        .singleElement().satisfies(line -> {
          JsonObject stopped = new JsonObject(line);
          assertThat(stopped.getString("message")).isEqualTo("stopped");
          assertThat(stopped.getString("level")).isEqualTo("INFO");
          assertThat(stopped.getString("@timestamp")).matches("\\d{4}-\\d{2}-\\d{2}T.*Z");
        });
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(120));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      p.terminate(Duration.ofSeconds(30));
    }
    assertThat(cyclr.stats().installs()).isEqualTo(n);
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
    assertNoAuthValueOnDisk(dir, log, n);
  }

  /** No auth value of the job appears in the process output or in any file the service wrote. */
  private static void assertNoAuthValueOnDisk(Path dir, Path log, int n) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertThat(files).contains(log);
    assertThat(files.stream().map(Path::toString)).anyMatch(f -> f.endsWith("onboarder.db"));
    for (Path f : files) {
      String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      assertThat(content).as(f.toString()).doesNotContain("secret-key-");
    }
    Path key = dir.resolve("data/onboarder.key");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
  }
}
