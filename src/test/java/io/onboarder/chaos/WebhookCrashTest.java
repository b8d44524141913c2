package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.ServiceProcess;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.onboarder.support.WebhookReceiver.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * At least once, across a crash: the service runs as a real process, is killed with SIGKILL mid-job
 * while its receiver refuses the first deliveries, and is started again on the same store. Every
 * expected webhook still arrives, correctly signed, and the secret is nowhere on disk or in the log.
 */
@ExtendWith(VertxExtension.class)
class WebhookCrashTest {

  @Test
  void everyExpectedWebhookArrivesAcrossASigkillAndAReceiverThatFailsTheFirstDeliveries(Vertx vertx,
      @TempDir Path dir) throws Exception {
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions().setLatencyMs(10));
    TestService.await(cyclr.start(0));
    String secret = WebhookReceiver.newSecret();
    WebhookReceiver receiver = WebhookReceiver.start(vertx, secret);
    // The first 25 requests are refused, then every third webhook's first attempt too.
    AtomicInteger seen = new AtomicInteger();
    receiver.answer(r -> seen.incrementAndGet() <= 25 || (r.attemptOfId() == 1 && Math.abs(r.id().hashCode()) % 3 == 0)
        ? Answer.of(503) : Answer.ok());
    receiver.latencyMs(5);

    int oauth = 60;
    int failing = 30;
    int apiKey = 240;
    JsonArray items = new JsonArray();
    for (int i = 1; i <= oauth + failing + apiKey; i++) {
      JsonObject item = new JsonObject().put("account", String.format("hook-%04d", i));
      if (i <= oauth) {
        item.put("connector", new JsonObject().put("name", "Salesforce"));
      } else if (i <= oauth + failing) {
        item.put("connector", new JsonObject().put("id", 999));
      } else {
        item.put("authValue", "crash-hook-auth-" + i);
      }
      items.add(item);
    }
    JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("items", items);

    Map<String, String> env = new HashMap<>(Map.of(
        "API_TOKENS", TestService.TOKEN,
        "CYCLR_API_URL", cyclr.apiUrl(),
        "CYCLR_CLIENT_ID", cyclr.options().getClientId(),
        "CYCLR_CLIENT_SECRET", cyclr.options().getClientSecret(),
        "STORE_URL", "sqlite:" + dir.resolve("data/onboarder.db"),
        "GATEWAY_MAX_CONCURRENCY", "4",
        "WEBHOOK_URL", receiver.url(),
        "WEBHOOK_SECRET", secret));
    Path log = dir.resolve("service.log");
    String id;
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env)) {
      id = p.submit(job);
      p.awaitProgress(id, 90, Duration.ofSeconds(60));
      p.killHard();
    }
    int beforeRestart = receiver.distinct().size();
    try (ServiceProcess p = ServiceProcess.start(vertx, dir, log, env)) {
      JsonObject done = p.awaitJob(id, Duration.ofSeconds(120));
      assertThat(done.getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
      // Expected: one item.oauth_pending per OAuth item, one item.failed per failing item, one job.finished.
      Set<String> expected = new HashSet<>();
      for (int i = 1; i <= oauth + failing; i++) {
        expected.add((i <= oauth ? "item.oauth_pending" : "item.failed") + "/" + String.format("hook-%04d", i));
      }
      expected.add("job.finished/" + id);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      Set<String> got = new HashSet<>();
      while (System.nanoTime() < deadline && !got.containsAll(expected)) {
        got.clear();
        for (WebhookReceiver.Received r : receiver.received) {
          JsonObject body = r.json();
          JsonObject data = body.getJsonObject("data");
          String subject = body.getString("type").equals("job.finished") ? data.getString("id")
              : data.getString("account");
          got.add(body.getString("type") + "/" + subject);
        }
        TestService.await(vertx.timer(100));
      }
      assertThat(got).containsAll(expected);
      assertThat(receiver.received).allSatisfy(r -> assertThat(r.signatureValid()).isTrue());
      // Retries and re-sends after the crash keep their webhook-id: one id per event.
      Map<String, Set<String>> idsByEvent = new HashMap<>();
      for (WebhookReceiver.Received r : receiver.received) {
        JsonObject body = r.json();
        String subject = body.getString("type").equals("job.finished") ? body.getJsonObject("data").getString("id")
            : body.getJsonObject("data").getString("account");
        idsByEvent.computeIfAbsent(body.getString("type") + "/" + subject, k -> new HashSet<>()).add(r.id());
      }
      assertThat(idsByEvent).allSatisfy((event, ids) -> assertThat(ids).as(event).hasSize(1));
      assertThat(receiver.received.size()).as("refused attempts were sent again").isGreaterThan(expected.size());
      assertThat(beforeRestart).as("some webhooks went out before the kill").isPositive();
      p.terminate(Duration.ofSeconds(30));
    } finally {
      receiver.close();
    }
    // Neither the webhook secret nor an auth value is in the log or any file the service wrote.
    String key = secret.substring("whsec_".length());
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(content).as(f.toString()).doesNotContain(key).doesNotContain("crash-hook-auth-");
      }
    }
  }
}
