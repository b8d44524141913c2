package io.onboarder.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.store.SchemaTemplates;
import io.onboarder.support.ServiceProcess;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Cluster mode for real: three {@code serve} processes on loopback sharing one PostgreSQL and one
 * Hazelcast cluster, the Cyclr emulator, and this test JVM joining the cluster as a client that
 * talks to the service over the event bus only. One cluster for the class (starting it costs
 * seconds); the tests run in order because the last one kills a node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
  private static final String CLUSTER = "onboarder-test-" + UUID.randomUUID();
  private static Vertx local;
  private static CyclrEmulator cyclr;
  private static Path dir;
  private static Map<String, String> baseEnv;
  private static final List<ServiceProcess> nodes = new ArrayList<>();
  private static final List<Integer> memberPorts = new ArrayList<>();
  private static Vertx client;

  @BeforeAll
  static void startCluster() throws IOException {
    local = Vertx.vertx();
    dir = Files.createTempDirectory("cluster-test");
    cyclr = new CyclrEmulator(local, new EmulatorOptions().setLatencyMs(20));
    TestService.await(cyclr.start(0));
    for (int i = 0; i < 4; i++) {
      memberPorts.add(freePort());
    }
    String members = memberPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    baseEnv = new HashMap<>(Map.of(
        "API_TOKENS", TestService.TOKEN,
        "CYCLR_API_URL", cyclr.apiUrl(),
        "CYCLR_CLIENT_ID", cyclr.options().getClientId(),
        "CYCLR_CLIENT_SECRET", cyclr.options().getClientSecret(),
        "STORE_URL", SchemaTemplates.postgresDatabaseUrl(),
        "STORE_SECRET_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "GATEWAY_MAX_CONCURRENCY", "8",
        "CYCLR_REQUEST_TIMEOUT_MS", "3000",
        "JOBS_LEASE_MS", "3000"));
    baseEnv.putAll(Map.of(
        "CLUSTER_MEMBERS", members,
        "CLUSTER_NAME", CLUSTER,
        "CLUSTER_HOST", "127.0.0.1",
        "CLUSTER_BUS_PORT", "0"));
    for (int i = 0; i < 3; i++) {
      nodes.add(launchNode(i));
    }
    nodes.forEach(n -> n.awaitReady(Duration.ofSeconds(120)));
    // This JVM joins as a plain Vert.x cluster member, as a customer's notifier or worker would. Its port
    // was free when chosen; while the nodes started, one of their own connections may have been given it
    // as a local port: then it joins from another free one (the nodes find it by its connection).
    for (int attempt = 1; client == null; attempt++) {
      int port = attempt == 1 ? memberPorts.get(3) : freePort();
      HazelcastClusterManager cm = new HazelcastClusterManager(ClusterSetup.hazelcast(CLUSTER, "127.0.0.1",
          port, memberPorts.stream().map(p -> "127.0.0.1:" + p).toList(), null));
      try {
        client = TestService.await(Vertx.builder()
            .with(new VertxOptions().setEventBusOptions(new io.vertx.core.eventbus.EventBusOptions()
                .setHost("127.0.0.1").setPort(0)))
            .withClusterManager(cm).buildClustered());
      } catch (AssertionError e) {
        if (attempt == 3 || !String.valueOf(e.getMessage()).contains("already in use")) {
          throw e;
        }
      }
    }
  }

  private static ServiceProcess launchNode(int i) {
    Map<String, String> env = new HashMap<>(baseEnv);
    env.put("CLUSTER_PORT", String.valueOf(memberPorts.get(i)));
    return ServiceProcess.launch(local, dir, dir.resolve("node-" + i + ".log"), env);
  }

  @AfterAll
  static void stopCluster() {
    nodes.forEach(ServiceProcess::close);
    if (client != null) {
      TestService.await(client.close());
    }
    TestService.await(local.close());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @Order(1)
  void aJobSubmittedToOneNodeIsVisibleCancellableAndRetryableFromTheOthers() {
    String id = nodes.get(0).submit(TestService.apiKeyJob("vis", 20));
    JsonObject done = nodes.get(1).awaitJob(id, Duration.ofSeconds(60));
    assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(nodes.get(2).job(id).getJsonObject("counts").getLong("INSTALLED")).isEqualTo(20);

    cyclr.options().setLatencyMs(200);
    String slow = nodes.get(2).submit(TestService.apiKeyJob("cancel", 400));
    nodes.get(0).awaitProgress(slow, 10, Duration.ofSeconds(30));
    JsonObject cancelled = TestService.await(client.eventBus().<JsonObject>request(Addresses.JOBS_CANCEL,
        new JsonObject().put("id", slow))).body();
    assertThat(cancelled.getString("id")).isEqualTo(slow);
    JsonObject end = nodes.get(1).awaitJob(slow, Duration.ofSeconds(60));
    assertThat(end.getString("status")).isEqualTo("CANCELLED");
    assertThat(end.getJsonObject("counts").getLong("CANCELLED")).isPositive();
    cyclr.options().setLatencyMs(20);
  }

  @Test
  @Order(2)
  void twoJobsWithOverlappingAccountsOnDifferentNodesInstallEachAccountOnce() {
    long before = cyclr.stats().installs();
    String a = nodes.get(0).submit(TestService.apiKeyJob("overlap", 300));
    String b = nodes.get(1).submit(TestService.apiKeyJob("overlap", 300));
    JsonObject ja = nodes.get(2).awaitJob(a, Duration.ofSeconds(90));
    JsonObject jb = nodes.get(2).awaitJob(b, Duration.ofSeconds(90));
    long installed = ja.getJsonObject("counts").getLong("INSTALLED") + jb.getJsonObject("counts").getLong("INSTALLED");
    long already = ja.getJsonObject("counts").getLong("ALREADY_INSTALLED")
        + jb.getJsonObject("counts").getLong("ALREADY_INSTALLED");
    assertThat(installed).isEqualTo(300);
    assertThat(already).isEqualTo(300);
    assertThat(cyclr.stats().installs() - before).isEqualTo(300);
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
  }

  @Test
  @Order(3)
  void aClientJvmSubmitsOverTheEventBusAndReceivesEveryOauthEventAndTheFinalJobEvent() {
    List<JsonObject> oauth = new CopyOnWriteArrayList<>();
    List<JsonObject> jobEvents = new CopyOnWriteArrayList<>();
    TestService.await(client.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> oauth.add(m.body()))
        .completion());
    TestService.await(client.eventBus().<JsonObject>consumer(Addresses.EVENTS_JOB, m -> jobEvents.add(m.body()))
        .completion());
    JsonArray items = new JsonArray();
    for (int i = 0; i < 30; i++) {
      items.add(new JsonObject().put("account", "bus-" + i));
    }
    JsonObject job = new JsonObject().put("connector", new JsonObject().put("id", 2)).put("items", items)
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"));
    Message<JsonObject> reply = TestService.await(client.eventBus().request(Addresses.JOBS_SUBMIT, job));
    String id = reply.body().getString("id");
    poll(() -> jobEvents.stream().anyMatch(e -> e.getString("id").equals(id)
        && TestService.TERMINAL.contains(e.getString("status"))), "the final job event");
    List<JsonObject> mine = oauth.stream().filter(e -> e.getString("jobId").equals(id)).toList();
    assertThat(mine).hasSize(30);
    assertThat(mine).extracting(e -> e.getString("account")).doesNotHaveDuplicates();
    assertThat(jobEvents.stream().filter(e -> e.getString("id").equals(id)
        && TestService.TERMINAL.contains(e.getString("status"))).count()).as("final event exactly once")
        .isEqualTo(1);
  }

  @Test
  @Order(4)
  void whenTheNodeThatAcceptedAJobIsKilledTheOthersFinishItAndEveryAccountIsInstalledOnce() {
    long before = cyclr.stats().installs();
    cyclr.options().setLatencyMs(30);
    int n = 1500;
    ServiceProcess victim = nodes.get(0);
    String id = victim.submit(TestService.apiKeyJob("kill", n));
    victim.awaitProgress(id, 200, Duration.ofSeconds(60));
    victim.killHard();
    JsonObject done = nodes.get(1).awaitJob(id, Duration.ofSeconds(120));
    assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
    JsonObject counts = done.getJsonObject("counts");
    assertThat(counts.getLong("INSTALLED") + counts.getLong("ALREADY_INSTALLED")).isEqualTo(n);
    assertThat(cyclr.stats().installs() - before).isEqualTo(n);
    assertThat(cyclr.stats().duplicateInstalls()).isZero();
    // The restarted node reports the same job.
    ServiceProcess restarted = launchNode(0);
    nodes.set(0, restarted);
    restarted.awaitReady(Duration.ofSeconds(120));
    assertThat(restarted.job(id).getString("status")).isEqualTo("SUCCEEDED");
  }

  private static void poll(java.util.function.BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (done.getAsBoolean()) {
        return;
      }
      TestService.await(local.timer(50));
    }
    throw new AssertionError("timed out waiting for " + what);
  }
}
