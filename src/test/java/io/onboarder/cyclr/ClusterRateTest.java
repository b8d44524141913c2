package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * gateway.ratePerSecond is the whole cluster's: three clustered Vert.x nodes (Hazelcast on loopback) in this JVM,
 * each running a gateway, share it and slow down together on a 429. One test, because Hazelcast is slow to start.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class ClusterRateTest {
  private static final double CLUSTER_RATE = 30;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private Vertx timers;

  @Test
  void gatewaysShareTheClusterRateRebalanceAsTheyJoinAndLeaveAndAllSlowDownOnA429(Vertx vertx, @TempDir Path dir)
      throws IOException {
    timers = vertx;
    CyclrEmulator cyclr = new CyclrEmulator(vertx, new EmulatorOptions());
    TestService.await(cyclr.start(0));
    JsonObject conf = cyclr.serviceConfig(dir.resolve("unused.db"));
    ConfigLoader.put(conf, "api.authDisabled", true);
    ConfigLoader.put(conf, "gateway.ratePerSecond", CLUSTER_RATE);
    Settings settings = Settings.from(conf);

    String cluster = "cyclr-onboarder-test-" + UUID.randomUUID();
    // Members bind the first free port of one range (another process may take a port between a probe and the
    // bind; auto-increment steps over it) and find each other anywhere in it.
    int ports = freePort();
    List<Vertx> nodes = new ArrayList<>();
    try {
      Vertx a = node(cluster, ports);
      nodes.add(a);
      Vertx b = node(cluster, ports);
      nodes.add(b);
      TestService.await(a.deployVerticle(new CyclrGatewayVerticle(settings, () -> true)));
      TestService.await(b.deployVerticle(new CyclrGatewayVerticle(settings, () -> true)));
      awaitShare(List.of(a, b), 2);

      // A member that runs no gateway (like a client JVM on the event bus) takes no share.
      Vertx c = node(cluster, ports);
      nodes.add(c);
      c.eventBus().publish(Addresses.GATEWAY_MEMBERS, new JsonObject().put("event", "recount"));
      long until = System.nanoTime() + Duration.ofMillis(ClusterRate.REFRESH_MS + 500).toNanos();
      while (System.nanoTime() < until) {
        assertThat(status(a).getInteger("gatewayNodes")).isEqualTo(2);
        assertThat(status(b).getInteger("gatewayNodes")).isEqualTo(2);
        TestService.await(vertx.timer(50));
      }

      TestService.await(c.deployVerticle(new CyclrGatewayVerticle(settings, () -> true)));
      awaitShare(List.of(a, b, c), 3);

      TestService.await(c.close());
      nodes.remove(c);
      awaitShare(List.of(a, b), 2);

      // A 429 seen by A pauses and slows B, which sent nothing.
      cyclr.options().setRateLimitPerSecond(1).setRetryAfterValue("3");
      for (int i = 0; i < 3; i++) {
        a.eventBus().request(Addresses.GATEWAY_ONBOARD, new ItemRequest(null, i, "cluster-" + i, "secret", null,
            new JsonObject().put("id", 1), null, null, new LinkOptions(null, null, null, true), false, false, false,
            false), new DeliveryOptions().setLocalOnly(true).setSendTimeout(120_000));
      }
      JsonObject slowed = poll(() -> status(b), g -> g.getLong("pausedForMs") > 0, "B to pause after A's 429");
      assertThat(cyclr.stats().rateLimited()).isPositive();
      assertThat(slowed.getDouble("rate")).as("B's rate slowed by an isolated 429").isCloseTo(CLUSTER_RATE / 2 * 0.98 * 0.9, within(1e-6));
      assertThat(slowed.getDouble("ratePerSecond")).as("B's share unchanged").isEqualTo(CLUSTER_RATE / 2);
    } finally {
      for (Vertx n : nodes) {
        TestService.await(n.close());
      }
    }
  }

  private void awaitShare(List<Vertx> nodes, int gateways) {
    for (Vertx n : nodes) {
      JsonObject s = poll(() -> status(n), g -> g.getInteger("gatewayNodes") == gateways,
          gateways + " gateways counted");
      assertThat(s.getDouble("ratePerSecond")).isEqualTo(CLUSTER_RATE / gateways);
      assertThat(s.getDouble("clusterRatePerSecond")).isEqualTo(CLUSTER_RATE);
      assertThat(s.getDouble("rate")).as("paced 2 % under the share").isCloseTo(CLUSTER_RATE / gateways * 0.98,
          within(1e-6));
    }
  }

  /** A clustered Vert.x on loopback: Hazelcast TCP-IP join on {@link #PORTS} ports from {@code ports}, no multicast. */
  private static Vertx node(String cluster, int ports) {
    Config hz = ConfigUtil.loadConfig(); // a fresh config with Vert.x's map settings
    hz.setClusterName(cluster);
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(ports).setPortAutoIncrement(true).setPortCount(PORTS);
    net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true);
    // No port: members are looked for on every port of the range.
    join.getTcpIpConfig().addMember("127.0.0.1");
    VertxOptions options = new VertxOptions()
        .setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0));
    Vertx node = TestService.await(Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered());
    GatewayContract.register(node.eventBus()); // as Application does at start-up
    return node;
  }

  private static JsonObject status(Vertx node) {
    return TestService.await(node.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS, new JsonObject())).body();
  }

  /** Polls on a deadline; waits between probes on a Vert.x timer (never a sleep). */
  private JsonObject poll(java.util.function.Supplier<JsonObject> probe, Predicate<JsonObject> done, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (done.test(last)) {
        return last;
      }
      TestService.await(timers.timer(20));
    }
    throw new AssertionError("timed out waiting for " + what + "; last: " + last);
  }

  /** Ports in the members' range. */
  private static final int PORTS = 8;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
