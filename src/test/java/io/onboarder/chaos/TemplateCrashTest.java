package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.DefaultCatalogue;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.ServiceProcess;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as a real process running a job with a template, killed with SIGKILL (twice, while template
 * installs are on the wire, some of whose answers Cyclr loses) and stopped with SIGTERM: after restarts on the
 * same store, every account has exactly one cycle of the template, active.
 */
@ExtendWith(VertxExtension.class)
class TemplateCrashTest {

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

  private static JsonObject accountCounts(Vertx vertx, ServiceProcess p, String id) {
    WebClient http = WebClient.create(vertx);
    try {
      return TestService.await(http.getAbs(p.base() + "/v1/jobs/" + id).bearerTokenAuthentication(TestService.TOKEN)
          .send()).bodyAsJsonObject().getJsonObject("accounts");
    } finally {
      http.close();
    }
  }

  @Test
  void killedHardAndStoppedMidJobNeverLeavesTwoCyclesOfTheTemplateInAnAccount(Vertx vertx, @TempDir Path dir) {
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions().setLatencyMs(15)
        .setDropTemplateInstallRate(0.1));
    TestService.await(cyclr.start(0));
    Path log = dir.resolve("service.log");
    int n = 300;
    JsonObject job = TestService.apiKeyJob("tc", n)
        .put("template", new JsonObject().put("name", "API Key Sync"))
        .put("activate", new JsonObject().put("interval", 60));
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      id = p.submit(job);
      p.job(id);
      TestService.await(pollUntil(vertx, () -> cyclr.stats().cyclesInstalled() >= 40));
      p.killHard();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      long before = cyclr.stats().cyclesInstalled();
      TestService.await(pollUntil(vertx, () -> cyclr.stats().cyclesInstalled() >= before + 60));
      p.killHard();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      long before = cyclr.stats().cyclesInstalled();
      TestService.await(pollUntil(vertx, () -> cyclr.stats().cyclesInstalled() >= before + 40));
      assertThat(p.terminate(Duration.ofSeconds(30))).as("SIGTERM drains and exits 0").isZero();
    }
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env(cyclr, dir))) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(120));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(accountCounts(vertx, p, id).getLong("ACTIVE")).isEqualTo(n);
      p.terminate(Duration.ofSeconds(30));
    }
    assertThat(cyclr.stats().duplicateCycles()).isZero();
    assertThat(cyclr.stats().cyclesInstalled()).isEqualTo(n);
    assertThat(cyclr.stats().dropsInjected()).as("some answers were lost on the way").isPositive();
    assertThat(IntStream.rangeClosed(1, n).mapToObj(i -> String.format("tc-%04d", i)))
        .allSatisfy(a -> assertThat(cyclr.cycles(a)).as(a).hasSize(1)
            .allSatisfy(c -> assertThat(c.getString("Status")).isEqualTo("Active")));
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
  }

  /** Completes once {@code condition} holds (polled every 10 ms), or fails after a minute. */
  private static io.vertx.core.Future<Void> pollUntil(Vertx vertx, java.util.function.BooleanSupplier condition) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    vertx.setPeriodic(10, t -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(t);
        done.tryComplete();
      } else if (System.nanoTime() > deadline) {
        vertx.cancelTimer(t);
        done.tryFail("condition not met within a minute");
      }
    });
    return done.future();
  }
}
