package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.onboarder.cyclr.RequestGate.BreakerState;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Admission control toward Cyclr. The gate is confined to one event loop, so every scenario runs on a single
 * Vert.x context ({@link #onContext}); waiting is done with Vert.x timers, never sleeps. Time bounds are
 * generous on the slow side because two cores are shared with other builds.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class RequestGateTest {
  private static final long MS = 1_000_000L;
  private static final double UNLIMITED = 0;

  /** One Vert.x for the class (cheaper than one per test); each scenario still gets its own context and gate. */
  private static Vertx vertx;

  @BeforeAll
  static void startVertx(Vertx shared) {
    vertx = shared;
  }

  private static void onContext(VertxTestContext tc, VertxTestContext.ExecutionBlock body) {
    vertx.getOrCreateContext().runOnContext(v -> tc.verify(body));
  }

  /** Runs {@code body} on the current context after {@code ms}. */
  private static void after(VertxTestContext tc, long ms, VertxTestContext.ExecutionBlock body) {
    vertx.setTimer(ms, id -> tc.verify(body));
  }

  // ---- concurrency cap and FIFO ------------------------------------------------------------------

  @Test
  void grantsAtMostMaxConcurrencyPermitsUntilOneIsReleased(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 3, UNLIMITED, 100, 1_000);
    List<Integer> granted = new ArrayList<>();
    onContext(tc, () -> {
      for (int i = 0; i < 10; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> granted.add(n)).onFailure(tc::failNow);
      }
      assertThat(granted).containsExactly(0, 1, 2);
      assertThat(gate.inFlight()).isEqualTo(3);
      assertThat(gate.waiting()).isEqualTo(7);

      after(tc, 50, () -> {
        assertThat(granted).as("no permit appears by itself while 3 are in flight").containsExactly(0, 1, 2);
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
        tc.completeNow();
      });
    });
  }

  @Test
  void servesWaitersInArrivalOrderEvenWhenTheyReleaseFromInsideTheirGrant(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 1, UNLIMITED, 100, 1_000);
    List<Integer> order = new ArrayList<>();
    onContext(tc, () -> {
      gate.acquire().onFailure(tc::failNow); // holds the only permit while the queue builds up
      for (int i = 0; i < 20; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> {
          order.add(n);
          gate.release(CallKind.SUCCESS); // re-enters the gate while it is granting
        }).onFailure(tc::failNow);
      }
      assertThat(order).isEmpty();
      gate.release(CallKind.SUCCESS);
      assertThat(order).containsExactlyElementsOf(range(20));
      assertThat(gate.maxObservedInFlight()).isEqualTo(1);
      assertThat(gate.inFlight()).isZero();
      tc.completeNow();
    });
  }

  @Test
  void servesWaitersInArrivalOrderWhenReleasesComeLater(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 2, UNLIMITED, 100, 1_000);
    List<Integer> order = new ArrayList<>();
    onContext(tc, () -> {
      for (int i = 0; i < 20; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> {
          order.add(n);
          vertx.setTimer(1, id -> gate.release(CallKind.SUCCESS));
          if (order.size() == 20) {
            tc.verify(() -> {
              assertThat(order).containsExactlyElementsOf(range(20));
              assertThat(gate.maxObservedInFlight()).isEqualTo(2);
              tc.completeNow();
            });
          }
        }).onFailure(tc::failNow);
      }
    });
  }

  @Test
  void servesWaitersInArrivalOrderUnderARateLimit(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, 200, 100, 1_000);
    List<Integer> order = new ArrayList<>();
    onContext(tc, () -> {
      for (int i = 0; i < 25; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> {
          order.add(n);
          gate.release(CallKind.SUCCESS);
          if (order.size() == 25) {
            tc.verify(() -> {
              assertThat(order).containsExactlyElementsOf(range(25));
              tc.completeNow();
            });
          }
        }).onFailure(tc::failNow);
      }
    });
  }

  // ---- rate limit ---------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}/s, {1} calls take >= {2} ms")
  @CsvSource({
      "50, 30, 450",
      "20, 22, 1000",
  })
  void neverGrantsMoreThanTheConfiguredRateInAnyOneSecondWindow(int rate, int calls, long minTotalMs,
      VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 1_000, rate, 100, 1_000);
    List<Long> grantedAt = new ArrayList<>();
    onContext(tc, () -> {
      long start = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        gate.acquire().onSuccess(v -> {
          grantedAt.add(System.nanoTime());
          gate.release(CallKind.SUCCESS);
          if (grantedAt.size() == calls) {
            tc.verify(() -> {
              long totalMs = (grantedAt.get(calls - 1) - start) / MS;
              assertThat(totalMs).as("time to grant %d calls at %d/s", calls, rate)
                  .isGreaterThanOrEqualTo(minTotalMs)
                  .isLessThan(6_000);
              assertThat(maxGrantsInAnyWindow(grantedAt, 1_000 * MS))
                  .as("grants in any 1 s window").isLessThanOrEqualTo(rate);
              assertThat(gate.maxObservedInFlight()).isEqualTo(1);
              tc.completeNow();
            });
          }
        }).onFailure(tc::failNow);
      }
    });
  }

  @Test
  void aRateLimitPausesEveryLaterAcquireForRetryAfterAndSlowsTheRate(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 100, 100, 1_000);
    List<Long> waitedMs = new ArrayList<>();
    onContext(tc, () -> {
      double before = gate.currentRate();
      gate.rateLimited(Duration.ofMillis(300));
      long pausedAt = System.nanoTime();
      assertThat(gate.currentRate()).as("an isolated 429 slows down by 10 %").isCloseTo(before * 0.9, within(1e-9));

      Runnable acquireOne = () -> gate.acquire().onSuccess(v -> {
        waitedMs.add((System.nanoTime() - pausedAt) / MS);
        gate.release(CallKind.SUCCESS);
        if (waitedMs.size() == 4) {
          tc.verify(() -> {
            assertThat(waitedMs).allSatisfy(ms -> assertThat(ms).isGreaterThanOrEqualTo(295));
            assertThat(waitedMs).allSatisfy(ms -> assertThat(ms).isLessThan(3_000));
            tc.completeNow();
          });
        }
      }).onFailure(tc::failNow);
      for (int i = 0; i < 3; i++) {
        acquireOne.run();
      }
      assertThat(gate.waiting()).isEqualTo(3);
      // An acquire arriving later in the pause waits for its end too.
      after(tc, 100, () -> {
        assertThat(waitedMs).isEmpty();
        acquireOne.run();
        assertThat(gate.waiting()).isEqualTo(4);
      });
    });
  }

  @Test
  void severalRateLimitsInOnePauseSlowTheRateOnlyOnce(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 100, 100, 1_000);
    onContext(tc, () -> {
      double before = gate.currentRate();
      gate.rateLimited(Duration.ofMillis(200));
      gate.rateLimited(Duration.ofMillis(200));
      gate.rateLimited(Duration.ofMillis(200));
      assertThat(gate.currentRate()).as("one decrease per pause").isCloseTo(before * 0.9, within(1e-9));
      tc.completeNow();
    });
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
  void breakerOpensOnlyAfterThresholdConsecutiveFailures(String outcomes, BreakerState expected,
      VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 3, 60_000);
    List<CallKind> kinds = Arrays.stream(outcomes.trim().split("\\s+")).map(CallKind::valueOf).toList();
    onContext(tc, () -> {
      for (int i = 0; i < kinds.size(); i++) {
        gate.acquire().onFailure(tc::failNow);
      }
      assertThat(gate.inFlight()).isEqualTo(kinds.size());
      kinds.forEach(gate::release);
      assertThat(gate.breakerState()).isEqualTo(expected);
      assertThat(gate.breakerClosed()).isEqualTo(expected == BreakerState.CLOSED);
      gate.close("test over");
      tc.completeNow();
    });
  }

  @Test
  void openBreakerMakesCallersWaitThenLetsExactlyOneProbeThroughWhoseSuccessClosesIt(VertxTestContext tc) {
    long openMs = 100;
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 3, openMs);
    List<Integer> granted = new ArrayList<>();
    onContext(tc, () -> {
      long openedAt = tripBreaker(gate, 3);
      for (int i = 0; i < 5; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> {
          granted.add(n);
          if (n == 0) {
            tc.verify(() -> {
              assertThat((System.nanoTime() - openedAt) / MS).as("probe waited for the open period")
                  .isGreaterThanOrEqualTo(openMs - 5);
              assertThat(gate.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
              assertThat(gate.breakerClosed()).isFalse();
              after(tc, 100, () -> {
                assertThat(granted).as("only the probe while it is in flight").containsExactly(0);
                assertThat(gate.waiting()).isEqualTo(4);
                gate.release(CallKind.SUCCESS);
                assertThat(gate.breakerState()).isEqualTo(BreakerState.CLOSED);
                assertThat(granted).containsExactly(0, 1, 2, 3, 4);
                tc.completeNow();
              });
            });
          }
        }).onFailure(tc::failNow); // waiting, never failing
      }
      after(tc, 40, () -> {
        assertThat(granted).as("nothing passes an open breaker").isEmpty();
        assertThat(gate.waiting()).isEqualTo(5);
        assertThat(gate.breakerState()).isEqualTo(BreakerState.OPEN);
      });
    });
  }

  @Test
  void aFailedProbeReopensTheBreakerAndTheNextProbeWaitsAgain(VertxTestContext tc) {
    long openMs = 100;
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 3, openMs);
    List<Integer> granted = new ArrayList<>();
    long[] reopenedAt = new long[1];
    onContext(tc, () -> {
      tripBreaker(gate, 3);
      for (int i = 0; i < 4; i++) {
        int n = i;
        gate.acquire().onSuccess(v -> {
          granted.add(n);
          tc.verify(() -> {
            if (n == 0) {
              assertThat(gate.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
              gate.release(CallKind.RETRYABLE);
              reopenedAt[0] = System.nanoTime();
              assertThat(gate.breakerState()).isEqualTo(BreakerState.OPEN);
              assertThat(granted).containsExactly(0);
              assertThat(gate.waiting()).isEqualTo(3);
            } else if (n == 1) {
              assertThat((System.nanoTime() - reopenedAt[0]) / MS).as("second probe waited for the open period")
                  .isGreaterThanOrEqualTo(openMs - 5);
              assertThat(gate.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
              assertThat(granted).containsExactly(0, 1);
              gate.release(CallKind.SUCCESS); // the rest are granted once this grant handler returns
              assertThat(gate.breakerState()).isEqualTo(BreakerState.CLOSED);
            } else if (n == 3) {
              assertThat(granted).containsExactly(0, 1, 2, 3);
              assertThat(gate.breakerState()).isEqualTo(BreakerState.CLOSED);
              tc.completeNow();
            }
          });
        }).onFailure(tc::failNow);
      }
    });
  }

  // ---- shutdown -----------------------------------------------------------------------------------

  @Test
  void closeFailsEveryWaiterAndLaterAcquireWithShuttingDownButLeavesGrantedPermits(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 1, UNLIMITED, 100, 1_000);
    List<Throwable> failures = new ArrayList<>();
    onContext(tc, () -> {
      boolean[] firstGranted = new boolean[1];
      gate.acquire().onSuccess(v -> firstGranted[0] = true).onFailure(tc::failNow);
      for (int i = 0; i < 3; i++) {
        gate.acquire().onSuccess(v -> tc.failNow("granted after close")).onFailure(failures::add);
      }
      assertThat(firstGranted[0]).isTrue();
      assertThat(failures).isEmpty();

      gate.close("shutting down");
      assertThat(failures).hasSize(3).allSatisfy(t -> assertThat(t).isInstanceOf(CyclrException.ShuttingDown.class));
      assertThat(gate.waiting()).isZero();

      gate.acquire().onSuccess(v -> tc.failNow("granted after close")).onFailure(failures::add);
      assertThat(failures).hasSize(4).last().isInstanceOf(CyclrException.ShuttingDown.class);

      gate.release(CallKind.SUCCESS); // the permit granted before close finishes normally
      assertThat(gate.inFlight()).isZero();
      tc.completeNow();
    });
  }

  @Test
  void closeWhileTheBreakerIsOpenFailsWaitersAndNothingIsGrantedLater(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 1, 30);
    List<Throwable> failures = new ArrayList<>();
    onContext(tc, () -> {
      tripBreaker(gate, 1);
      for (int i = 0; i < 2; i++) {
        gate.acquire().onSuccess(v -> tc.failNow("granted after close")).onFailure(failures::add);
      }
      gate.close("bye");
      assertThat(failures).hasSize(2).allSatisfy(t -> assertThat(t).isInstanceOf(CyclrException.ShuttingDown.class));
      after(tc, 100, tc::completeNow);
    });
  }

  // ---- rate changes at run time (the cluster's share) -----------------------------------------------

  @Test
  void aLowerRateAtRunTimeKeepsTheSlidingWindowAndARaisedOneSpeedsUpAgain(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 1_000, 200, 100, 1_000);
    List<Long> fast = new ArrayList<>();
    List<Long> slow = new ArrayList<>();
    List<Long> raised = new ArrayList<>();
    onContext(tc, () -> {
      // 20 grants at 200/s, then the share drops to 20/s (window cap 20 per 1.02 s) for 25 more, then back up.
      for (int i = 0; i < 20; i++) {
        gate.acquire().onSuccess(v -> {
          fast.add(System.nanoTime());
          gate.release(CallKind.SUCCESS);
          if (fast.size() < 20) {
            return;
          }
          gate.setRatePerSecond(20);
          assertThat(gate.ratePerSecond()).isEqualTo(20);
          assertThat(gate.currentRate()).isCloseTo(19.6, within(1e-9));
          long changedAt = System.nanoTime();
          for (int j = 0; j < 25; j++) {
            gate.acquire().onSuccess(w -> {
              slow.add(System.nanoTime());
              gate.release(CallKind.SUCCESS);
              if (slow.size() < 25) {
                return;
              }
              tc.verify(() -> {
                assertThat(maxGrantsInAnyWindow(slow, 1_000 * MS)).as("grants in any 1 s after the change")
                    .isLessThanOrEqualTo(20);
                List<Long> lastSecond = new ArrayList<>(fast);
                lastSecond.addAll(slow);
                assertThat(maxGrantsInAnyWindow(lastSecond, 1_000 * MS))
                    .as("the window remembers the grants before the change").isLessThanOrEqualTo(20);
                assertThat((slow.get(24) - changedAt) / MS).as("25 grants at 19.6/s").isGreaterThanOrEqualTo(1_000);
                gate.setRatePerSecond(200);
                long raisedAt = System.nanoTime();
                for (int k = 0; k < 20; k++) {
                  gate.acquire().onSuccess(x -> {
                    raised.add(System.nanoTime());
                    gate.release(CallKind.SUCCESS);
                    if (raised.size() == 20) {
                      tc.verify(() -> {
                        assertThat((raised.get(19) - raisedAt) / MS).as("20 grants at 190/s").isLessThan(1_500);
                        tc.completeNow();
                      });
                    }
                  }).onFailure(tc::failNow);
                }
              });
            }).onFailure(tc::failNow);
          }
        }).onFailure(tc::failNow);
      }
    });
  }

  @Test
  void aRateSlowedByA429StaysSlowedInProportionWhenTheShareChanges(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 100, 100, 1_000);
    onContext(tc, () -> {
      gate.rateLimited(Duration.ofMillis(50));
      assertThat(gate.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
      gate.setRatePerSecond(50);
      assertThat(gate.currentRate()).isCloseTo(49 * 0.9, within(1e-9));
      gate.setRatePerSecond(100);
      assertThat(gate.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
      gate.setRatePerSecond(0);
      assertThat(gate.currentRate()).as("unlimited now, still slowed down until it recovers")
          .isCloseTo(98 * 0.9, within(1e-9));
      tc.completeNow();
    });
  }

  @Test
  void a429SoonAfterAnotherHalvesTheRate(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 100, 100, 1_000);
    onContext(tc, () -> {
      gate.rateLimited(Duration.ofMillis(1));
      double afterFirst = gate.currentRate();
      assertThat(afterFirst).isCloseTo(98 * 0.9, within(1e-9));
      vertx.setTimer(520, t -> tc.verify(() -> {
        gate.rateLimited(Duration.ofMillis(1));
        assertThat(gate.currentRate()).as("Cyclr's limit is really lower").isCloseTo(afterFirst * 0.5, within(1e-9));
        tc.completeNow();
      }));
    });
  }

  @Test
  void aShareBelowTwoPerSecondIsSlowedBelowTheUsualFloorOnA429(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 1, 100, 1_000);
    onContext(tc, () -> {
      gate.rateLimited(Duration.ofMillis(50));
      assertThat(gate.currentRate()).as("never above the share").isCloseTo(0.9, within(1e-9));
      tc.completeNow();
    });
  }

  @Test
  void a429FromAnotherNodePausesAndSlowsThisGateWithoutBeingPassedOn(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 10, 100, 100, 1_000);
    List<Duration> told = new ArrayList<>();
    onContext(tc, () -> {
      gate.onRateLimited(told::add);
      long pausedAt = System.nanoTime();
      gate.pauseForPeer(Duration.ofMillis(300));
      assertThat(told).as("a peer's 429 is not published again").isEmpty();
      assertThat(gate.currentRate()).isCloseTo(98 * 0.9, within(1e-9));
      assertThat(gate.pausedForMillis()).isBetween(1L, 300L);
      gate.acquire().onSuccess(v -> tc.verify(() -> {
        assertThat((System.nanoTime() - pausedAt) / MS).isGreaterThanOrEqualTo(295);
        gate.release(CallKind.SUCCESS);
        gate.rateLimited(Duration.ofMillis(10));
        assertThat(told).as("a 429 seen here is told").containsExactly(Duration.ofMillis(10));
        tc.completeNow();
      })).onFailure(tc::failNow);
    });
  }

  // ---- outages and cancellation ------------------------------------------------------------------------

  @Test
  void theOutageStartsWhenTheBreakerOpensAndEndsWhenAProbeSucceeds(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 2, 50);
    onContext(tc, () -> {
      assertThat(gate.outageSinceMillis()).isEqualTo(-1);
      long before = System.currentTimeMillis();
      tripBreaker(gate, 2);
      assertThat(gate.outageSinceMillis()).isBetween(before, System.currentTimeMillis());
      assertThat(gate.outageNanos(System.nanoTime())).isPositive();
      gate.acquire().onSuccess(v -> tc.verify(() -> {
        assertThat(gate.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
        assertThat(gate.outageSinceMillis()).as("still out while probing").isNotEqualTo(-1);
        gate.release(CallKind.SUCCESS);
        assertThat(gate.outageSinceMillis()).isEqualTo(-1);
        assertThat(gate.outageNanos(System.nanoTime())).isZero();
        tc.completeNow();
      })).onFailure(tc::failNow);
    });
  }

  @Test
  void pastTheOutageBudgetWaitingCallsFailFastWhileProbesGoOnTestingCyclr(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 1, 300, 100);
    List<Throwable> failures = new ArrayList<>();
    onContext(tc, () -> {
      long openedAt = tripBreaker(gate, 1);
      for (int i = 0; i < 3; i++) {
        gate.acquire().onSuccess(v -> tc.failNow("granted while open")).onFailure(failures::add);
      }
      after(tc, 200, () -> {
        assertThat(failures).as("failed once the outage passed its 100 ms budget, before the next probe")
            .hasSize(3).allSatisfy(t -> assertThat(t).isInstanceOfSatisfying(CyclrException.class,
                e -> assertThat(e.code()).isEqualTo("CYCLR_UNAVAILABLE")));
        gate.acquire().onSuccess(v -> tc.failNow("granted while open")).onFailure(failures::add);
        assertThat(failures).as("a new call fails at once").hasSize(4);
        after(tc, 150, () -> {
          assertThat((System.nanoTime() - openedAt) / MS).isGreaterThanOrEqualTo(300);
          gate.acquire().onSuccess(v -> tc.verify(() -> {
            assertThat(gate.breakerState()).as("the open period is over: a probe").isEqualTo(BreakerState.HALF_OPEN);
            gate.release(CallKind.SUCCESS);
            gate.acquire().onSuccess(w -> tc.completeNow()).onFailure(tc::failNow);
          })).onFailure(tc::failNow);
        });
      });
    });
  }

  @Test
  void abandonWaitingFailsOnlyTheCallsOfAbandonedOwnersAndGrantsAreReported(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 1, UNLIMITED, 100, 1_000);
    List<Object> granted = new ArrayList<>();
    List<String> cancelledOwners = new ArrayList<>();
    List<String> outcomes = new ArrayList<>();
    onContext(tc, () -> {
      gate.watchOwners(cancelledOwners::contains, granted::add);
      gate.acquire("a").onFailure(tc::failNow); // holds the only permit
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
      tc.completeNow();
    });
  }

  @Test
  void failuresUseUpAttemptsOnlyWhenCyclrAnsweredAnotherCallInBetween(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 1_000, 1_000, 60_000);
    onContext(tc, () -> {
      OutageClock clock = new OutageClock(gate);
      assertThat(clock.failed()).as("nobody got an answer: Cyclr is down").isEqualTo(OutageClock.Verdict.WAIT);
      assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
      gate.acquire();
      gate.release(CallKind.SUCCESS); // another call got an answer
      assertThat(clock.failed()).as("Cyclr answers others: the trouble is this call's")
          .isEqualTo(OutageClock.Verdict.COUNT);
      assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
      gate.acquire();
      gate.release(CallKind.FATAL); // a 4xx is an answer too
      assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.COUNT);
      tc.completeNow();
    });
  }

  @Test
  void aCallThatOnlyEverFailsGivesUpAfterTheOutageBudget(VertxTestContext tc) {
    RequestGate gate = new RequestGate(vertx, 100, UNLIMITED, 1_000, 1_000, 100);
    onContext(tc, () -> {
      OutageClock clock = new OutageClock(gate);
      assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.WAIT);
      after(tc, 150, () -> {
        assertThat(clock.failed()).isEqualTo(OutageClock.Verdict.GIVE_UP);
        assertThat(clock.waitedSeconds()).isZero();
        OutageClock unbounded = new OutageClock(new RequestGate(vertx, 100, UNLIMITED, 1_000, 1_000, 0));
        assertThat(unbounded.failed()).as("maxOutageMs 0: wait for ever").isEqualTo(OutageClock.Verdict.WAIT);
        tc.completeNow();
      });
    });
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** Sends {@code n} calls that all fail retryably; returns when the breaker opened. */
  private static long tripBreaker(RequestGate gate, int n) {
    for (int i = 0; i < n; i++) {
      gate.acquire();
    }
    assertThat(gate.inFlight()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      gate.release(CallKind.RETRYABLE);
    }
    long openedAt = System.nanoTime();
    assertThat(gate.breakerState()).isEqualTo(BreakerState.OPEN);
    return openedAt;
  }

  private static int maxGrantsInAnyWindow(List<Long> times, long windowNanos) {
    int max = 0;
    for (int i = 0; i < times.size(); i++) {
      int count = 0;
      for (int j = i; j < times.size() && times.get(j) - times.get(i) <= windowNanos; j++) {
        count++;
      }
      max = Math.max(max, count);
    }
    return max;
  }

  private static List<Integer> range(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }
}
