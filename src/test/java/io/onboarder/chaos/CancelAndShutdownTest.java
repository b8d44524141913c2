package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.ServiceProcess;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancelled job stays cancelled across SIGTERM, restart and retry, and nothing that never reached
 * Cyclr is installed after a cancel; a SIGTERM right after a 202 loses nothing and races nothing.
 */
@ExtendWith(VertxExtension.class)
class CancelAndShutdownTest {

  private static Map<String, String> env(CyclrEmulator cyclr, Path dir, int concurrency) {
    Map<String, String> env = new HashMap<>(Map.of(
        "API_TOKENS", TestService.TOKEN,
        "CYCLR_API_URL", cyclr.apiUrl(),
        "CYCLR_CLIENT_ID", cyclr.options().getClientId(),
        "CYCLR_CLIENT_SECRET", cyclr.options().getClientSecret(),
        "STORE_URL", "sqlite:" + dir.resolve("data/onboarder.db"),
        "GATEWAY_MAX_CONCURRENCY", String.valueOf(concurrency),
        "CYCLR_REQUEST_TIMEOUT_MS", "5000"));
    env.put("JOBS_SHUTDOWN_GRACE_MS", "10000");
    return env;
  }

  private static JsonObject post(Vertx vertx, ServiceProcess p, String path) {
    var r = TestService.await(WebClient.create(vertx).postAbs(p.base() + path)
        .bearerTokenAuthentication(TestService.TOKEN).send());
    return new JsonObject().put("status", r.statusCode()).put("body", r.bodyAsString());
  }

  @Test
  void cancelThenSigtermThenRestartInstallsNothingThatWasNotSentAndStaysCancelled(Vertx vertx,
                                                                                @TempDir Path dir) {
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions().setLatencyMs(100));
    TestService.await(cyclr.start(0));
    Path log = dir.resolve("service.log");
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir, 50))) {
      id = p.submit(TestService.apiKeyJob("cxl", 2000));
      p.awaitProgress(id, 20, Duration.ofSeconds(60));
      assertThat(post(vertx, p, "/v1/jobs/" + id + "/cancel").getInteger("status")).isEqualTo(200);
      assertThat(p.terminate(Duration.ofSeconds(30))).isZero();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir, 50))) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("CANCELLED");
      JsonObject counts = done.getJsonObject("counts");
      // Every install Cyclr saw is reported; none was sent after the cancel reached the store.
      assertThat(cyclr.stats().installs()).isEqualTo(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED"));
      assertThat(counts.getLong("CANCELLED")).isGreaterThan(1500);
      assertThat(cyclr.stats().duplicateInstalls()).isZero();
      // Retry of a cancelled job is refused; the job stays cancelled.
      assertThat(post(vertx, p, "/v1/jobs/" + id + "/retry").getInteger("status")).isEqualTo(409);
      assertThat(p.job(id).getString("status")).isEqualTo("CANCELLED");
      p.terminate(Duration.ofSeconds(30));
    }
  }

  @Test
  void sigtermMillisecondsAfterA202LeavesNothingRunningAndARestartFinishes(Vertx vertx, @TempDir Path dir)
      throws Exception {
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions().setLatencyMs(50));
    TestService.await(cyclr.start(0));
    Path log = dir.resolve("service.log");
    int n = 500;
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir, 16))) {
      id = p.submit(TestService.apiKeyJob("fast", n));
      assertThat(p.terminate(Duration.ofSeconds(30))).isZero();
    }
    String output = Files.readString(log);
    assertThat(output).doesNotContain("Pool closed").doesNotContain("Exception");
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir, 16))) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      p.terminate(Duration.ofSeconds(30));
    }
    assertThat(cyclr.stats().installs()).isEqualTo(n);
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
  }
}
