package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The sign-in campaigns on a virtual clock: their pump, the campaign steps in memory and a gateway the test
 * answers. Hours of reminders run here in milliseconds; the SQL rules are {@code CampaignsContractTest}'s, and
 * {@code SignInCampaignsTest} runs the whole thing end to end against the emulator.
 */
class SignInCampaignsPumpTest {
  private static final long LEASE_MS = 30_000;
  private static final long HOUR = 3_600_000;
  /** A step is claimed when due and written by the pump's next flush, 1 ms later on the virtual clock. */
  private static final long FLUSH = 1;
  /** Every link here exists before the pump starts, so it needs no idle looks (due times wake it). */
  private static final long IDLE_MS = HOUR;

  private final VirtualClock clock = new VirtualClock();
  /** When each test's links are issued: the virtual clock does not start at 0. */
  private final long t0 = clock.nowMs();
  private final SignInPolicy policy = new SignInPolicy(null, 168 * HOUR, 600_000, SignInPolicy.WATCH_MAX_MS);
  private final InMemoryWatches items = new InMemoryWatches(clock, policy);
  private final InMemoryCampaigns store = new InMemoryCampaigns(clock, items);
  private final NodeLifecycle node = new NodeLifecycle(clock, LEASE_MS, err -> false);
  private final Set<String> signedIn = new HashSet<>();
  private boolean cyclrDown;
  private int checks;

  private final Function<SignInRequest, Future<SignInReply>> gateway = check -> {
    checks++;
    return cyclrDown ? Future.failedFuture("Cyclr is unavailable")
        : Future.succeededFuture(new SignInReply(true, signedIn.contains(check.account()), null, null));
  };

  private LeasePump<Campaigns.Due, CampaignQueue.Taken> campaigns() {
    node.start(Future::succeededFuture);
    LeasePump<Campaigns.Due, CampaignQueue.Taken> pump = new SignInCampaigns(store, items, node, 4, LEASE_MS, IDLE_MS)
        .pump(clock, gateway);
    pump.start();
    return pump;
  }

  @Test
  void remindersGoOutAtTheirTimesAndTheLinkExpiresAtItsOwn() {
    // Minutes where production has hours (48 h, 120 h, 336 h): the node's own timers make every hour cost.
    long m = 60_000;
    InMemoryCampaigns.Link l = store.issue(1, List.of(48 * m, 120 * m), 336 * m);
    campaigns();
    clock.advance(48 * m - 1);
    assertThat(l.remindedAt).isEmpty();
    clock.advance(1 + FLUSH);
    assertThat(l.remindedAt).as("at 48 min sharp").containsExactly(t0 + 48 * m + FLUSH);
    clock.advance(120 * m - 48 * m);
    assertThat(l.remindedAt).containsExactly(t0 + 48 * m + FLUSH, t0 + 120 * m + FLUSH);
    assertThat(checks).as("a reminder asks Cyclr nothing").isZero();
    clock.advance(336 * m - 120 * m - FLUSH - 1);
    assertThat(l.expired).isFalse();
    clock.advance(1 + FLUSH);
    assertThat(l.expired).isTrue();
    assertThat(items.watches.get(1L).status).isEqualTo("SIGN_IN_EXPIRED");
    assertThat(checks).as("one look at Cyclr before expiring").isEqualTo(1);
    clock.advance(10 * HOUR);
    assertThat(l.remindedAt).hasSize(2);
    assertThat(store.nextDueInMs().result()).isNull();
  }

  @Test
  void twoNodesOnOneStoreSendEachReminderOnce() {
    for (long id = 1; id <= 50; id++) {
      store.issue(id, List.of(HOUR + id * 1_000, 2 * HOUR), 3 * HOUR);
    }
    campaigns();
    NodeLifecycle other = new NodeLifecycle(clock, LEASE_MS, err -> false);
    other.start(Future::succeededFuture);
    new SignInCampaigns(store, items, other, 4, LEASE_MS, IDLE_MS).pump(clock, gateway).start();
    clock.advance(3 * HOUR + FLUSH);
    assertThat(store.links.values()).allSatisfy(l -> {
      assertThat(l.remindedAt).hasSize(2);
      // (a full batch is written at once, without waiting for the flush timer)
      assertThat(l.remindedAt.get(0) - t0).isBetween(HOUR + l.itemId * 1_000, HOUR + l.itemId * 1_000 + FLUSH);
      assertThat(l.remindedAt.get(1) - t0).isBetween(2 * HOUR, 2 * HOUR + FLUSH);
      assertThat(l.expired).isTrue();
    });
    assertThat(checks).isEqualTo(50);
  }

  @Test
  void aTenantWhoSignedInGetsNoReminderAndOneFoundSignedInAtExpiryIsAuthenticated() {
    InMemoryCampaigns.Link early = store.issue(1, List.of(HOUR), 2 * HOUR);
    InMemoryCampaigns.Link late = store.issue(2, List.of(HOUR), 2 * HOUR);
    campaigns();
    items.markAuthenticated(1);
    clock.advance(HOUR + FLUSH);
    assertThat(early.remindedAt).isEmpty();
    assertThat(early.at).as("its campaign ended").isNull();
    assertThat(late.remindedAt).hasSize(1);
    signedIn.add("acct-2"); // the watch had not looked yet
    clock.advance(HOUR);
    assertThat(items.watches.get(2L).status).isEqualTo("AUTHENTICATED");
    assertThat(late.expired).isFalse();
  }

  @Test
  void anExpiryCyclrDoesNotAnswerIsTriedAgainAfterItsLease() {
    InMemoryCampaigns.Link l = store.issue(1, List.of(), HOUR);
    campaigns();
    cyclrDown = true;
    clock.advance(HOUR + FLUSH);
    assertThat(l.expired).isFalse();
    assertThat(checks).isEqualTo(1);
    clock.advance(LEASE_MS - 1 - FLUSH);
    assertThat(checks).as("not before the lease lapses").isEqualTo(1);
    cyclrDown = false;
    clock.advance(1 + FLUSH);
    assertThat(checks).isEqualTo(2);
    assertThat(l.expired).isTrue();
  }
}
