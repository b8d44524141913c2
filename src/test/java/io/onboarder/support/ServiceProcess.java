package io.onboarder.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service as a separate JVM ({@code java -cp … io.onboarder.Main serve}), configured only
 * through env vars, so tests can kill it hard (SIGKILL) or ask it to stop (SIGTERM).
 */
public final class ServiceProcess implements AutoCloseable {
  private final Vertx vertx;
  private final Process process;
  private final int port;
  private final WebClient http;

  private ServiceProcess(Vertx vertx, Process process, int port, WebClient http) {
    this.vertx = vertx;
    this.process = process;
    this.port = port;
    this.http = http;
  }

  public static ServiceProcess start(Vertx vertx, Path workDir, Path log, Map<String, String> env) {
    ServiceProcess p = launch(vertx, workDir, log, env);
    p.awaitReady(Duration.ofSeconds(60));
    return p;
  }

  /** Starts the process without waiting for it to be ready (several nodes start in parallel). */
  public static ServiceProcess launch(Vertx vertx, Path workDir, Path log, Map<String, String> env) {
    String store = env.getOrDefault("STORE_URL", "");
    if (store.startsWith("sqlite:")) {
      // The service's schema, migrated once per test JVM: the process only checks it.
      io.onboarder.store.SchemaTemplates.sqliteAt(workDir.resolve(store.substring("sqlite:".length())));
    }
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
          System.getProperty("java.class.path"), "io.onboarder.Main", "serve"));
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().putAll(env);
      pb.environment().put("HTTP_PORT", String.valueOf(port));
      return new ServiceProcess(vertx, pb.start(), port, WebClient.create(vertx));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("service exited with " + process.exitValue() + " during start-up");
      }
      try {
        HttpResponse<Buffer> r = http.getAbs(base() + "/health/ready").timeout(1000).send()
            .await(2, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          return;
        }
      } catch (Exception notYet) {
        // still starting
      }
      pause(50);
    }
    throw new AssertionError("service not ready in " + timeout);
  }

  public int readyStatus() {
    try {
      return http.getAbs(base() + "/health/ready").timeout(2000).send().await(3, TimeUnit.SECONDS).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  public String submit(JsonObject job) {
    HttpResponse<Buffer> r = TestService.await(http.postAbs(base() + "/v1/jobs")
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Content-Type", "application/json")
        .sendBuffer(job.toBuffer()));
    if (r.statusCode() != 202) {
      throw new AssertionError("expected 202, got " + r.statusCode() + " " + r.bodyAsString());
    }
    return r.bodyAsJsonObject().getString("id");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public JsonObject job(String id) {
    return TestService.await(http.getAbs(base() + "/v1/jobs/" + id).bearerTokenAuthentication(TestService.TOKEN)
        .send()).bodyAsJsonObject();
  }

  /** Polls until the job has at least {@code n} items out of PENDING/RUNNING (or is finished). */
  public JsonObject awaitProgress(String id, long n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonObject j = null;
    while (System.nanoTime() < deadline) {
      j = job(id);
      JsonObject c = j.getJsonObject("counts");
      long done = j.getLong("total") - c.getLong("PENDING") - c.getLong("RUNNING");
      if (done >= n || TestService.TERMINAL.contains(j.getString("status"))) {
        return j;
      }
      pause(20);
    }
    throw new AssertionError("no progress to " + n + " in " + timeout + "; last " + j);
  }

  public JsonObject awaitJob(String id, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonObject j = null;
    while (System.nanoTime() < deadline) {
      j = job(id);
      if (TestService.TERMINAL.contains(j.getString("status"))) {
        return j;
      }
      pause(50);
    }
    throw new AssertionError("job not finished in " + timeout + "; last " + j);
  }

  /** SIGKILL: no shutdown hook, no drain, no flush. */
  public void killHard() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(30));
  }

  /** SIGTERM; returns the exit code. */
  public int terminate(Duration within) {
    process.destroy();
    return waitFor(within);
  }

  private int waitFor(Duration within) {
    try {
      if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("process did not exit within " + within);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The interval between polls of another process (a Vert.x timer; there is no future across processes). */
  private void pause(long ms) {
    TestService.await(vertx.timer(ms));
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    http.close();
  }
}
