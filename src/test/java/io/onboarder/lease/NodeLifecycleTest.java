package io.onboarder.lease;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node's lifecycle on a virtual clock: store health, lease renewal, takeover sweeps, disk full, stop. */
class NodeLifecycleTest {
  private static final long LEASE_MS = 10_000;

  private final VirtualClock clock = new VirtualClock();
  private final NodeLifecycle node = new NodeLifecycle(clock, LEASE_MS, err -> err.getMessage().contains("disk"));
  private boolean storeUp = true;
  private int pings;
  private final List<String> calls = new ArrayList<>();

  private final LeaseHolder holder = LeaseHolder.of(
      () -> {
        calls.add("renew");
        return storeUp ? Future.succeededFuture() : Future.failedFuture("down");
      },
      () -> {
        calls.add("takeOver");
        return Future.succeededFuture(0);
      },
      () -> calls.add("wake"));

  private Future<?> ping() {
    pings++;
    return storeUp ? Future.succeededFuture() : Future.failedFuture("connection refused");
  }

  @Test
  void startingWakesEveryHolderAndOpensTheGate() {
    node.register(holder);
    assertThat(node.mayClaim()).isFalse();
    assertThat(node.accepting()).isFalse();
    node.start(this::ping);
    assertThat(calls).containsExactly("wake");
    assertThat(node.mayClaim()).isTrue();
    assertThat(node.accepting()).isTrue();
  }

  @Test
  void renewsFiveTimesPerLeaseAndKeepsTheLeasesHeld() {
    node.register(holder);
    node.start(this::ping);
    clock.advance(LEASE_MS);
    assertThat(calls.stream().filter("renew"::equals).count()).isEqualTo(5);
    assertThat(node.holdsLeases()).isTrue();
    assertThat(pings).isEqualTo(10);
  }

  @Test
  void aStoreThatStopsAnsweringClosesTheGateLetsLeasesLapseAndWakesHoldersWhenBack() {
    node.register(holder);
    node.start(this::ping);
    storeUp = false;
    clock.advance(1_000);
    assertThat(node.storeReachable()).isFalse();
    assertThat(node.mayClaim()).isFalse();
    assertThat(node.accepting()).isFalse();
    clock.advance(LEASE_MS / 2);
    assertThat(node.holdsLeases()).as("no renewal for half a lease: installs stop").isFalse();
    assertThat(node.leasesLapsed()).isFalse();
    clock.advance(LEASE_MS / 2);
    assertThat(node.leasesLapsed()).as("no renewal for a whole lease: others may take over").isTrue();
    calls.clear();
    storeUp = true;
    clock.advance(1_000);
    assertThat(node.storeReachable()).isTrue();
    assertThat(calls).containsSubsequence("renew", "wake");
    assertThat(node.holdsLeases()).isTrue();
  }

  @Test
  void sweepsForExpiredLeasesOnlyOnceEveryNodeHadTimeToRenewAfterAnOutage() {
    node.register(holder);
    node.start(this::ping);
    clock.advance(3_600);
    assertThat(calls).contains("takeOver");
    storeUp = false;
    clock.advance(LEASE_MS);
    calls.clear();
    storeUp = true;
    clock.advance(1_000); // back: the next health check (within this second) finds it reachable
    // Less than three health checks after that check, whenever in the second it fell (sweeps are jittered).
    clock.advance(1_999);
    assertThat(calls).as("within three health checks of the store coming back").doesNotContain("takeOver");
    clock.advance(6_000); // longer than a sweep period (a third of the lease plus up to 250 ms of jitter)
    assertThat(calls).contains("takeOver");
  }

  @Test
  void aFullDiskWithoutAProbeRefusesSubmissionsAndClaimsForAMinute() {
    node.start(this::ping);
    node.storeFailed("test", new RuntimeException("disk full"));
    assertThat(node.diskFull()).isTrue();
    assertThat(node.accepting()).isFalse();
    assertThat(node.mayClaim()).as("no install is sent whose outcome could not be written").isFalse();
    assertThat(node.diskFullNow()).as("not news within the minute").isFalse();
    clock.advance(60_000);
    assertThat(node.diskFull()).isFalse();
    assertThat(node.accepting()).isTrue();
    assertThat(node.mayClaim()).isTrue();
  }

  @Test
  void aFullDiskIsProbedAtEveryHealthCheckAndTheNodeRecoversWithinOneOnceAWriteSucceeds() {
    boolean[] space = {false};
    int[] probes = {0};
    node.register(holder);
    node.probeWritesWith(() -> {
      probes[0]++;
      return space[0] ? Future.succeededFuture() : Future.failedFuture("disk full");
    });
    node.start(this::ping);
    clock.advance(3_000);
    assertThat(probes[0]).as("no probe while nothing failed").isZero();
    node.storeFailed("test", new RuntimeException("disk full"));
    calls.clear();
    clock.advance(5_000);
    assertThat(probes[0]).isEqualTo(5);
    assertThat(node.diskFull()).isTrue();
    space[0] = true;
    clock.advance(1_000);
    assertThat(node.diskFull()).isFalse();
    assertThat(node.accepting()).isTrue();
    assertThat(calls).as("every holder is woken to write what it kept").contains("wake");
    clock.advance(5_000);
    assertThat(probes[0]).as("no probe once there is space").isEqualTo(6);
  }

  @Test
  void drainingClosesTheGateAndStopsSweepsAndStoppingCancelsEveryTimer() {
    node.register(holder);
    node.start(this::ping);
    node.drain();
    assertThat(node.mayClaim()).isFalse();
    calls.clear();
    clock.advance(LEASE_MS);
    assertThat(calls).as("renewal goes on for the work in flight").contains("renew").doesNotContain("takeOver");
    node.stop();
    assertThat(clock.pending()).isZero();
    int before = pings;
    clock.advance(LEASE_MS);
    assertThat(pings).isEqualTo(before);
  }

  @Test
  void aClaimConfirmsTheLeases() {
    node.register(holder);
    node.start(this::ping);
    storeUp = false;
    clock.advance(LEASE_MS / 2);
    assertThat(node.holdsLeases()).isFalse();
    node.claimed();
    assertThat(node.holdsLeases()).isTrue();
  }
}
