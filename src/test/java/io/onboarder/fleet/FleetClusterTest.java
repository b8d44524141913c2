package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.config.ConfigLoader;
import io.onboarder.store.SchemaTemplates;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleets on two nodes sharing one PostgreSQL database and one Cyclr (the emulator), each node on a Vert.x of its
 * own, with a lease of three seconds ({@code JOBS_LEASE_MS}; shorter ones lapse in a busy machine's stalls): one
 * node reconciles a fleet at a time, however long its reading takes (its lease is renewed); a node that stops
 * (frozen, as in a long pause) leaves the reconcile to the other within about a lease and writes nothing after; a
 * node killed mid-step leaves the step to the other, and no account is installed twice.
 */
class FleetClusterTest {
  private static final long LEASE_MS = 3_000;
  private static final int READ_LATENCY_MS = 220;

  @TempDir
  Path dir;
  private Vertx cyclrVertx;
  private Vertx vertxA;
  private Vertx vertxB;
  private TestService a;
  private TestService b;

  @BeforeEach
  void twoNodes() {
    cyclrVertx = Vertx.vertx();
    vertxA = Vertx.vertx();
    vertxB = Vertx.vertx();
    // At most 10 Cyclr calls in flight per node: fleet reads get a fifth, two at a time, so that a reconcile of
    // 30 tenants (60 reads) at READ_LATENCY_MS takes longer than two leases.
    a = TestService.start(cyclrVertx, vertxA, dir, e -> e.setLatencyMs(2).setAutoCreateAccounts(false), c -> {
      ConfigLoader.put(c, "store.url", SchemaTemplates.postgresDatabaseUrl());
      ConfigLoader.put(c, "store.secretKey", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
      ConfigLoader.put(c, "jobs.leaseMs", LEASE_MS);
      ConfigLoader.put(c, "gateway.maxConcurrency", 10);
    });
    b = a.anotherNode(vertxB);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    Future.join(vertxA.close(), vertxB.close()).await();
    TestService.await(cyclrVertx.close());
  }

  /** A converged fleet of {@code n} API-key tenants, applied through node A (steps of 50 % and 100 %). */
  private void converged(String name, int n) {
    IntStream.range(0, n).forEach(i -> a.cyclr.addAccount(name + "-" + i, "Tenant " + i));
    JsonObject spec = FleetClient.fleet(name + "-", n).put("policy", new JsonObject().put("rollout",
        new JsonObject().put("steps", new JsonArray().add(50).add(100)).put("pauseSeconds", 0)));
    FleetClient api = new FleetClient(a, TestService.TOKEN);
    json(api.put(name, spec), 201);
    json(api.post("/v1/fleets/" + name + "/plan", null), 200);
    json(api.post("/v1/fleets/" + name + "/apply", null), 202);
    awaitStatus(b, name, "CONVERGED", Duration.ofSeconds(30));
    a.cyclr.options().setLatencyMs(READ_LATENCY_MS);
  }

  private static JsonObject awaitStatus(TestService node, String name, String status, Duration timeout) {
    FleetClient api = new FleetClient(node, TestService.TOKEN);
    return node.poll(() -> json(api.get("/v1/fleets/" + name), 200), f -> status.equals(f.getString("status")),
        timeout, name + " " + status);
  }

  private static Future<Message<JsonObject>> reconcile(TestService node, String name) {
    return node.vertx.eventBus().request(Addresses.FLEETS, new JsonObject().put("name", name),
        new DeliveryOptions().addHeader(FleetService.ACTION, "reconcile").setSendTimeout(30_000));
  }

  /** The failure {@code f} ends with (null if it succeeded). */
  private static Throwable failure(Future<?> f) {
    return TestService.await(f.<Throwable>transform(ar -> Future.succeededFuture(ar.cause())));
  }

  private long accountReads() {
    return a.cyclr.stats().requests("GET /v1.0/accounts/{id}");
  }

  @Test
  void oneNodeReconcilesAFleetAtATimeAndKeepsItForLongerThanManyLeases() {
    converged("one", 30);
    long readsBefore = accountReads();
    long t0 = System.nanoTime();
    Future<Message<JsonObject>> onA = reconcile(a, "one");
    a.poll(this::accountReads, n -> n > readsBefore, Duration.ofSeconds(10), "A to start reading");
    int refused = 0;
    int afterA = 0;
    while (!onA.isComplete()) {
      Throwable err = failure(reconcile(b, "one"));
      if (err == null) {
        // A finished between the loop's check and B's ask: B then rightly reconciled after it (every tenant again).
        assertThat(onA.isComplete()).as("B reconciled only once A was done").isTrue();
        afterA++;
        break;
      }
      assertThat(err).as("B while A reconciles").isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) err).failureCode()).isEqualTo(409);
      refused++;
      TestService.await(vertxB.timer(100));
    }
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    JsonObject done = TestService.await(onA).body();
    assertThat(done.getString("status")).isEqualTo("CONVERGED");
    assertThat(tookMs).as("the reconcile outlived two leases (so its lease was renewed)")
        .isGreaterThan(2 * LEASE_MS);
    assertThat(refused).isPositive();
    assertThat(accountReads() - readsBefore).as("each tenant read once per reconcile: one reconciler at a time")
        .isEqualTo(30L * (1 + afterA));
  }

  @Test
  void aFrozenNodeLosesItsReconcileToTheOtherWithinALeaseAndWritesNothingAfter() throws Exception {
    converged("frozen", 30);
    long readsBefore = accountReads();
    Future<Message<JsonObject>> onA = reconcile(a, "frozen");
    a.poll(this::accountReads, n -> n > readsBefore + 2, Duration.ofSeconds(10), "A to start reading");
    // A stops: every event loop of its Vert.x blocked (as in a long GC pause or a stalled host): no renewals.
    CountDownLatch thaw = new CountDownLatch(1);
    ((io.vertx.core.internal.VertxInternal) vertxA).nettyEventLoopGroup().forEach(loop -> loop.execute(() -> {
      try {
        thaw.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    long frozenAt = System.nanoTime();
    JsonObject onB;
    try {
      onB = b.poll(() -> TestService.await(reconcile(b, "frozen").map(Message::body).otherwise((JsonObject) null)),
          r -> r != null, Duration.ofSeconds(15), "B to take the reconcile over");
    } finally {
      thaw.countDown();
    }
    long waitedMs = (System.nanoTime() - frozenAt) / 1_000_000;
    assertThat(onB.getString("status")).isEqualTo("CONVERGED");
    assertThat(waitedMs).as("B took over once A's lease lapsed, not half an hour later").isLessThan(8 * LEASE_MS);
    Throwable lateA = failure(onA);
    assertThat(lateA).as("A, thawed, finds its lease gone and writes no result").isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) lateA).failureCode()).isEqualTo(409);
    JsonObject fleet = json(new FleetClient(b, TestService.TOKEN).get("/v1/fleets/frozen"), 200);
    assertThat(fleet.getString("status")).isEqualTo("CONVERGED");
    assertThat(fleet.getString("lastReconcileAt")).isNotNull();
  }

  @Test
  void aNodeKilledMidStepLeavesTheStepToTheOtherAndNoAccountIsInstalledTwice() {
    int n = 80;
    IntStream.range(0, n).forEach(i -> a.cyclr.addAccount("kill-" + i, "Tenant " + i));
    JsonObject spec = FleetClient.fleet("kill-", n).put("policy", new JsonObject().put("rollout",
        new JsonObject().put("steps", new JsonArray().add(10).add(100)).put("pauseSeconds", 0)));
    FleetClient api = new FleetClient(a, TestService.TOKEN);
    json(api.put("kill", spec), 201);
    json(api.post("/v1/fleets/kill/plan", null), 200);
    a.cyclr.options().setLatencyMs(20);
    json(api.post("/v1/fleets/kill/apply", null), 202);
    // Mid-way through the second step (72 tenants): A dies without draining.
    a.poll(() -> a.cyclr.stats().installs(), i -> i >= 30, Duration.ofSeconds(30), "the second step to be under way");
    TestService.await(vertxA.close());
    JsonObject done = awaitStatus(b, "kill", "CONVERGED", Duration.ofSeconds(60));
    assertThat(done.getJsonObject("tenants").getLong("CONNECTED")).isEqualTo(n);
    IntStream.range(0, n).forEach(i -> assertThat(a.cyclr.stats().installsFor("kill-" + i))
        .as("installs into kill-%d", i).isEqualTo(1));
    assertThat(a.cyclr.stats().duplicateInstalls()).isZero();
    // One job per step, each run to its end (a step submitted again by the other node is the same job).
    JsonArray jobs = json(new FleetClient(b, TestService.TOKEN).get("/v1/jobs"), 200).getJsonArray("jobs");
    assertThat(jobs.stream().map(j -> (JsonObject) j).filter(j -> "kill".equals(j.getString("fleet"))))
        .extracting(j -> j.getInteger("step") + ":" + j.getString("status"))
        .containsExactlyInAnyOrder("1:SUCCEEDED", "2:SUCCEEDED");
  }
}
