package io.onboarder.cyclr;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.onboarder.cyclr.Breaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gate that composes the policies: the cap on requests in flight, FIFO service, wake-ups when the breaker
 * or the limiter will allow the next call, shutdown and abandoned calls. It runs on a virtual clock: time moves
 * only when a test moves it, so no scenario waits on wall time. (Each policy has its own test too.)
 */
class RequestGateTest {
  private static final long MS = 1_000_000L;
  private static final double UNLIMITED = 0;

  private final VirtualClock time = new VirtualClock();

  private RequestGate gate(int maxConcurrency, double rate, int breakerThreshold, long breakerOpenMs,
                           long maxOutageMs) {
    return RequestGate.create(time, maxConcurrency, rate, breakerThreshold, breakerOpenMs, maxOutageMs);
  }

  // ---- concurrency cap and FIFO ------------------------------------------------------------------

  @Test
  void grantsAtMostMaxConcurrencyPermitsUntilOneIsReleased() {
    RequestGate gate = gate(3, UNLIMITED, 100, 1_000, 0);
    List<Integer> granted = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> granted.add(n));
    }
    assertThat(granted).containsExactly(0, 1, 2);
    assertThat(gate.inFlight()).isEqualTo(3);
    assertThat(gate.waiting()).isEqualTo(7);

    time.advance(50);
    assertThat(granted).as("no permit appears by itself while 3 are in flight").containsExactly(0, 1, 2);
    assertThat(time.pending()).as("no wake-up is needed: a release will grant").isZero();
    gate.release(CallKind.SUCCESS);
    assertThat(granted).containsExactly(0, 1, 2, 3);
    assertThat(gate.inFlight()).isEqualTo(3);
    for (int i = 0; i < 9; i++) {
      gate.release(CallKind.SUCCESS);
    }
    assertThat(granted).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(gate.inFlight()).isZero();
    assertThat(gate.waiting()).isZero();
    assertThat(gate.maxObservedInFlight()).isEqualTo(3);
  }

  @Test
  void servesWaitersInArrivalOrderEvenWhenTheyReleaseFromInsideTheirGrant() {
    RequestGate gate = gate(1, UNLIMITED, 100, 1_000, 0);
    List<Integer> order = new ArrayList<>();
    gate.acquire(); // holds the only permit while the queue builds up
    for (int i = 0; i < 20; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> {
        order.add(n);
        gate.release(CallKind.SUCCESS); // re-enters the gate while it is granting
      });
    }
    assertThat(order).isEmpty();
    gate.release(CallKind.SUCCESS);
    assertThat(order).containsExactlyElementsOf(range(20));
    assertThat(gate.maxObservedInFlight()).isEqualTo(1);
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void servesWaitersInArrivalOrderWhenReleasesComeLater() {
    RequestGate gate = gate(2, UNLIMITED, 100, 1_000, 0);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> {
        order.add(n);
        time.schedule(1 + n % 3, () -> gate.release(CallKind.SUCCESS));
      });
    }
    time.runTimers(1_000);
    assertThat(order).containsExactlyElementsOf(range(20));
    assertThat(gate.maxObservedInFlight()).isEqualTo(2);
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void servesWaitersInArrivalOrderUnderARateLimitWithOneWakeUpAtATime() {
    RequestGate gate = gate(100, 200, 100, 1_000, 0);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> {
        order.add(n);
        gate.release(CallKind.SUCCESS);
      });
    }
    while (order.size() < 25) {
      assertThat(time.pending()).as("one wake-up pending").isEqualTo(1);
      time.fireNextTimer();
    }
    assertThat(order).containsExactlyElementsOf(range(25));
  }

  // ---- rate limit --------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}/s, {1} calls take >= {2} ms")
  @CsvSource({
      "50, 30, 450",
      "20, 22, 1000",
  })
  void neverGrantsMoreThanTheConfiguredRateInAnyOneSecondWindow(int rate, int calls, long minTotalMs) {
    RequestGate gate = gate(1_000, rate, 100, 1_000, 0);
    List<Long> grantedAt = new ArrayList<>();
    long start = time.nanoTime();
    for (int i = 0; i < calls; i++) {
      gate.acquire().onSuccess(v -> {
        grantedAt.add(time.nanoTime());
        gate.release(CallKind.SUCCESS);
      });
    }
    time.runTimers(10_000);
    assertThat(grantedAt).hasSize(calls);
    long totalMs = (grantedAt.get(calls - 1) - start) / MS;
    assertThat(totalMs).as("time to grant %d calls at %d/s", calls, rate).isGreaterThanOrEqualTo(minTotalMs)
        .isLessThan(calls * 1_000L / rate + 1_100);
    assertThat(RateLimiterTest.maxGrantsInAnyWindow(grantedAt, 1_000 * MS)).as("grants in any 1 s window")
        .isLessThanOrEqualTo(rate);
    assertThat(gate.maxObservedInFlight()).isEqualTo(1);
  }

  @Test
  void aRaisedRateLetsWaitingCallsThroughSooner() {
    RequestGate gate = gate(1_000, 4, 100, 1_000, 0);
    List<Long> grantedAt = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      gate.acquire().onSuccess(v -> {
        grantedAt.add(time.nanoTime());
        gate.release(CallKind.SUCCESS);
      });
    }
    gate.setRatePerSecond(0);
    assertThat(grantedAt).as("unlimited now: the queue empties at once").hasSize(10);
    assertThat(gate.ratePerSecond()).isZero();
  }

  @Test
  void aRateLimitPausesEveryLaterAcquireForRetryAfterAndSlowsTheRate() {
    RequestGate gate = gate(10, 100, 100, 1_000, 0);
    List<Long> waitedMs = new ArrayList<>();
    double before = gate.currentRate();
    long pausedAt = time.nanoTime();
    gate.rateLimited(Duration.ofMillis(300));
    assertThat(gate.currentRate()).as("an isolated 429 slows down by 10 %").isCloseTo(before * 0.9, within(1e-9));
    Runnable acquireOne = () -> gate.acquire().onSuccess(v -> {
      waitedMs.add((time.nanoTime() - pausedAt) / MS);
      gate.release(CallKind.SUCCESS);
    });
    for (int i = 0; i < 3; i++) {
      acquireOne.run();
    }
    assertThat(gate.waiting()).isEqualTo(3);
    time.advance(100);
    assertThat(gate.pausedForMillis()).isEqualTo(200);
    // An acquire arriving later in the pause waits for its end too.
    acquireOne.run();
    assertThat(gate.waiting()).isEqualTo(4);
    time.advance(199);
    assertThat(waitedMs).isEmpty();
    time.runTimers(100);
    assertThat(waitedMs).hasSize(4).allSatisfy(ms -> assertThat(ms).isBetween(300L, 400L));
  }

  @Test
  void a429FromAnotherNodePausesAndSlowsThisGateWithoutBeingPassedOn() {
    RequestGate gate = gate(10, 100, 100, 1_000, 0);
    List<Duration> told = new ArrayList<>();
    gate.onRateLimited(told::add);
    long pausedAt = time.nanoTime();
    gate.pauseForPeer(Duration.ofMillis(300));
    assertThat(told).as("a peer's 429 is not published again").isEmpty();
    assertThat(gate.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
    assertThat(gate.pausedForMillis()).isEqualTo(300);
    List<Long> grantedAt = new ArrayList<>();
    gate.acquire().onSuccess(v -> grantedAt.add(time.nanoTime()));
    time.runTimers(10);
    assertThat(grantedAt).singleElement().satisfies(t -> assertThat((t - pausedAt) / MS).isEqualTo(300));
    gate.release(CallKind.SUCCESS);
    gate.rateLimited(Duration.ofMillis(10));
    assertThat(told).as("a 429 seen here is told").containsExactly(Duration.ofMillis(10));
  }

  // ---- circuit breaker ---------------------------------------------------------------------------

  @ParameterizedTest(name = "threshold 3: {0} -> {1}")
  @CsvSource({
      "RETRYABLE RETRYABLE,                              CLOSED",
      "RETRYABLE RETRYABLE RETRYABLE,                    OPEN",
      "AMBIGUOUS AMBIGUOUS AMBIGUOUS,                    OPEN",
      "RETRYABLE AMBIGUOUS RETRYABLE,                    OPEN",
      "RETRYABLE RETRYABLE SUCCESS RETRYABLE RETRYABLE,  CLOSED",
      "RETRYABLE RETRYABLE FATAL RETRYABLE,              CLOSED",
      "RETRYABLE RETRYABLE UNAUTHORIZED RETRYABLE,       CLOSED",
      "RETRYABLE RETRYABLE RATE_LIMITED RETRYABLE,       OPEN",
      "FATAL FATAL FATAL FATAL,                          CLOSED",
      "RATE_LIMITED RATE_LIMITED RATE_LIMITED,           CLOSED",
  })
  void breakerOpensOnlyAfterThresholdConsecutiveFailures(String outcomes, State expected) {
    RequestGate gate = gate(100, UNLIMITED, 3, 60_000, 0);
    List<CallKind> kinds = Arrays.stream(outcomes.trim().split("\\s+")).map(CallKind::valueOf).toList();
    for (int i = 0; i < kinds.size(); i++) {
      gate.acquire();
    }
    assertThat(gate.inFlight()).isEqualTo(kinds.size());
    kinds.forEach(gate::release);
    assertThat(gate.breakerState()).isEqualTo(expected);
    assertThat(gate.breakerClosed()).isEqualTo(expected == State.CLOSED);
  }

  @Test
  void answersAndOnlyAnswersCountAsCyclrBeingUp() {
    RequestGate gate = gate(100, UNLIMITED, 100, 1_000, 0);
    for (CallKind kind : CallKind.values()) {
      gate.acquire();
      gate.release(kind);
    }
    assertThat(gate.breaker().answers()).as("SUCCESS, FATAL and UNAUTHORIZED are answers").isEqualTo(3);
  }

  @Test
  void openBreakerMakesCallersWaitThenLetsExactlyOneProbeThroughWhoseSuccessClosesIt() {
    RequestGate gate = gate(100, UNLIMITED, 3, 100, 0);
    List<Integer> granted = new ArrayList<>();
    long openedAt = tripBreaker(gate, 3);
    for (int i = 0; i < 5; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> granted.add(n)).onFailure(t -> granted.add(-1));
    }
    time.advance(40);
    assertThat(granted).as("nothing passes an open breaker").isEmpty();
    assertThat(gate.waiting()).isEqualTo(5);
    assertThat(gate.breakerState()).isEqualTo(State.OPEN);

    time.advance(60);
    assertThat(granted).as("the probe, after the open period").containsExactly(0);
    assertThat((time.nanoTime() - openedAt) / MS).isEqualTo(100);
    assertThat(gate.breakerState()).isEqualTo(State.HALF_OPEN);
    assertThat(gate.breakerClosed()).isFalse();
    time.advance(100);
    assertThat(granted).as("only the probe while it is in flight").containsExactly(0);
    assertThat(gate.waiting()).isEqualTo(4);
    assertThat(time.pending()).as("the probe's outcome wakes the gate, not a timer").isZero();
    gate.release(CallKind.SUCCESS);
    assertThat(gate.breakerState()).isEqualTo(State.CLOSED);
    assertThat(granted).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void aFailedProbeReopensTheBreakerAndTheNextProbeWaitsAgain() {
    RequestGate gate = gate(100, UNLIMITED, 3, 100, 0);
    List<Integer> granted = new ArrayList<>();
    tripBreaker(gate, 3);
    for (int i = 0; i < 4; i++) {
      int n = i;
      gate.acquire().onSuccess(v -> granted.add(n));
    }
    time.advance(100);
    assertThat(granted).containsExactly(0);
    gate.release(CallKind.RETRYABLE);
    long reopenedAt = time.nanoTime();
    assertThat(gate.breakerState()).isEqualTo(State.OPEN);
    assertThat(gate.waiting()).isEqualTo(3);

    time.advance(199);
    assertThat(granted).as("re-opened for twice as long").containsExactly(0);
    time.advance(1);
    assertThat(granted).containsExactly(0, 1);
    assertThat((time.nanoTime() - reopenedAt) / MS).isEqualTo(200);
    assertThat(gate.breakerState()).isEqualTo(State.HALF_OPEN);
    gate.release(CallKind.SUCCESS);
    assertThat(gate.breakerState()).isEqualTo(State.CLOSED);
    assertThat(granted).containsExactly(0, 1, 2, 3);
  }

  @Test
  void pastTheOutageBudgetWaitingCallsFailFastWhileProbesGoOnTestingCyclr() {
    RequestGate gate = gate(100, UNLIMITED, 1, 300, 100);
    List<Throwable> failures = new ArrayList<>();
    tripBreaker(gate, 1);
    for (int i = 0; i < 3; i++) {
      gate.acquire().onSuccess(v -> failures.add(null)).onFailure(failures::add);
    }
    time.advance(100);
    assertThat(failures).as("the budget is not over yet").isEmpty();
    time.advance(1);
    assertThat(failures).as("failed once the outage passed its 100 ms budget, before the next probe")
        .hasSize(3).allSatisfy(t -> assertThat(t).isInstanceOfSatisfying(CyclrException.class,
            e -> assertThat(e.code()).isEqualTo("CYCLR_UNAVAILABLE")));
    gate.acquire().onSuccess(v -> failures.add(null)).onFailure(failures::add);
    assertThat(failures).as("a new call fails at once").hasSize(4).doesNotContainNull();

    time.advance(199);
    List<String> probes = new ArrayList<>();
    gate.acquire().onSuccess(v -> probes.add(gate.breakerState().name())).onFailure(t -> probes.add("failed"));
    assertThat(probes).as("the open period is over: a probe").containsExactly("HALF_OPEN");
    gate.release(CallKind.SUCCESS);
    gate.acquire().onSuccess(v -> probes.add(gate.breakerState().name()));
    assertThat(probes).containsExactly("HALF_OPEN", "CLOSED");
  }

  // ---- shutdown and cancellation -----------------------------------------------------------------

  @Test
  void closeFailsEveryWaiterAndLaterAcquireWithShuttingDownButLeavesGrantedPermits() {
    RequestGate gate = gate(1, UNLIMITED, 100, 1_000, 0);
    List<Throwable> failures = new ArrayList<>();
    boolean[] firstGranted = new boolean[1];
    gate.acquire().onSuccess(v -> firstGranted[0] = true);
    for (int i = 0; i < 3; i++) {
      gate.acquire().onSuccess(v -> failures.add(null)).onFailure(failures::add);
    }
    assertThat(firstGranted[0]).isTrue();
    assertThat(failures).isEmpty();

    gate.close("shutting down");
    assertThat(failures).hasSize(3).allSatisfy(t -> assertThat(t).isInstanceOf(CyclrException.ShuttingDown.class));
    assertThat(gate.waiting()).isZero();
    gate.acquire().onSuccess(v -> failures.add(null)).onFailure(failures::add);
    assertThat(failures).hasSize(4).last().isInstanceOf(CyclrException.ShuttingDown.class);
    gate.release(CallKind.SUCCESS); // the permit granted before close finishes normally
    assertThat(gate.inFlight()).isZero();
    assertThat(failures).hasSize(4);
  }

  @Test
  void closeWhileTheBreakerIsOpenFailsWaitersAndNothingIsGrantedLater() {
    RequestGate gate = gate(100, UNLIMITED, 1, 30, 0);
    List<Throwable> failures = new ArrayList<>();
    tripBreaker(gate, 1);
    for (int i = 0; i < 2; i++) {
      gate.acquire().onSuccess(v -> failures.add(null)).onFailure(failures::add);
    }
    assertThat(time.pending()).isEqualTo(1);
    gate.close("bye");
    assertThat(failures).hasSize(2).allSatisfy(t -> assertThat(t).isInstanceOf(CyclrException.ShuttingDown.class));
    assertThat(time.pending()).as("its wake-up is cancelled").isZero();
    time.advance(100);
    assertThat(failures).hasSize(2);
  }

  @Test
  void abandonWaitingFailsOnlyTheCallsOfAbandonedOwnersAndGrantsAreReported() {
    RequestGate gate = gate(1, UNLIMITED, 100, 1_000, 0);
    List<Object> granted = new ArrayList<>();
    List<String> cancelledOwners = new ArrayList<>();
    List<String> outcomes = new ArrayList<>();
    gate.watchOwners(cancelledOwners::contains, granted::add);
    gate.acquire("a"); // holds the only permit
    for (String owner : List.of("b", "c", "b", "d")) {
      gate.acquire(owner).onSuccess(v -> outcomes.add(owner + " granted"))
          .onFailure(t -> outcomes.add(owner + " " + t.getClass().getSimpleName()));
    }
    assertThat(granted).containsExactly("a");
    cancelledOwners.add("b");
    assertThat(gate.abandonWaiting()).isEqualTo(2);
    assertThat(outcomes).containsExactly("b CallCancelled", "b CallCancelled");
    gate.acquire("b").onFailure(t -> outcomes.add("late b " + t.getClass().getSimpleName()));
    assertThat(outcomes).last().isEqualTo("late b CallCancelled");
    gate.release(CallKind.SUCCESS);
    assertThat(outcomes).contains("c granted");
    gate.release(CallKind.SUCCESS);
    assertThat(outcomes).contains("d granted");
    assertThat(granted).containsExactly("a", "c", "d");
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** Sends {@code n} calls that all fail retryably; returns when the breaker opened. */
  private long tripBreaker(RequestGate gate, int n) {
    for (int i = 0; i < n; i++) {
      gate.acquire();
    }
    assertThat(gate.inFlight()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      gate.release(CallKind.RETRYABLE);
    }
    assertThat(gate.breakerState()).isEqualTo(State.OPEN);
    return time.nanoTime();
  }

  private static List<Integer> range(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }
}
