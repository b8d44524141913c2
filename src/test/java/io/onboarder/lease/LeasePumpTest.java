package io.onboarder.lease;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.lease.InMemoryLeaseQueue.Done;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The lease pump driven step by step: an in-memory queue, a sender whose answers the test gives, and a
 * virtual clock. No Vert.x, no wall time.
 */
class LeasePumpTest {
  private static final long LEASE_MS = 30_000;

  private final VirtualClock clock = new VirtualClock();
  private final FakeSender sender = new FakeSender();
  private final List<Throwable> storeErrors = new ArrayList<>();
  private final List<List<Done>> lost = new ArrayList<>();
  private boolean mayClaim = true;
  private int maxSeenInFlight;

  /** Holds every send until the test answers it; remembers the order units were sent in. */
  private final class FakeSender implements LeasePump.Sender<Integer, Done> {
    final Map<Integer, Promise<Done>> waiting = new LinkedHashMap<>();
    final List<Integer> sent = new ArrayList<>();

    @Override
    public Future<Done> send(Integer unit) {
      sent.add(unit);
      Promise<Done> p = Promise.promise();
      waiting.put(unit, p);
      maxSeenInFlight = Math.max(maxSeenInFlight, waiting.size());
      return p.future();
    }

    @Override
    public Done failed(Integer unit, Throwable cause) {
      return new Done(unit, "handed back: " + cause.getMessage());
    }

    void answer(int unit) {
      waiting.remove(unit).complete(new Done(unit, "ok"));
    }

    void answerAll() {
      new ArrayList<>(waiting.keySet()).forEach(this::answer);
    }
  }

  private LeasePump<Integer, Done> pump(InMemoryLeaseQueue queue, LeasePump.Options options) {
    return new LeasePump<>("unit", clock, queue, sender, options, () -> mayClaim,
        new LeasePump.Listener<>() {
          @Override
          public void recorded(List<Done> batch, List<Done> applied) {
            if (applied.size() < batch.size()) {
              lost.add(batch.stream().filter(d -> !applied.contains(d)).toList());
            }
          }

          @Override
          public void storeFailed(Throwable cause) {
            storeErrors.add(cause);
          }
        });
  }

  private static LeasePump.Options options(int maxInFlight, int claimFloor, int flushAt) {
    return new LeasePump.Options(maxInFlight, claimFloor, 256, flushAt, 10, 1_000, 500);
  }

  @Test
  void sendsInClaimOrderAndRecordsOutcomesInTheOrderTheyEnded() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 3);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    assertThat(sender.sent).containsExactly(1, 2, 3);
    sender.answer(3);
    sender.answer(1);
    sender.answer(2);
    assertThat(queue.recorded).isEmpty(); // batched: not one write per outcome
    clock.advance(10);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(3, 1, 2);
    assertThat(queue.recordCalls).isEqualTo(1);
  }

  @Test
  void neverHasMoreThanMaxInFlightAndClaimsOnlyWhileThereIsRoom() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 200);
    LeasePump<Integer, Done> pump = pump(queue, options(6, 1, 4));
    pump.start();
    Random random = new Random(42);
    while (!sender.waiting.isEmpty()) {
      assertThat(pump.inFlight()).isLessThanOrEqualTo(6);
      List<Integer> now = new ArrayList<>(sender.waiting.keySet());
      sender.answer(now.get(random.nextInt(now.size())));
      clock.advance(random.nextInt(15));
    }
    clock.advance(10);
    assertThat(maxSeenInFlight).isEqualTo(6);
    assertThat(queue.recorded).extracting(Done::id).containsExactlyInAnyOrderElementsOf(
        IntStream.rangeClosed(1, 200).boxed().toList());
    assertThat(queue.open).isEmpty();
  }

  @Test
  void claimsInBatchesOnceTheFloorIsFree() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 100);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 4, 64));
    pump.start();
    assertThat(queue.claimSizes).containsExactly(8);
    sender.answer(1);
    sender.answer(2);
    sender.answer(3);
    assertThat(queue.claimSizes).as("three free of eight: wait for a fourth").hasSize(1);
    sender.answer(4);
    assertThat(queue.claimSizes).containsExactly(8, 4);
    assertThat(pump.inFlight()).isEqualTo(8);
  }

  @Test
  void unwrittenOutcomesCountAgainstTheRoomSoAStalledStoreStopsClaims() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 100);
    LeasePump<Integer, Done> pump = pump(queue, options(4, 1, 1_000));
    pump.start();
    queue.writesFail = true;
    for (int round = 0; round < 3; round++) {
      sender.answerAll();
      clock.advance(10); // the write fails: outcomes stay in the buffer
    }
    assertThat(pump.unrecorded()).isEqualTo(8);
    assertThat(pump.inFlight()).isZero();
    int claims = queue.claimSizes.size();
    clock.advance(2_000);
    assertThat(queue.claimSizes).as("no claims while twice the window is unwritten").hasSize(claims);
    queue.writesFail = false;
    clock.advance(500);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(pump.inFlight()).isEqualTo(4);
  }

  @Test
  void writesABatchAtOnceWhenFullElseAfterTheDelay() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 5);
    pump(queue, options(8, 1, 3)).start();
    sender.answer(1);
    sender.answer(2);
    assertThat(queue.recordCalls).isZero();
    sender.answer(3);
    assertThat(queue.recordCalls).isEqualTo(1);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1, 2, 3);
    sender.answer(4);
    clock.advance(9);
    assertThat(queue.recordCalls).isEqualTo(1);
    clock.advance(1);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1, 2, 3, 4);
  }

  @Test
  void anOutcomeWhoseLeaseWasTakenOverIsRefusedAndTheOtherNodeKeepsTheUnit() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 2);
    pump(queue, options(8, 1, 64)).start();
    queue.leaseTo("other", 2); // this node was cut off long enough for "other" to take unit 2 over
    sender.answerAll();
    clock.advance(10);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1);
    assertThat(lost).containsExactly(List.of(new Done(2, "ok")));
    assertThat(queue.holder(2)).isEqualTo("other");
  }

  @Test
  void aFailedSendIsRecordedAsTheSendersFailureOutcome() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 1);
    pump(queue, options(8, 1, 1)).start();
    sender.waiting.remove(1).fail("no handler");
    assertThat(queue.recorded).containsExactly(new Done(1, "handed back: no handler"));
  }

  @Test
  void storeErrorsBackOffAndRetryWithNothingLost() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 4);
    queue.down = true;
    LeasePump<Integer, Done> pump = pump(queue, options(2, 1, 64));
    pump.start();
    assertThat(queue.claimSizes).hasSize(1);
    clock.advance(499);
    assertThat(queue.claimSizes).as("backs off").hasSize(1);
    clock.advance(1);
    assertThat(queue.claimSizes).as("tries again").hasSize(2);
    queue.down = false;
    clock.advance(500);
    assertThat(sender.sent).containsExactly(1, 2);
    queue.down = true;
    sender.answerAll();
    clock.advance(10);
    clock.advance(1_000);
    assertThat(queue.recorded).isEmpty();
    assertThat(storeErrors).hasSizeGreaterThan(4);
    queue.down = false;
    clock.advance(500);
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1, 2);
    assertThat(sender.sent).containsExactly(1, 2, 3, 4);
  }

  @Test
  void idlesAfterAShortClaimUntilAWakeOrTheIdleTimer() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 1);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    sender.answerAll();
    clock.advance(10);
    assertThat(queue.claimSizes).as("a short claim, then no claim per finished unit").hasSize(1);
    queue.add(7);
    pump.wake();
    assertThat(sender.sent).containsExactly(1, 7);
    queue.add(8);
    clock.advance(999);
    assertThat(sender.sent).containsExactly(1, 7);
    clock.advance(1);
    assertThat(sender.sent).containsExactly(1, 7, 8);
    queue.nextDue = 40L; // the queue knows when its next unit is due
    queue.add(9);
    pump.wake();
    queue.add(10);
    clock.advance(40);
    assertThat(sender.sent).containsExactly(1, 7, 8, 9, 10);
  }

  @Test
  void claimsNothingWhileTheGateIsShutAndResumesOnAWake() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 3);
    mayClaim = false;
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    clock.advance(5_000);
    assertThat(queue.claimSizes).isEmpty();
    mayClaim = true;
    pump.wake();
    assertThat(sender.sent).containsExactly(1, 2, 3);
  }

  @Test
  void takesOverExpiredLeasesAndSendsThoseUnits() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 0);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    queue.add(5);
    queue.leaseTo("dead", 5);
    assertThat(pump.takeOver().result()).isZero();
    clock.advance(LEASE_MS);
    assertThat(pump.takeOver().result()).isEqualTo(1);
    assertThat(sender.sent).containsExactly(5);
    assertThat(queue.holder(5)).isEqualTo(InMemoryLeaseQueue.ME);
  }

  @Test
  void renewingKeepsOwnLeasesFromBeingTakenOver() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 1);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    clock.advance(LEASE_MS - 1);
    pump.renew();
    clock.advance(LEASE_MS - 1);
    assertThat(pump.takeOver().result()).isZero();
    assertThat(queue.holder(1)).isEqualTo(InMemoryLeaseQueue.ME);
  }

  @Test
  void drainWaitsForUnitsInFlightAndHandsBackClaimsThatLandedMeanwhile() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 10);
    LeasePump<Integer, Done> pump = pump(queue, options(2, 1, 64));
    pump.start();
    queue.holdClaims = true;
    sender.answer(1); // room for one: a claim goes out and is not answered yet
    assertThat(queue.heldClaims).hasSize(1);
    Future<Integer> drained = pump.drain(30_000);
    queue.heldClaims.get(0).complete(); // unit 3 arrives after the drain began: never sent
    assertThat(sender.sent).containsExactly(1, 2);
    clock.advance(1_000);
    assertThat(drained.isComplete()).as("unit 2 is still at work").isFalse();
    sender.answer(2);
    assertThat(drained.result()).isZero();
    assertThat(queue.recorded).extracting(Done::id).containsExactly(1, 2);
    assertThat(queue.released).containsExactly(3);
    assertThat(queue.holder(3)).isNull();
    assertThat(clock.pending()).as("no timer left behind").isZero();
    int claims = queue.claimSizes.size();
    pump.wake();
    clock.advance(10_000);
    assertThat(queue.claimSizes).hasSize(claims);
  }

  @Test
  void drainGivesUpOnUnitsStillInFlightAfterTheGracePeriod() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 2);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    sender.answer(1);
    Future<Integer> drained = pump.drain(3_000);
    assertThat(queue.recorded).as("written at once while draining").extracting(Done::id).containsExactly(1);
    clock.advance(2_999);
    assertThat(drained.isComplete()).isFalse();
    clock.advance(1);
    assertThat(drained.result()).isEqualTo(1);
    sender.answer(2); // too late: the store may be closed; its lease lapses instead
    assertThat(queue.recordCalls).isEqualTo(1);
    assertThat(queue.holder(2)).isEqualTo(InMemoryLeaseQueue.ME);
  }

  @Test
  void drainKeepsTryingToWriteWhileTheStoreIsDownThenGivesUp() {
    InMemoryLeaseQueue queue = new InMemoryLeaseQueue(clock, LEASE_MS, 2);
    LeasePump<Integer, Done> pump = pump(queue, options(8, 1, 64));
    pump.start();
    queue.down = true;
    sender.answerAll();
    Future<Integer> drained = pump.drain(1_000);
    clock.advance(1_000 + LeasePump.FLUSH_GRACE_MS - 1);
    assertThat(drained.isComplete()).isFalse();
    assertThat(queue.recordCalls).as("retried every 500 ms").isGreaterThan(10);
    clock.advance(500);
    assertThat(drained.result()).isZero();
    assertThat(clock.pending()).isZero();

    InMemoryLeaseQueue next = new InMemoryLeaseQueue(clock, LEASE_MS, 2);
    LeasePump<Integer, Done> again = pump(next, options(8, 1, 64));
    again.start();
    next.down = true;
    sender.answerAll();
    Future<Integer> done = again.drain(1_000);
    clock.advance(600);
    next.down = false;
    clock.advance(500);
    assertThat(done.result()).isZero();
    assertThat(next.recorded).extracting(Done::id).containsExactly(1, 2);
  }
}
