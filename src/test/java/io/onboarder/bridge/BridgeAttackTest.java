package io.onboarder.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.BridgeClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge under the attacks a hostile tester made on it, each bounded in time and count on loopback:
 * a flood of malformed frames from a client that never reads, a client that does not read its answers,
 * idle connections without a token, a frame announcing 700 MB, and a caller listening for everyone's
 * events. After each the node answers {@code /health/live}, memory stayed bounded (bytes held per
 * connection, connections closed) and real clients are served in full.
 */
class BridgeAttackTest {
  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private TestService service;
  private BridgeVerticle bridge;

  /** The service (its own bridge off) and a bridge of this test's bounds on the same node, so its stats are at hand. */
  private int start(Consumer<JsonObject> bounds) {
    service = TestService.start(vertx, dir, e -> { }, c -> ConfigLoader.put(c, "api.tokens",
        TestService.TOKEN + ",alice:tok-alice,bob:tok-bob,ops:tok-ops:admin"));
    JsonObject conf = service.config().copy();
    ConfigLoader.put(conf, "bridge.port", 0);
    ConfigLoader.put(conf, "bridge.maxFrameBytes", 64 * 1024);
    bounds.accept(conf);
    bridge = new BridgeVerticle(Settings.from(conf));
    TestService.await(vertx.deployVerticle(bridge));
    return bridge.actualPort();
  }

  @AfterEach
  void tearDown() {
    if (service != null) {
      service.close();
    }
    TestService.await(vertx.close());
  }

  private void nodeIsUpAndServes(int port) throws IOException {
    assertThat(service.get("/health/live").statusCode()).isEqualTo(200);
    try (BridgeClient real = new BridgeClient(port)) {
      assertThat(real.request("onboarder.jobs.list", new JsonObject(), TestService.TOKEN).getString("type"))
          .isEqualTo("message");
    }
  }

  @Test
  void malformedFramesFromAClientThatNeverReadsCloseItAfterAFewErrors() throws IOException {
    int port = start(c -> { });
    // The attack: 12.5 MB of 6-byte frames ("{x" is not JSON), no token, replies never read.
    byte[] chunk = new byte[64 * 1024 - (64 * 1024) % 6];
    for (int i = 0; i < chunk.length; i += 6) {
      chunk[i + 3] = 2;
      chunk[i + 4] = '{';
      chunk[i + 5] = 'x';
    }
    try (BridgeClient hostile = new BridgeClient(port, 4096)) {
      long started = System.nanoTime();
      long sent = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        long n = 0;
        try {
          while (n < 12_500_000) {
            hostile.socket.getOutputStream().write(chunk);
            n += chunk.length;
          }
        } catch (SocketException closedByTheNode) {
          // expected: the node closed the connection
        }
        return n;
      });
      // Only the first few errors were ever written to it, then it was closed.
      int frames = 0;
      try {
        while (frames < 100) {
          JsonObject err = hostile.read();
          assertThat(err.getString("type")).isEqualTo("err");
          frames++;
        }
      } catch (IOException endOfStream) {
        // closed
      }
      long closedAfterMs = (System.nanoTime() - started) / 1_000_000;
      service.poll(() -> bridge.stats().closes("refused"), n -> n == 1, Duration.ofSeconds(5), "the close");
      assertThat(frames).isLessThanOrEqualTo(BridgeConnection.MAX_REFUSED_UNAUTHENTICATED + 1);
      assertThat(sent).as("the node stopped taking the flood").isLessThan(12_500_000);
      assertThat(bridge.stats().maxBufferedBytes()).as("bytes held unread").isLessThan(256 * 1024);
      System.out.printf("malformed flood: closed after %d ms, %d bytes sent, %d error frames received, at most %d "
          + "bytes held%n", closedAfterMs, sent, frames, bridge.stats().maxBufferedBytes());
    }
    nodeIsUpAndServes(port);
  }

  @Test
  void aClientThatDoesNotReadItsAnswersIsPausedAndLosesNothing() throws Exception {
    int port = start(c -> ConfigLoader.put(c, "bridge.maxQueuedBytes", 16 * 1024));
    int n = 5_000;
    try (BridgeClient slow = new BridgeClient(port, 64 * 1024)) {
      slow.write(new JsonObject().put("type", "ping").put("headers", BridgeClient.bearer("tok-alice")));
      assertThat(slow.read().getString("type")).isEqualTo("pong");
      // 5,000 frames of an unknown type (with a token: no reason to close), each answered with an error to its
      // 2 KB reply address: 10 MB of answers that the client does not read while it writes.
      byte[] bad = new JsonObject().put("type", "x").put("replyAddress", "r".repeat(2_000)).encode()
          .getBytes(StandardCharsets.UTF_8);
      AtomicLong written = new AtomicLong();
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < n; i++) {
            slow.writeRaw(bad);
            written.incrementAndGet();
          }
          slow.out.flush();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      // The node stops reading this client instead of queueing its answers.
      service.poll(() -> bridge.stats().readPauses(), p -> p > 0, Duration.ofSeconds(10), "reading paused");
      long pausedAt = written.get();
      // Now the client reads: every frame is answered, in order, and the connection was never closed.
      int answers = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        int read = 0;
        while (read < n) {
          assertThat(slow.read().getString("message")).startsWith("unknown frame type");
          read++;
        }
        return read;
      });
      writer.get();
      assertThat(answers).isEqualTo(n);
      assertThat(bridge.stats().closes("slow")).isZero();
      assertThat(bridge.stats().maxBufferedBytes()).as("bytes held unread").isLessThan(512 * 1024);
      assertThat(bridge.stats().maxQueuedBytes()).as("answers held unwritten").isLessThanOrEqualTo(16 * 1024);
      System.out.printf("slow reader: paused %d times, first after %d of %d frames written; %d answers (%d bytes);"
              + " at most %d bytes held unread, %d unwritten%n", bridge.stats().readPauses(), pausedAt, n, answers,
          answers * 2_150L, bridge.stats().maxBufferedBytes(), bridge.stats().maxQueuedBytes());
    }
    nodeIsUpAndServes(port);
  }

  @Test
  void idleConnectionsWithoutATokenNeitherTakeTheSlotsNorOutstayTheDeadline() throws IOException {
    int port = start(c -> {
      ConfigLoader.put(c, "bridge.maxUnauthenticated", 20);
      ConfigLoader.put(c, "bridge.authTimeoutMs", 300);
      ConfigLoader.put(c, "bridge.maxConnections", 2);
    });
    List<BridgeClient> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        idle.add(new BridgeClient(port));
      }
      // A real client gets in at once, while 200 idle connections were opened before it.
      long started = System.nanoTime();
      try (BridgeClient real = new BridgeClient(port); BridgeClient second = new BridgeClient(port)) {
        assertThat(real.request("onboarder.jobs.list", new JsonObject(), "tok-alice").getString("type"))
            .isEqualTo("message");
        long servedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(second.request("onboarder.jobs.list", new JsonObject(), "tok-bob").getString("type"))
            .isEqualTo("message");
        // Slots with a token are their own bound: a third is refused, and the idle ones did not count.
        try (BridgeClient third = new BridgeClient(port)) {
          JsonObject full = third.request("onboarder.jobs.list", new JsonObject(), "tok-ops");
          assertThat(full.getInteger("failureCode")).isEqualTo(503);
          assertThat(third.readsEndOfStream()).isTrue();
        }
        // Every idle connection is closed: evicted by newer ones, or at the deadline.
        for (BridgeClient c : idle) {
          assertThat(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            while (true) {
              try {
                c.read();
              } catch (IOException end) {
                return true;
              }
            }
          })).isTrue();
        }
        long allClosedMs = (System.nanoTime() - started) / 1_000_000;
        service.poll(() -> bridge.stats().unauthenticated(), u -> u == 0, Duration.ofSeconds(5), "no idle left");
        assertThat(bridge.stats().closes("evicted") + bridge.stats().closes("auth-timeout")).isEqualTo(200);
        assertThat(bridge.stats().authenticated()).isEqualTo(2);
        System.out.printf("idle connections: real client served after %d ms; all 200 idle closed after %d ms "
                + "(%d evicted, %d at the deadline)%n", servedMs, allClosedMs, bridge.stats().closes("evicted"),
            bridge.stats().closes("auth-timeout"));
        assertThat(real.request("onboarder.jobs.list", new JsonObject(), "tok-alice").getString("type"))
            .as("a connection with a token is not subject to the deadline").isEqualTo("message");
      }
    } finally {
      for (BridgeClient c : idle) {
        c.close();
      }
    }
    nodeIsUpAndServes(port);
  }

  @Test
  void aFrameAnnouncingSevenHundredMegabytesIsRefusedBeforeAnyOfItIsKept() throws IOException {
    int port = start(c -> { });
    try (BridgeClient hostile = new BridgeClient(port)) {
      long started = System.nanoTime();
      hostile.out.writeInt(700_000_000);
      hostile.out.flush();
      // The client goes on sending the announced bytes; the node refuses at the length and closes.
      CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
        long n = 0;
        byte[] chunk = new byte[64 * 1024];
        try {
          while (n < 700_000_000) {
            hostile.socket.getOutputStream().write(chunk);
            n += chunk.length;
          }
        } catch (IOException closedByTheNode) {
          // expected
        }
        return n;
      });
      JsonObject err = hostile.read();
      assertThat(err.getInteger("failureCode")).isEqualTo(413);
      assertThat(hostile.readsEndOfStream()).isTrue();
      long closedMs = (System.nanoTime() - started) / 1_000_000;
      long bytes = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> sent.get());
      assertThat(bytes).isLessThan(700_000_000L);
      assertThat(bridge.stats().closes("oversized")).isEqualTo(1);
      assertThat(bridge.stats().maxBufferedBytes()).as("bytes held unread").isLessThan(256 * 1024);
      System.out.printf("700 MB frame: refused and closed after %d ms; %d bytes sent; at most %d bytes held%n",
          closedMs, bytes, bridge.stats().maxBufferedBytes());
    }
    nodeIsUpAndServes(port);
  }

  @Test
  void connectionsWithoutATokenCannotHoldMoreThanTheirSharedBudgetOfPartialFrames() throws IOException {
    int port = start(c -> ConfigLoader.put(c, "bridge.maxFrameBytes", 1024 * 1024));
    // 30 connections, no token, each sending all but the last byte of a 1 MiB frame: 30 MiB if all were kept.
    byte[] almost = new byte[1024 * 1024 - 1];
    List<BridgeClient> hostile = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        BridgeClient c = new BridgeClient(port);
        hostile.add(c);
        try {
          c.out.writeInt(1024 * 1024);
          c.out.write(almost);
          c.out.flush();
        } catch (SocketException closedByTheNode) {
          // expected for some
        }
      }
      service.poll(() -> bridge.stats().closes("unauthenticated-bytes"), n -> n >= 14, Duration.ofSeconds(10),
          "connections over the budget closed");
      assertThat(bridge.stats().maxUnauthenticatedBytes())
          .isLessThanOrEqualTo(BridgeConnection.MAX_UNAUTHENTICATED_BYTES + 1024 * 1024);
      System.out.printf("partial frames without a token: %d of 30 connections closed; at most %d bytes held "
          + "together%n", bridge.stats().closes("unauthenticated-bytes"), bridge.stats().maxUnauthenticatedBytes());
    } finally {
      for (BridgeClient c : hostile) {
        c.close();
      }
    }
    nodeIsUpAndServes(port);
  }

  @Test
  void eventsGoOnlyToTheCallerWhoseJobTheyAreAboutWhileAnAdminReceivesAll() throws IOException {
    int port = start(c -> { });
    List<String> addresses = List.of("onboarder.events.job", "onboarder.events.item", "onboarder.events.oauth",
        "onboarder.events.account");
    try (BridgeClient alice = new BridgeClient(port); BridgeClient bob = new BridgeClient(port);
         BridgeClient ops = new BridgeClient(port)) {
      for (String address : addresses) {
        alice.write(new JsonObject().put("type", "register").put("address", address)
            .put("headers", BridgeClient.bearer("tok-alice")));
        bob.write(new JsonObject().put("type", "register").put("address", address)
            .put("headers", BridgeClient.bearer("tok-bob")));
        ops.write(new JsonObject().put("type", "register").put("address", address)
            .put("headers", BridgeClient.bearer("tok-ops")));
      }
      Map<String, List<JsonObject>> seenByAlice = new HashMap<>();
      Map<String, List<JsonObject>> seenByBob = new HashMap<>();
      Map<String, List<JsonObject>> seenByOps = new HashMap<>();
      String mine = id(request(alice, "tok-alice", "onboarder.jobs.submit", TestService.apiKeyJob("alice", 3),
          seenByAlice));
      // Bob's job waits for a sign-in: its oauth events carry sign-in links.
      JsonArray accounts = new JsonArray().add(new JsonObject().put("account", "bob-1"))
          .add(new JsonObject().put("account", "bob-2"));
      String his = id(request(bob, "tok-bob", "onboarder.jobs.submit", new JsonObject().put("connector",
          new JsonObject().put("id", 2)).put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
          .put("items", accounts), seenByBob));

      // The admin sees both jobs finish.
      while (!finished(seenByOps, mine) || !finished(seenByOps, his)) {
        record(ops.read(), seenByOps);
      }
      // Every event published so far was delivered (or withheld) before the answer to a ping sent now.
      readUntilPong(alice, "tok-alice", seenByAlice);
      readUntilPong(bob, "tok-bob", seenByBob);
      readUntilPong(ops, "tok-ops", seenByOps);

      assertThat(seenByAlice).containsOnlyKeys(mine);
      assertThat(seenByBob).containsOnlyKeys(his);
      assertThat(seenByOps).containsOnlyKeys(mine, his);
      assertThat(seenByBob.get(his)).filteredOn(e -> e.containsKey("url")).as("bob's sign-in links").hasSize(2);
      // Nothing lost: each caller got every event of its job that is in the job's event log.
      for (var owned : List.of(Map.entry(mine, seenByAlice), Map.entry(his, seenByBob))) {
        JsonObject log = request(ops, "tok-ops", "onboarder.jobs.events", new JsonObject().put("id", owned.getKey()),
            seenByOps).getJsonObject("body");
        assertThat(owned.getValue().get(owned.getKey())).hasSize(log.getJsonArray("events").size());
        assertThat(seenByOps.get(owned.getKey())).hasSize(log.getJsonArray("events").size());
      }
      System.out.printf("events: alice %d (own job only), bob %d (own job only), admin %d%n",
          seenByAlice.get(mine).size(), seenByBob.get(his).size(),
          seenByOps.values().stream().mapToInt(List::size).sum());
    }
    nodeIsUpAndServes(port);
  }

  /** A request's answer; the events that arrive before it are recorded. */
  private static JsonObject request(BridgeClient c, String token, String address, JsonObject body,
                                    Map<String, List<JsonObject>> events) throws IOException {
    c.write(new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r-1")
        .put("body", body).put("headers", BridgeClient.bearer(token)));
    for (JsonObject frame = c.read(); ; frame = c.read()) {
      if ("r-1".equals(frame.getString("address"))) {
        return frame;
      }
      record(frame, events);
    }
  }

  private static String id(JsonObject reply) {
    assertThat(reply.getString("type")).as(reply.encode()).isEqualTo("message");
    return reply.getJsonObject("body").getString("id");
  }

  /** Events by job id; the job of a job event is its {@code id}. */
  private static void record(JsonObject frame, Map<String, List<JsonObject>> byJob) {
    assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("message");
    JsonObject body = frame.getJsonObject("body");
    String job = "onboarder.events.job".equals(frame.getString("address")) ? body.getString("id")
        : body.getString("jobId");
    byJob.computeIfAbsent(job, k -> new ArrayList<>()).add(body.copy().put("address", frame.getString("address")));
  }

  private static boolean finished(Map<String, List<JsonObject>> byJob, String job) {
    return byJob.getOrDefault(job, List.of()).stream().anyMatch(e -> "onboarder.events.job".equals(
        e.getString("address")) && TestService.TERMINAL.contains(e.getString("status")));
  }

  /** Records the events a client receives before the answer to a ping sent now. */
  private static void readUntilPong(BridgeClient c, String token, Map<String, List<JsonObject>> byJob)
      throws IOException {
    c.write(new JsonObject().put("type", "ping").put("headers", BridgeClient.bearer(token)));
    for (JsonObject frame = c.read(); !"pong".equals(frame.getString("type")); frame = c.read()) {
      record(frame, byJob);
    }
  }
}
