package io.onboarder.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.onboarder.config.Settings;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Cluster mode's membership and event bus: Hazelcast (the Vert.x cluster manager) joined by a static
 * member list ({@code CLUSTER_MEMBERS}) or a Kubernetes headless Service's DNS name
 * ({@code CLUSTER_DNS}, no RBAC needed), and the event bus's TCP port. A client JVM that wants to
 * use the public addresses builds the same thing with {@link #hazelcast} and {@link #eventBus}.
 */
public final class ClusterSetup {
  private ClusterSetup() {}

  public static HazelcastClusterManager clusterManager(Settings s) {
    return new HazelcastClusterManager(hazelcast(s.clusterName(), host(s), s.clusterPort(), s.clusterMembers(),
        s.clusterDns()));
  }

  public static EventBusOptions eventBus(Settings s) {
    String host = host(s);
    return new EventBusOptions().setHost(host).setClusterPublicHost(host).setPort(s.clusterBusPort());
  }

  /** The address this node binds and advertises: CLUSTER_HOST, else this host's address (the pod IP). */
  public static String host(Settings s) {
    if (!s.clusterHost().isBlank()) {
      return s.clusterHost();
    }
    try {
      return InetAddress.getLocalHost().getHostAddress();
    } catch (UnknownHostException e) {
      return "127.0.0.1";
    }
  }

  /**
   * Vert.x's own Hazelcast settings (its maps for subscriptions and nodes) with discovery set
   * explicitly: no multicast, no auto-detection, exactly one join method.
   */
  public static Config hazelcast(String clusterName, String host, int port, List<String> members, String dns) {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(clusterName);
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    // Vert.x shuts Hazelcast down itself, after the service has drained.
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.local.localAddress", host);
    // A node that dies is noticed within seconds, not the default minute (leases decide ownership anyway).
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(port).setPortAutoIncrement(false);
    net.setPublicAddress(host + ":" + port);
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(false);
    if (!members.isEmpty()) {
      join.getTcpIpConfig().setEnabled(true).setMembers(members.stream()
          .map(m -> m.contains(":") ? m : m + ":" + port).toList());
    } else if (dns != null && !dns.isBlank()) {
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", dns)
          .setProperty("service-port", String.valueOf(port));
    }
    return hz;
  }
}
