package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The sign-in watch on a virtual clock: its pump, the watch store in memory, and a gateway the test answers.
 * What the watch does over minutes runs here in milliseconds; {@code SignInWatchTest} covers the same
 * watch end to end against the emulator and the real stores.
 */
class SignInWatchPumpTest {
  private static final long LEASE_MS = 30_000;

  private final VirtualClock clock = new VirtualClock();
  private final SignInPolicy policy = new SignInPolicy(null, 168 * 3_600_000L, 100, SignInPolicy.WATCH_MAX_MS);
  private final InMemoryWatches store = new InMemoryWatches(clock, policy);
  private final NodeLifecycle node = new NodeLifecycle(clock, LEASE_MS, err -> false);
  private final Set<String> signedIn = new HashSet<>();
  private final List<Promise<Void>> held = new ArrayList<>();
  private boolean hold;
  private boolean cyclrDown;
  private int checks;
  private int inFlight;
  private int maxInFlight;

  private final Function<SignInRequest, Future<SignInReply>> gateway = check -> {
    checks++;
    if (cyclrDown) {
      return Future.failedFuture("Cyclr is unavailable");
    }
    SignInReply state = new SignInReply(true, signedIn.contains(check.account()), null, null);
    if (!hold) {
      return Future.succeededFuture(state);
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    Promise<Void> answer = Promise.promise();
    held.add(answer);
    return answer.future().map(x -> state).onComplete(x -> inFlight--);
  };

  private LeasePump<SignIns.Watched, WatchQueue.Found> watch(int maxInFlight) {
    node.start(Future::succeededFuture);
    LeasePump<SignIns.Watched, WatchQueue.Found> pump = new SignInWatch(store, node, policy, maxInFlight, LEASE_MS)
        .pump(clock, gateway);
    pump.start();
    return pump;
  }

  private long polls() {
    return store.watches.values().stream().mapToLong(w -> w.polls).sum();
  }

  @Test
  void pollsBackOffAndStopOnceSignedIn() {
    int n = 20;
    for (long id = 1; id <= n; id++) {
      store.install(id);
    }
    watch(2);
    // Polls are due ~0.1, 0.3, 0.7, 1.5, 3.1 s after the install (each interval ±10 %).
    clock.advance(1_000);
    assertThat(polls()).as("three polls each in the first second").isEqualTo(3L * n);
    clock.advance(1_600);
    assertThat(polls()).as("one more in the next 1.6 s").isEqualTo(4L * n);
    assertThat(store.watches.values()).allSatisfy(w -> assertThat(w.intervalMs).isEqualTo(1_600));

    // Every tenant signs in; once all are noticed, nothing is polled any more.
    store.watches.values().forEach(w -> signedIn.add("acct-" + w.itemId));
    clock.advance(1_000);
    assertThat(store.watches.values()).allSatisfy(w -> assertThat(w.status).isEqualTo("AUTHENTICATED"));
    int after = checks;
    clock.advance(SignInPolicy.WATCH_MAX_MS * 2);
    assertThat(checks).isEqualTo(after);
    assertThat(store.nextWatchDueInMs().result()).isNull();
  }

  @Test
  void aWatchWhoseLinkExpiredIsEndedWithoutAPoll() {
    InMemoryWatches.Watch w = store.install(1);
    w.until = clock.nowMs() + 50; // the link expires before its first poll
    watch(2);
    clock.advance(10_000);
    assertThat(w.polls).isZero();
    assertThat(w.nextAt).as("ended by the expiry sweep").isNull();
    assertThat(checks).isZero();
  }

  @Test
  void theWatchKeepsAtMostItsShareOfTheGatewayBusy() {
    int n = 40;
    for (long id = 1; id <= n; id++) {
      store.install(id);
    }
    hold = true;
    watch(2);
    clock.advance(100);
    while (polls() < 2L * n) {
      assertThat(held).isNotEmpty();
      held.remove(0).complete();
      clock.advance(50);
    }
    assertThat(maxInFlight).as("8 / 4").isEqualTo(2);
  }

  @Test
  void aPollCyclrDidNotAnswerKeepsItsPace() {
    InMemoryWatches.Watch w = store.install(1);
    watch(2);
    cyclrDown = true;
    clock.advance(100 + 2);
    assertThat(w.polls).isEqualTo(1);
    assertThat(w.intervalMs).as("not backed off").isEqualTo(100);
    cyclrDown = false;
    clock.advance(150);
    assertThat(w.polls).isEqualTo(2);
    assertThat(w.intervalMs).isEqualTo(200);
  }

  @Test
  void aWatchAnotherNodeTookOverKeepsThatNodesSchedule() {
    InMemoryWatches.Watch w = store.install(1);
    hold = true;
    watch(2);
    clock.advance(100);
    assertThat(held).hasSize(1);
    w.owner = "other"; // this node's claim lapsed meanwhile and another node polled it
    w.nextAt = clock.nowMs() + 5_000;
    held.remove(0).complete();
    clock.advance(10);
    assertThat(w.nextAt).isEqualTo(clock.nowMs() - 10 + 5_000);
    assertThat(w.intervalMs).isEqualTo(100);
  }

  @Test
  void aStoppingNodeLetsItsClaimsLapseAndWritesNothingMore() {
    InMemoryWatches.Watch w = store.install(1);
    hold = true;
    LeasePump<SignIns.Watched, WatchQueue.Found> pump = watch(2);
    long claimedAt = clock.nowMs() + 100;
    clock.advance(100);
    node.drain();
    Future<Integer> drained = pump.drain(0);
    held.remove(0).complete();
    clock.advance(10);
    assertThat(drained.isComplete()).isTrue();
    assertThat(w.owner).as("the claim lapses; whoever runs next polls it again").isNotNull();
    assertThat(w.nextAt).isEqualTo(claimedAt + LEASE_MS);
  }
}
