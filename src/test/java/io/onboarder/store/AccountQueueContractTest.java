package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Account steps of jobs with a template: due once their items ended, leased one per account, never beside its items. */
class AccountQueueContractTest extends StoreContract {

  // ---- accounts of jobs with a template ----------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void anAccountOfATemplateJobIsDueOnlyOnceAllItsItemsEnded(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a", "a", "b"), "alice", null)).job().id();
    assertThat(await(s.jobs().accountCounts(job))).containsEntry(AccountStatus.WAITING, 2L);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).isEmpty();
    List<ClaimedItem> first = await(s.items().claim("n", 10, 60_000));
    assertThat(first).extracting(ClaimedItem::account).containsExactly("a", "b");
    await(s.items().record("n", first.stream().map(StoreContract::installed).toList()));
    // b is done; a still has a PENDING item.
    List<ClaimedAccount> due = await(s.accounts().claim("n", 10, 60_000));
    assertThat(due).extracting(ClaimedAccount::account).containsExactly("b");
    assertThat(due.get(0).items()).extracting(ClaimedAccount.ItemState::status).containsExactly("INSTALLED");
    assertThat(due.get(0).status()).isEqualTo(AccountStatus.WAITING);
    assertThat(due.get(0).phase()).isEqualTo(AccountPhase.ITEMS);
    assertThat(await(s.jobs().finishIfDone(job))).as("items and an account step still run").isNull();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).extracting(ClaimedAccount::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void accountStepsOfOneAccountNeverRunTogetherNorBesideItsItems(String kind) {
    StorePorts s = store(kind);
    String j1 = await(s.intake().create(templateRequest("x", "y"), "alice", null)).job().id();
    String j2 = await(s.intake().create(templateRequest("x"), "alice", null)).job().id();
    finishItems(s, j1, ItemStatus.INSTALLED);
    finishItems(s, j2, ItemStatus.ALREADY_INSTALLED);
    String j3 = await(s.intake().create(request("x", "y"), "alice", null)).job().id();
    List<ClaimedAccount> mine = await(s.accounts().claim("node-1", 10, 60_000));
    assertThat(mine).extracting(ClaimedAccount::account).containsExactlyInAnyOrder("x", "y");
    assertThat(await(s.accounts().claim("node-2", 10, 60_000))).as("x's other account step waits").isEmpty();
    assertThat(await(s.items().claim("node-2", 10, 60_000))).as("no item beside an account step").isEmpty();
    ClaimedAccount x = mine.stream().filter(a -> a.account().equals("x")).findFirst().orElseThrow();
    await(s.accounts().record("node-1", List.of(settled(x, AccountStatus.ACTIVE, AccountPhase.DONE))));
    // x is free: either its item of j3 or its other account step may go, never both.
    List<ClaimedItem> items = await(s.items().claim("node-2", 10, 60_000));
    assertThat(items).extracting(ClaimedItem::account).containsExactly("x");
    assertThat(await(s.accounts().claim("node-2", 10, 60_000))).isEmpty();
    await(s.items().record("node-2", items.stream().map(StoreContract::installed).toList()));
    assertThat(await(s.accounts().claim("node-2", 10, 60_000))).extracting(ClaimedAccount::jobId).containsExactly(j2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void anExpiredAccountLeaseComesBackRecoveredAndTheOldOwnersOutcomeIsDropped(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> claimed = await(s.accounts().claim("dead-node", 10, 1));
    assertThat(claimed).hasSize(1);
    assertThat(claimed.get(0).recovered()).isFalse();
    elapse(kind, 20);
    assertThat(await(s.accounts().releaseExpired())).extracting(JobRecords.AccountChanged::account).containsExactly("a");
    List<ClaimedAccount> again = await(s.accounts().claim("live-node", 10, 60_000));
    assertThat(again).hasSize(1);
    assertThat(again.get(0).recovered()).as("the dead node may have sent a template install").isTrue();
    assertThat(await(s.accounts().record("dead-node", List.of(settled(claimed.get(0), AccountStatus.ACTIVE,
        AccountPhase.DONE)))).applied()).isEmpty();
    assertThat(renew(s, "live-node", 60_000)).isEqualTo(1);
    assertThat(await(s.accounts().releaseExpired())).isEmpty();
    assertThat(await(s.accounts().record("live-node", List.of(settled(again.get(0), AccountStatus.ACTIVE,
        AccountPhase.DONE)))).applied()).hasSize(1);
    JsonObject shown = await(s.accounts().page(job, null, 10, null)).items().getJsonObject(0);
    assertThat(shown.getString("status")).isEqualTo("ACTIVE");
    assertThat(shown.getString("cycleId")).isEqualTo("cycle-a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aJobFinishesWhenItsAccountsSettleOrWaitForASignInAndAFailedAccountIsAnError(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a", "b", "c"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.jobs().finishIfDone(job))).as("accounts are due").isNull();
    List<ClaimedAccount> due = await(s.accounts().claim("n", 10, 60_000));
    assertThat(due).hasSize(3);
    ClaimedAccount a = due.get(0);
    ClaimedAccount b = due.get(1);
    ClaimedAccount c = due.get(2);
    // a waits for a template connector's sign-in (watched, later), b is active, c failed.
    AccountOutcome watching = new AccountOutcome(a.id(), job, "a", a.status(), AccountStatus.WAITING,
        AccountPhase.WATCH, "cycle-a", new JsonArray().add(new JsonObject().put("code", 20)), new JsonArray()
        .add(new JsonObject().put("accountConnectorId", 7)), null, null, 3_600_000L, 1_000L, 86_400_000L, false,
        false);
    assertThat(await(s.accounts().record("n", List.of(watching, settled(b, AccountStatus.ACTIVE, AccountPhase.DONE))))
        .settled().finished()).as("c's step still runs").isEmpty();
    assertThat(await(s.jobs().finishIfDone(job))).as("c's step still runs").isNull();
    // The last account's outcome finishes the job in its own transaction, once.
    AccountQueue.Recorded last = await(s.accounts().record("n", List.of(settled(c, AccountStatus.FAILED,
        AccountPhase.DONE))));
    JobRecord finished = last.settled().finished().get(0);
    assertThat(finished.status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.jobs().finishIfDone(job))).isNull();
    assertThat(await(s.jobs().accountCounts(job))).containsEntry(AccountStatus.WAITING, 1L)
        .containsEntry(AccountStatus.ACTIVE, 1L).containsEntry(AccountStatus.FAILED, 1L);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).as("the watch is due in an hour").isEmpty();
    JsonObject shownA = await(s.accounts().page(job, AccountStatus.WAITING, 10, null)).items().getJsonObject(0);
    assertThat(shownA.getJsonArray("signIns")).hasSize(1);
    assertThat(shownA.getJsonArray("prerequisites")).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void retryReRunsFailedAccountsAndRechecksSetupRequiredOnes(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a", "b", "c"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> due = await(s.accounts().claim("n", 10, 60_000));
    await(s.accounts().record("n", List.of(settled(due.get(0), AccountStatus.FAILED, AccountPhase.DONE),
        settled(due.get(1), AccountStatus.SETUP_REQUIRED, AccountPhase.DONE),
        settled(due.get(2), AccountStatus.ACTIVE, AccountPhase.DONE))));
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    JobRecords.Retried retried = await(s.jobs().retry(job));
    assertThat(retried.items()).isEmpty();
    assertThat(retried.accounts()).extracting(JobRecords.AccountChanged::account, JobRecords.AccountChanged::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", AccountStatus.WAITING),
            org.assertj.core.groups.Tuple.tuple("b", AccountStatus.SETUP_REQUIRED));
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).extracting(ClaimedAccount::account)
        .containsExactly("a", "b");
    assertThat(await(s.jobs().retry(job)).isEmpty()).as("nothing settled to retry while they run").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void retriedItemsKeepTheirAccountWaitingUntilTheyEnd(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.FAILED);
    List<ClaimedAccount> due = await(s.accounts().claim("n", 10, 60_000));
    assertThat(due.get(0).items()).extracting(ClaimedAccount.ItemState::status).containsExactly("FAILED");
    await(s.accounts().record("n", List.of(settled(due.get(0), AccountStatus.FAILED, AccountPhase.DONE))));
    JobRecords.Retried retried = await(s.jobs().retry(job));
    assertThat(retried.items()).hasSize(1);
    assertThat(retried.accounts()).hasSize(1);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).as("its item runs again first").isEmpty();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.accounts().claim("n", 10, 60_000))).extracting(ClaimedAccount::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aCancelHaltsAccountsWhoseStepNeverStartedButARecoveredStepIsStillChecked(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(templateRequest("a", "b"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> dying = await(s.accounts().claim("dead-node", 1, 1));
    assertThat(dying).extracting(ClaimedAccount::account).containsExactly("a");
    elapse(kind, 20);
    await(s.accounts().releaseExpired());
    await(s.jobs().cancel(job));
    List<ClaimedAccount> recovered = await(s.accounts().claim("n", 10, 60_000));
    assertThat(recovered).extracting(ClaimedAccount::account).containsExactly("a");
    assertThat(recovered.get(0).halted()).isTrue();
    assertThat(recovered.get(0).recovered()).isTrue();
    assertThat(await(s.jobs().finishIfDone(job))).as("a's check runs").isNull();
    assertThat(await(s.accounts().record("n", List.of(settled(recovered.get(0), AccountStatus.INSTALLED,
        AccountPhase.HALTED)))).settled().finished()).extracting(JobRecord::status).containsExactly(JobStatus.CANCELLED);
    JsonObject b = await(s.accounts().page(job, null, 10, null)).items().getJsonObject(1);
    assertThat(b.getString("status")).isEqualTo("WAITING");
    assertThat(b.getJsonObject("error").getString("code")).isEqualTo("CANCELLED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void anAccountWaitingForAnItemsSignInIsDueOnceNoItemWaitsAnyMore(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts s = store(kind, url);
    String job = await(s.intake().create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.OAUTH_PENDING);
    List<ClaimedAccount> due = await(s.accounts().claim("n", 10, 60_000));
    assertThat(await(s.accounts().record("n", List.of(AccountOutcome.decided(due.get(0), AccountStatus.WAITING,
        AccountPhase.SIGN_IN, null)))).settled().finished()).as("a sign-in does not hold the job")
        .extracting(JobRecord::status).containsExactly(JobStatus.SUCCEEDED);
    assertThat(await(s.accounts().sweep(true))).isZero();
    assertThat(await(s.accounts().claim("n", 10, 60_000))).isEmpty();
    // The sign-in watch (another part of the service) moves the item on.
    if (kind.equals(MEMORY)) {
      s.memory().items.values().stream().filter(i -> i.jobId.equals(job)).forEach(i -> i.status = ItemStatus.AUTHENTICATED);
    } else {
      String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null
          : "postgres", null); java.sql.Statement st = c.createStatement()) {
        st.execute("UPDATE items SET status = 'AUTHENTICATED' WHERE job_id = '" + job + "'");
      }
    }
    await(s.accounts().nudge(job, "a"));
    List<ClaimedAccount> signedIn = await(s.accounts().claim("n", 10, 60_000));
    assertThat(signedIn).extracting(ClaimedAccount::account).containsExactly("a");
    assertThat(signedIn.get(0).items()).extracting(ClaimedAccount.ItemState::status)
        .containsExactly("AUTHENTICATED");
  }

  /** Two processes racing on one database: only PostgreSQL has concurrent transactions to race. */
  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void twoNodesClaimingAccountStepsAtOnceNeverRunOneAccountTwice(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url);
    StorePorts b = store(kind, url);
    String[] accounts = IntStream.range(0, 60).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    // Two jobs with the same template and the same accounts: 120 account steps over 60 Cyclr accounts.
    String j1 = await(a.intake().create(templateRequest(accounts), "alice", null)).job().id();
    String j2 = await(a.intake().create(templateRequest(accounts), "alice", null)).job().id();
    finishItems(a, j1, ItemStatus.INSTALLED);
    finishItems(a, j2, ItemStatus.INSTALLED);
    Set<String> seen = new HashSet<>();
    int rounds = 0;
    while (seen.size() < 120 && rounds++ < 50) {
      Future<List<ClaimedAccount>> fa = a.accounts().claim("node-a", 25, 60_000);
      Future<List<ClaimedAccount>> fb = b.accounts().claim("node-b", 25, 60_000);
      await(Future.join(fa, fb));
      List<ClaimedAccount> all = new ArrayList<>(fa.result());
      all.addAll(fb.result());
      assertThat(all).extracting(ClaimedAccount::account).as("round %s", rounds).doesNotHaveDuplicates();
      for (ClaimedAccount c : all) {
        assertThat(seen.add(c.jobId() + "/" + c.account())).as("%s claimed twice", c.account()).isTrue();
      }
      await(a.accounts().record("node-a", fa.result().stream()
          .map(c -> settled(c, AccountStatus.ACTIVE, AccountPhase.DONE)).toList()));
      await(b.accounts().record("node-b", fb.result().stream()
          .map(c -> settled(c, AccountStatus.ACTIVE, AccountPhase.DONE)).toList()));
    }
    assertThat(seen).hasSize(120);
    assertThat(await(a.jobs().job(j1)).status()).as("finished by its last outcome").isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(b.jobs().job(j2)).status()).isEqualTo(JobStatus.SUCCEEDED);
  }
}
