package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Credential health on a virtual clock: its pump, the check store in memory, and a gateway the test answers. A day
 * of checks runs here in milliseconds; {@code CredentialHealthTest} covers the same checks end to end against the
 * emulator and the real stores.
 */
class CredentialHealthPumpTest {
  private static final long LEASE_MS = 30_000;
  private static final long HOUR = 3_600_000;

  private final VirtualClock clock = new VirtualClock();
  private final InMemoryCredentialChecks store = new InMemoryCredentialChecks(clock);
  private final NodeLifecycle node = new NodeLifecycle(clock, LEASE_MS, err -> false);
  /** Accounts whose sign-in Cyclr has lost, and whose account connector is gone. */
  private final Set<String> revoked = new HashSet<>();
  private final Set<String> deleted = new HashSet<>();
  private final List<Long> askedAt = new ArrayList<>();
  private final List<CredentialChecks.Lost> lost = store.lost;
  private boolean cyclrDown;

  private final Function<SignInRequest, Future<SignInReply>> gateway = ask -> {
    assertThat(ask.op()).isEqualTo(SignInOp.HEALTH);
    askedAt.add(clock.nowMs());
    if (cyclrDown) {
      return Future.failedFuture("503: Cyclr is unavailable");
    }
    return Future.succeededFuture(new SignInReply(!deleted.contains(ask.account()), !revoked.contains(ask.account()),
        null, null));
  };

  private LeasePump<CredentialChecks.Due, HealthQueue.Found> health(long intervalMs, double perSecond) {
    node.start(Future::succeededFuture);
    LeasePump<CredentialChecks.Due, HealthQueue.Found> pump = new CredentialHealth(store, null, node, true, intervalMs,
        perSecond, 2, LEASE_MS).pump(clock, gateway);
    pump.start();
    return pump;
  }

  private void signIn(int n) {
    for (long id = 1; id <= n; id++) {
      store.signIn(id);
    }
  }

  @Test
  void checksAreSpreadOverTheIntervalAndEachItemIsCheckedOncePerInterval() {
    int n = 240;
    signIn(n);
    long interval = 6 * HOUR;
    long slice = interval / 24;
    health(interval, 1);
    int[] perSlice = new int[24];
    for (int h = 0; h < 24; h++) {
      int before = askedAt.size();
      clock.advance(slice);
      perSlice[h] = askedAt.size() - before;
    }
    // 240 an interval is 10 a 24th of it: never a burst of everyone at once.
    for (int h = 0; h < 24; h++) {
      assertThat(perSlice[h]).as("checks in slice %s", h).isBetween(6, 14);
    }
    clock.advance(interval + 60_000);
    // Each item first within the interval, then once every interval (give or take its place in the pace).
    assertThat(store.items.values()).allSatisfy(i -> {
      assertThat(i.checkedAt.get(0)).isLessThan(interval + 60_000);
      for (int k = 1; k < i.checkedAt.size(); k++) {
        assertThat(i.checkedAt.get(k) - i.checkedAt.get(k - 1)).as("one interval apart")
            .isBetween(interval, interval + 60_000);
      }
      assertThat(i.checkedAt).hasSizeBetween(2, 3);
    });
    assertThat(lost).isEmpty();
  }

  @Test
  void checksStayWithinTheirShareOfTheRateLimit() {
    signIn(100);
    health(1, 2); // everything due at once, at most 2 checks a second
    clock.advance(10_000);
    assertThat(askedAt.size()).isBetween(19, 21);
    for (int k = 1; k < askedAt.size(); k++) {
      assertThat(askedAt.get(k) - askedAt.get(k - 1)).as("gap before check %s", k).isGreaterThanOrEqualTo(500);
    }
  }

  @Test
  void aLostSignInIsRecordedOnceAndNotCheckedAgainUntilTheTenantSignsIn() {
    signIn(3);
    revoked.add("acct-2");
    health(HOUR, 5);
    clock.advance(HOUR);
    assertThat(lost).extracting(CredentialChecks.Lost::itemId).containsExactly(2L);
    assertThat(store.items.get(2L).status).isEqualTo("REAUTH_REQUIRED");
    int asked = askedAt.size();
    clock.advance(3 * HOUR);
    assertThat(askedAt.size() - asked).as("the two others, three times each").isEqualTo(6);
    // Signed in again (the sign-in watch): checked again from the next sweep on.
    revoked.clear();
    store.signIn(2);
    clock.advance(2 * HOUR);
    assertThat(store.items.get(2L).checkedAt).isNotEmpty();
    assertThat(lost).hasSize(1);
  }

  @Test
  void anInstallGoneAtCyclrIsNotALostSignInAndIsNoLongerChecked() {
    signIn(2);
    deleted.add("acct-1");
    health(HOUR, 5);
    clock.advance(3 * HOUR);
    assertThat(lost).isEmpty();
    assertThat(store.items.get(1L).gone).isTrue();
    assertThat(store.items.get(1L).status).isEqualTo("AUTHENTICATED");
    assertThat(askedAt).as("acct-1 once, acct-2 three times").hasSize(4);
  }

  @Test
  void anOutagePausesTheChecksAndMarksNobodyLost() {
    int n = 50;
    signIn(n);
    cyclrDown = true;
    health(10_000, 5); // everything due within 10 s
    clock.advance(5_000);
    assertThat(askedAt).as("a pause after %s failures in a row", HealthBreaker.THRESHOLD)
        .hasSize(HealthBreaker.THRESHOLD);
    clock.advance(HealthBreaker.FIRST_PAUSE_MS - 5_000);
    assertThat(askedAt).as("nothing during the pause").hasSize(HealthBreaker.THRESHOLD);
    clock.advance(10_000);
    assertThat(askedAt).as("then a few more, and a longer pause").hasSize(2 * HealthBreaker.THRESHOLD);
    clock.advance(2 * HealthBreaker.FIRST_PAUSE_MS - 10_000);
    assertThat(askedAt).hasSize(2 * HealthBreaker.THRESHOLD);
    assertThat(lost).as("an outage is not a lost sign-in").isEmpty();
    assertThat(store.items.values()).allSatisfy(i -> assertThat(i.status).isEqualTo("AUTHENTICATED"));

    // Cyclr is back: every item is checked (failed ones after their retry), and all are fine.
    cyclrDown = false;
    for (long waited = 0; waited < 4 * HealthBreaker.FIRST_PAUSE_MS + 20_000
        && store.items.values().stream().anyMatch(i -> i.checkedAt.isEmpty()); waited += 1_000) {
      clock.advance(1_000);
    }
    assertThat(store.items.values()).allSatisfy(i -> assertThat(i.checkedAt).isNotEmpty());
    assertThat(lost).isEmpty();
  }
}
