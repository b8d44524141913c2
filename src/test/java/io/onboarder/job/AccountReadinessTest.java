package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.job.AccountReadiness.Decision;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When an account goes on to its template, in one table; and how a sign-in watch backs off and ends. */
class AccountReadinessTest {

  private static ClaimedAccount account(boolean halted, boolean recovered, String... items) {
    List<ClaimedAccount.ItemState> states = Arrays.stream(items).map(s -> s.startsWith("CANCELLED:")
        ? new ClaimedAccount.ItemState("CANCELLED", s.substring("CANCELLED:".length()))
        : new ClaimedAccount.ItemState(s, null)).toList();
    return new ClaimedAccount(1, "job", "acct", AccountStatus.WAITING, AccountPhase.ITEMS, null, null, 1, recovered,
        halted, null, null, 0, states);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // items, dry run, halted, recovered → decision
        Arguments.of(new String[] {"INSTALLED", "ALREADY_INSTALLED"}, false, false, false, Decision.RUN),
        Arguments.of(new String[] {"INSTALLED", "OAUTH_PENDING"}, false, false, false, Decision.WAIT_SIGN_IN),
        Arguments.of(new String[] {"INSTALLED", "RUNNING"}, false, false, false, Decision.WAIT_ITEMS),
        Arguments.of(new String[] {"PENDING", "FAILED"}, false, false, false, Decision.WAIT_ITEMS),
        Arguments.of(new String[] {"INSTALLED", "FAILED"}, false, false, false, Decision.FAIL),
        Arguments.of(new String[] {"OAUTH_PENDING", "FAILED"}, false, false, false, Decision.FAIL),
        Arguments.of(new String[] {"INSTALLED", "CANCELLED:CANCELLED"}, false, false, false, Decision.HALT),
        Arguments.of(new String[] {"INSTALLED"}, false, true, false, Decision.HALT),
        Arguments.of(new String[] {"INSTALLED"}, false, true, true, Decision.CHECK_ONLY),
        // A dry run's "would install" and an unsigned OAuth connector still let a dry account step run.
        Arguments.of(new String[] {"CANCELLED:DRY_RUN", "ALREADY_INSTALLED"}, true, false, false, Decision.RUN),
        Arguments.of(new String[] {"OAUTH_PENDING"}, true, false, false, Decision.RUN),
        Arguments.of(new String[] {"CANCELLED:DRY_RUN", "FAILED"}, true, false, false, Decision.FAIL),
        // A sign-in that expired is as final as a failure: the account does not get the template.
        Arguments.of(new String[] {"INSTALLED", "SIGN_IN_EXPIRED"}, false, false, false, Decision.FAIL),
        Arguments.of(new String[] {"OAUTH_PENDING", "SIGN_IN_EXPIRED"}, false, false, false, Decision.FAIL),
        // A status this build does not know is never taken for ready.
        Arguments.of(new String[] {"INSTALLED", "SOMETHING_NEW"}, false, false, false, Decision.WAIT_SIGN_IN));
  }

  @ParameterizedTest
  @MethodSource("table")
  void decidesFromTheItemsOfTheAccount(String[] items, boolean dryRun, boolean halted, boolean recovered,
                                       Decision expected) {
    assertThat(AccountReadiness.decide(account(halted, recovered, items), dryRun)).isEqualTo(expected);
  }

  @Test
  void readyStatusesAreTheSucceededOnesThatNeedNoSignIn() {
    assertThat(AccountReadiness.READY).contains("INSTALLED", "ALREADY_INSTALLED").doesNotContain("OAUTH_PENDING",
        "FAILED", "CANCELLED", "PENDING", "RUNNING");
    boolean authenticatedExists = Arrays.stream(ItemStatus.values()).anyMatch(s -> s.name().equals("AUTHENTICATED"));
    assertThat(AccountReadiness.READY.contains("AUTHENTICATED")).isEqualTo(authenticatedExists);
  }

  private static final io.onboarder.signin.SignInPolicy POLICY = new io.onboarder.signin.SignInPolicy(null,
      7 * 24 * 3_600_000L, 1_000, 15 * 60_000L);

  private static ClaimedAccount watching(Long interval, Long watchUntil, long now) {
    return new ClaimedAccount(1, "job", "acct", AccountStatus.WAITING, AccountPhase.WATCH, "cyc", null, 3, false,
        false, interval, watchUntil, now, List.of(new ClaimedAccount.ItemState("INSTALLED", null)));
  }

  private static final AccountStepReply STILL_WAITING = stillWaiting(new JsonArray());

  private static AccountStepReply stillWaiting(JsonArray links) {
    return new AccountStepReply(false, false, "WAITING", true, "cyc", null, links, null);
  }

  @Test
  void aConnectorTheTemplateBroughtWaitsAsASignInItemNotAsAWatch() {
    ClaimedAccount first = new ClaimedAccount(1, "job", "acct", AccountStatus.WAITING, AccountPhase.ITEMS, null, null,
        1, false, false, null, null, 0, List.of());
    AccountOutcome o = AccountRequests.outcome(first, stillWaiting(new JsonArray()
        .add(new JsonObject().put("accountConnectorId", 5).put("url", "u"))), false, POLICY);
    assertThat(o.phase()).isEqualTo(AccountPhase.SIGN_IN);
    assertThat(o.nextCheckMs()).isNull();
    assertThat(o.newSignIns()).hasSize(1);
  }

  @Test
  void waitingForCyclrToCatchUpBacksOffLikeTheSignInWatchAndEndsWithTheLinksLifetime() {
    AccountOutcome o = AccountRequests.outcome(new ClaimedAccount(1, "job", "acct", AccountStatus.WAITING,
        AccountPhase.ITEMS, null, null, 1, false, false, null, null, 0, List.of()), STILL_WAITING, false, POLICY);
    assertThat(o.phase()).isEqualTo(AccountPhase.WATCH);
    assertThat(o.watchInterval()).isEqualTo(1_000);
    assertThat(o.nextCheckMs()).isBetween(900L, 1_100L);
    assertThat(o.watchForMs()).isEqualTo(POLICY.linkTtlMs());
    assertThat(AccountRequests.outcome(watching(1_000L, 10L, 5), STILL_WAITING, false, POLICY).watchInterval())
        .isEqualTo(2_000);
    assertThat(AccountRequests.outcome(watching(600_000L, 10L, 5), STILL_WAITING, false, POLICY).watchInterval())
        .as("15 min at most").isEqualTo(900_000);
  }

  @Test
  void aWatchThatRanOutEndsWaitingWithAClearCodeThatRetryCanReopen() {
    AccountOutcome o = AccountRequests.outcome(watching(900_000L, 1_000L, 1_000), STILL_WAITING, false, POLICY);
    assertThat(o.phase()).isEqualTo(AccountPhase.DONE);
    assertThat(o.status()).isEqualTo(AccountStatus.WAITING);
    assertThat(o.error().getString("code")).isEqualTo("SIGN_IN_WATCH_ENDED");
    assertThat(o.nextCheckMs()).isNull();
  }

  @Test
  void aHandBackKeepsTheAccountAsItWasAndRemembersAnInstallThatMayHaveBeenSent() {
    AccountOutcome o = AccountRequests.outcome(watching(1_000L, 10L, 5), AccountStepReply.handBack(true), false, POLICY);
    assertThat(o.handBack()).isTrue();
    assertThat(o.recovered()).isTrue();
    assertThat(o.phase()).isEqualTo(AccountPhase.WATCH);
    assertThat(o.statusChanged()).isFalse();
  }
}
