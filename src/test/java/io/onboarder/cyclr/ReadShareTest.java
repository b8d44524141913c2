package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fleet reads take their permit from a {@link ReadShare} before the gate's (where they go ahead of the queue): on a
 * virtual clock, a flood of reads gets at most its percentage of the rate and of the requests in flight, no more
 * and, behind a queue of installs, no less; installs queued at the same time get the rest. Each granted call is
 * "answered" 50 ms later, as a Cyclr at 50 ms latency would.
 */
class ReadShareTest {
  private static final long LATENCY_MS = 50;

  private final VirtualClock time = new VirtualClock();
  private final List<Long> readGrants = new ArrayList<>();
  private final List<Long> installGrants = new ArrayList<>();
  private int readsInFlight;
  private int maxReadsInFlight;

  /** A read: share permit, then the gate's; both released when the answer comes. */
  private void read(ReadShare share, RequestGate gate) {
    share.acquire().compose(s -> gate.acquire(null, true).compose(v -> {
      readGrants.add(time.nanoTime());
      readsInFlight++;
      maxReadsInFlight = Math.max(maxReadsInFlight, readsInFlight);
      return answerLater(gate).onComplete(ar -> readsInFlight--);
    }).onComplete(ar -> share.release()));
  }

  private void install(RequestGate gate) {
    gate.acquire().compose(v -> {
      installGrants.add(time.nanoTime());
      return answerLater(gate);
    });
  }

  private Future<Void> answerLater(RequestGate gate) {
    return time.timer(LATENCY_MS).onComplete(ar -> gate.release(CallKind.SUCCESS));
  }

  /** The most grants in any window of one second. */
  private static int busiestSecond(List<Long> grants) {
    int most = 0;
    for (int i = 0, j = 0; i < grants.size(); i++) {
      while (grants.get(i) - grants.get(j) >= 1_000_000_000L) {
        j++;
      }
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  @Test
  void aFloodOfReadsUsesAtMostItsShareAndInstallsGetTheRest() {
    RequestGate gate = RequestGate.create(time, 20, 100, 1_000, 1_000, 0);
    ReadShare share = new ReadShare(gate, 20, 20);
    for (int i = 0; i < 10_000; i++) {
      read(share, gate);
    }
    for (int i = 0; i < 5_000; i++) {
      install(gate);
    }
    time.advance(Duration.ofSeconds(30));

    assertThat(share.ratePerSecond()).isEqualTo(20.0);
    assertThat(busiestSecond(readGrants)).as("reads in any second").isLessThanOrEqualTo(20);
    assertThat(readGrants.size()).as("reads in 30 s").isBetween(550, 600);
    assertThat(maxReadsInFlight).as("reads in flight: a fifth of 20").isLessThanOrEqualTo(4);
    assertThat(busiestSecond(installGrants) + busiestSecond(readGrants)).isLessThanOrEqualTo(100);
    // The gate's 100/s paced at 98 %: the reads' ~19.6/s leave installs about 78/s.
    assertThat(installGrants.size()).as("installs in 30 s").isGreaterThanOrEqualTo(2_250);
  }

  @Test
  void readsAloneStillKeepToTheirShare() {
    RequestGate gate = RequestGate.create(time, 50, 200, 1_000, 1_000, 0);
    ReadShare share = new ReadShare(gate, 50, 10);
    for (int i = 0; i < 2_000; i++) {
      read(share, gate);
    }
    time.advance(Duration.ofSeconds(10));
    assertThat(busiestSecond(readGrants)).isLessThanOrEqualTo(20);
    assertThat(readGrants.size()).isBetween(180, 200);
    assertThat(maxReadsInFlight).isLessThanOrEqualTo(5);
  }

  @Test
  void theShareFollowsTheGatesRateAsItChanges() {
    RequestGate gate = RequestGate.create(time, 20, 100, 1_000, 1_000, 0);
    ReadShare share = new ReadShare(gate, 20, 20);
    gate.setRatePerSecond(50); // this node's share of the cluster's rate went down
    for (int i = 0; i < 1_000; i++) {
      read(share, gate);
    }
    time.advance(Duration.ofSeconds(10));
    assertThat(share.ratePerSecond()).isEqualTo(10.0);
    assertThat(busiestSecond(readGrants)).isLessThanOrEqualTo(10);
    assertThat(readGrants.size()).isBetween(90, 100);
  }

  @Test
  void anUnlimitedGateLeavesTheConcurrencyShare() {
    RequestGate gate = RequestGate.create(time, 10, 0, 1_000, 1_000, 0);
    ReadShare share = new ReadShare(gate, 10, 20);
    for (int i = 0; i < 100; i++) {
      read(share, gate);
    }
    assertThat(readsInFlight).isEqualTo(2);
    assertThat(share.waiting()).isEqualTo(98);
    time.advance(Duration.ofSeconds(5));
    assertThat(readGrants).hasSize(100);
    assertThat(maxReadsInFlight).isEqualTo(2);
    assertThat(share.inFlight()).isZero();
  }

  @Test
  void closingFailsTheWaitingReadsAndLaterOnes() {
    RequestGate gate = RequestGate.create(time, 10, 0, 1_000, 1_000, 0);
    ReadShare share = new ReadShare(gate, 10, 10);
    Future<Void> first = share.acquire();
    Future<Void> second = share.acquire();
    share.close();
    assertThat(first.succeeded()).isTrue();
    assertThat(second.cause()).isInstanceOf(CyclrException.ShuttingDown.class);
    assertThat(share.acquire().cause()).isInstanceOf(CyclrException.ShuttingDown.class);
  }
}
