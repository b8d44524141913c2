package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queue of waiting calls alone: first come first served, and a cancelled owner's calls fail unsent. */
class WaitQueueTest {
  @Test
  void handsOutWaitersInArrivalOrder() {
    WaitQueue queue = new WaitQueue();
    List<String> granted = new ArrayList<>();
    for (String owner : List.of("a", "b", "c")) {
      queue.add(owner).onSuccess(v -> granted.add(owner));
    }
    assertThat(queue.size()).isEqualTo(3);
    while (!queue.isEmpty()) {
      queue.poll().promise().complete();
    }
    assertThat(granted).containsExactly("a", "b", "c");
    assertThat(queue.poll()).isNull();
  }

  @Test
  void callsInTheLaneAheadAreServedFirstEachLaneInArrivalOrder() {
    WaitQueue queue = new WaitQueue();
    List<String> granted = new ArrayList<>();
    queue.add("a").onSuccess(v -> granted.add("a"));
    queue.add("read-1", true).onSuccess(v -> granted.add("read-1"));
    queue.add("b").onSuccess(v -> granted.add("b"));
    queue.add("read-2", true).onSuccess(v -> granted.add("read-2"));
    queue.abandonWhen("read-2"::equals);
    assertThat(queue.abandon()).isEqualTo(1);
    assertThat(queue.size()).isEqualTo(3);
    while (!queue.isEmpty()) {
      queue.poll().promise().complete();
    }
    assertThat(granted).containsExactly("read-1", "a", "b");
  }

  @Test
  void abandonFailsOnlyTheCallsOfAbandonedOwnersAndKeepsTheOthersInOrder() {
    WaitQueue queue = new WaitQueue();
    List<String> cancelledOwners = new ArrayList<>();
    List<String> outcomes = new ArrayList<>();
    queue.abandonWhen(cancelledOwners::contains);
    for (String owner : List.of("b", "c", "b", "d")) {
      queue.add(owner).onSuccess(v -> outcomes.add(owner + " granted"))
          .onFailure(t -> outcomes.add(owner + " " + t.getClass().getSimpleName()));
    }
    queue.add(null).onSuccess(v -> outcomes.add("no owner granted"));
    assertThat(queue.abandon()).as("nobody cancelled yet").isZero();
    cancelledOwners.add("b");
    assertThat(queue.isAbandoned("b")).isTrue();
    assertThat(queue.isAbandoned(null)).as("a call without an owner is never abandoned").isFalse();
    assertThat(queue.abandon()).isEqualTo(2);
    assertThat(outcomes).containsExactly("b CallCancelled", "b CallCancelled");
    while (!queue.isEmpty()) {
      queue.poll().promise().complete();
    }
    assertThat(outcomes).containsExactly("b CallCancelled", "b CallCancelled", "c granted", "d granted",
        "no owner granted");
  }

  @Test
  void failAllFailsEveryWaiterWithItsOwnFailure() {
    WaitQueue queue = new WaitQueue();
    List<Throwable> failures = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      queue.add(i).onFailure(failures::add);
    }
    queue.failAll(CyclrException.ShuttingDown::new);
    assertThat(queue.isEmpty()).isTrue();
    assertThat(failures).hasSize(3).doesNotHaveDuplicates()
        .allSatisfy(t -> assertThat(t).isInstanceOf(CyclrException.ShuttingDown.class));
  }
}
