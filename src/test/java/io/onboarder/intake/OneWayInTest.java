package io.onboarder.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.store.StoreFaults;
import io.onboarder.support.BridgeClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One way in: every condition a submission is refused for (a malformed or reused idempotency key,
 * too many pending items, a draining node, a full disk, a store that does not answer) gets the same
 * status and problem type on all three entrances: HTTP, the event bus and the TCP bridge.
 */
class OneWayInTest {
  private static final String PROBLEM = "urn:cyclr-onboarder:problem:";
  private static final int MAX_PENDING = 5;

  @TempDir
  static Path sharedDir;
  /** For the conditions that leave the service as it was (keys, the pending bound). */
  private static Service shared;

  @TempDir
  Path dir;

  @BeforeAll
  static void startShared() {
    shared = Service.start(sharedDir, c -> ConfigLoader.put(c, "jobs.maxPendingItems", MAX_PENDING));
  }

  @AfterAll
  static void stopShared() {
    if (shared != null) {
      shared.close();
    }
  }

  enum Entrance { HTTP, BUS, BRIDGE }

  /** A submission's answer as any entrance gives it: the HTTP status (202/200 or the problem's), and the body. */
  record Answer(int status, JsonObject body) {
    String type() {
      return body.getString("type");
    }
  }

  @ParameterizedTest(name = "[{index}] idempotency key of {0}")
  @ValueSource(strings = {"space", "empty", "too-long", "control"})
  void aMalformedIdempotencyKeyIs400OnEveryEntrance(String what) {
    String key = switch (what) {
      case "space" -> "a b";
      case "empty" -> "";
      case "too-long" -> "k".repeat(201);
      default -> "a\tb";
    };
    int before = shared.jobs();
    Map<Entrance, Answer> answers = shared.everywhere(TestService.apiKeyJob(uniq("badkey"), 1), key);
    assertSameProblem(answers, 400, "bad-request");
    assertThat(shared.jobs()).as("nothing was accepted").isEqualTo(before);
  }

  @Test
  void aReusedIdempotencyKeyIsTheSameJobWithTheSameBodyAndA409WithAnotherOnEveryEntrance() {
    String key = uniq("key");
    String prefix = uniq("reuse");
    JsonObject job = TestService.apiKeyJob(prefix, 2);
    Answer first = shared.submit(Entrance.HTTP, job, key);
    assertThat(first.status()).as(first.body().encode()).isEqualTo(202);
    String id = first.body().getString("id");

    // The key belongs to the caller, whichever way it comes in: the same body is the same job.
    for (Entrance e : Entrance.values()) {
      Answer again = shared.submit(e, job, key);
      assertThat(again.status()).as(e + ": " + again.body().encode()).isEqualTo(200);
      assertThat(again.body().getString("id")).as(e.name()).isEqualTo(id);
    }
    JsonObject other = TestService.apiKeyJob(prefix + "-other", 2);
    assertSameProblem(shared.everywhere(other, key), 409, "conflict");
    shared.s.awaitJob(id);
  }

  @Test
  void moreItemsThanThePendingBoundIs503BusyOnEveryEntrance() {
    Map<Entrance, Answer> answers = shared.everywhere(TestService.apiKeyJob(uniq("many"), MAX_PENDING + 1), null);
    assertSameProblem(answers, 503, "busy");
    answers.values().forEach(a -> assertThat(a.body().getLong("retryAfter")).isEqualTo(30L));
  }

  @Test
  void aDrainingNodeIs503BusyOnEveryEntrance() {
    try (Service service = Service.start(dir, c -> { })) {
      TestService.await(service.s.app.drain(1_000));
      Map<Entrance, Answer> answers = service.everywhere(TestService.apiKeyJob("drain", 1), null);
      assertSameProblem(answers, 503, "busy");
      answers.values().forEach(a -> assertThat(a.body().getString("detail")).contains("shutting down"));
      assertThat(service.jobs()).isZero();
    }
  }

  /**
   * A real SQLITE_FULL: the entrance that goes first meets it writing the job (HTTP mid-upload, or the
   * event bus's transaction, which the bridge's messages reach too); the node then refuses the others
   * before a byte is written. Either way, 507.
   */
  @ParameterizedTest(name = "[{index}] {0} first")
  @EnumSource(names = {"HTTP", "BUS"})
  void aFullDiskIs507OnEveryEntrance(Entrance first) {
    try (Service service = Service.start(dir, c -> { })) {
      StoreFaults.diskFull(service.s.app.store());
      // Items enough to need pages the capped file does not have.
      JsonObject job = TestService.apiKeyJob("full", 200);
      Map<Entrance, Answer> answers = new EnumMap<>(Entrance.class);
      answers.put(first, service.submit(first, job, null));
      answers.putAll(service.everywhere(job, null));
      assertSameProblem(answers, 507, "disk-full");
      assertThat(service.jobs()).as("nothing was accepted").isZero();
    }
  }

  @Test
  void anUnreachableStoreIs503BusyOnEveryEntrance() {
    try (Service service = Service.start(dir, c -> { })) {
      StoreFaults.unreachable(service.s.app.store());
      Map<Entrance, Answer> answers = service.everywhere(TestService.apiKeyJob("gone", 1), null);
      assertSameProblem(answers, 503, "busy");
      answers.values().forEach(a -> assertThat(a.body().getString("detail")).contains("unreachable"));
    }
  }

  private static void assertSameProblem(Map<Entrance, Answer> answers, int status, String type) {
    assertThat(answers).containsOnlyKeys(Entrance.values());
    answers.forEach((entrance, answer) -> {
      assertThat(answer.status()).as(entrance + ": " + answer.body().encode()).isEqualTo(status);
      assertThat(answer.type()).as(entrance.name()).isEqualTo(PROBLEM + type);
      assertThat(answer.body().getInteger("status")).as(entrance.name()).isEqualTo(status);
    });
  }

  private static String uniq(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The service with its bridge open, on a Vert.x of its own, and one way to submit through each entrance. */
  private record Service(Vertx vertx, TestService s) implements AutoCloseable {
    static Service start(Path dir, Consumer<JsonObject> config) {
      Vertx vertx = Vertx.vertx();
      try {
        Files.createDirectories(dir);
        return new Service(vertx, TestService.start(vertx, dir, e -> { }, c -> {
          ConfigLoader.put(c, "bridge.port", 0);
          config.accept(c);
        }));
      } catch (Exception | Error e) {
        vertx.close();
        throw new AssertionError(e);
      }
    }

    Map<Entrance, Answer> everywhere(JsonObject job, String key) {
      Map<Entrance, Answer> answers = new EnumMap<>(Entrance.class);
      for (Entrance e : Entrance.values()) {
        answers.putIfAbsent(e, submit(e, job, key));
      }
      return answers;
    }

    Answer submit(Entrance entrance, JsonObject job, String key) {
      return switch (entrance) {
        case HTTP -> http(job, key);
        case BUS -> bus(job, key);
        case BRIDGE -> bridge(job, key);
      };
    }

    private Answer http(JsonObject job, String key) {
      HttpRequest<Buffer> req = s.http.postAbs(s.base() + "/v1/jobs").timeout(20_000)
          .bearerTokenAuthentication(TestService.TOKEN).putHeader("Content-Type", "application/json");
      if (key != null) {
        req.putHeader("Idempotency-Key", key);
      }
      HttpResponse<Buffer> r = TestService.await(req.sendBuffer(job.toBuffer()));
      if (r.statusCode() >= 400) {
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
      }
      return new Answer(r.statusCode(), r.bodyAsJsonObject());
    }

    private Answer bus(JsonObject job, String key) {
      JsonObject body = key == null ? job : job.copy().put("idempotencyKey", key);
      try {
        Message<JsonObject> reply = vertx.eventBus().<JsonObject>request("onboarder.jobs.submit", body,
            new DeliveryOptions().setSendTimeout(20_000)).await(30, TimeUnit.SECONDS);
        return new Answer("true".equals(reply.headers().get("created")) ? 202 : 200, reply.body());
      } catch (ReplyException e) {
        return new Answer(e.failureCode(), new JsonObject(e.getMessage()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    private Answer bridge(JsonObject job, String key) {
      JsonObject body = key == null ? job : job.copy().put("idempotencyKey", key);
      try (BridgeClient client = new BridgeClient(s.app.bridgePort())) {
        JsonObject frame = client.request("onboarder.jobs.submit", body, TestService.TOKEN);
        if ("err".equals(frame.getString("type"))) {
          return new Answer(frame.getInteger("failureCode"), new JsonObject(frame.getString("message")));
        }
        JsonObject headers = frame.getJsonObject("headers", new JsonObject());
        return new Answer("true".equals(headers.getString("created")) ? 202 : 200, frame.getJsonObject("body"));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }

    /** Jobs the service shows (reads work on a full disk). */
    int jobs() {
      return s.get("/v1/jobs").bodyAsJsonObject().getJsonArray("jobs").size();
    }

    @Override
    public void close() {
      s.close();
      TestService.await(vertx.close());
    }
  }
}
