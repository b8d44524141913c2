package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemQueue;
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
import static org.assertj.core.api.Assertions.tuple;

/** The item queue: leases on the database clock, one running item per account across jobs and nodes, takeover of expired leases. */
class ItemQueueContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void claimsLeaseAtMostOneRunningItemPerAccountAcrossJobsAndNodes(String kind) {
    StorePorts s = store(kind);
    String j1 = await(s.intake().create(request("a", "a", "b", "c"), "alice", null)).job().id();
    String j2 = await(s.intake().create(request("a", "b", "d"), "alice", null)).job().id();
    // One claim across both jobs: one item per account, an account's item from the older job.
    List<ClaimedItem> first = await(s.items().claim("node-1", 10, 60_000));
    assertThat(first).extracting(ClaimedItem::account).containsExactly("a", "b", "c", "d");
    assertThat(first).extracting(ClaimedItem::jobId).containsExactly(j1, j1, j1, j2);
    assertThat(first).allSatisfy(i -> assertThat(i.authValue()).isEqualTo("key-of-" + i.account()));
    assertThat(first).extracting(ClaimedItem::attempts).containsOnly(1);
    assertThat(first).noneMatch(ClaimedItem::halted);
    // Another node: every account with work left runs already.
    assertThat(await(s.items().claim("node-2", 10, 60_000))).isEmpty();
    // Once a's item is recorded, the next item of account a can run (the older job's).
    assertThat(await(s.items().record("node-1", List.of(installed(first.get(0))))).applied()).hasSize(1);
    assertThat(await(s.items().claim("node-2", 10, 60_000))).extracting(ClaimedItem::account, ClaimedItem::jobId)
        .containsExactly(tuple("a", j1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void jobsTakeTurnsSoABigJobNeverStarvesASmallOne(String kind) {
    StorePorts s = store(kind);
    String[] many = IntStream.range(0, 40).mapToObj(i -> "big-" + i).toArray(String[]::new);
    String big = await(s.intake().create(request(many), "alice", null)).job().id();
    String small = await(s.intake().create(request("s1", "s2", "s3"), "bob", null)).job().id();
    // Small claims interleave the jobs: the older job only wins a tie.
    assertThat(await(s.items().claim("n", 4, 60_000))).extracting(ClaimedItem::jobId)
        .containsExactlyInAnyOrder(big, big, small, small);
    assertThat(await(s.items().claim("n", 4, 60_000))).extracting(ClaimedItem::jobId)
        .containsExactlyInAnyOrder(big, big, big, small);
    // A job that arrives while another runs many items goes first.
    String late = await(s.intake().create(request("l1", "l2"), "carol", null)).job().id();
    assertThat(await(s.items().claim("n", 2, 60_000))).extracting(ClaimedItem::jobId).containsExactly(late, late);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aJobBecomesRunningWithItsFirstClaimAndFinishesWithItsLastOutcome(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b"), "alice", null)).job().id();
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.PENDING);
    List<ClaimedItem> claimed = await(s.items().claim("n", 1, 60_000));
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(await(s.events().events(job, 0, 100))).extracting(e -> e.kind() + ":" + e.body().getString("status"))
        .containsExactly("JOB:PENDING", "JOB:RUNNING", "ITEM:RUNNING");
    ItemQueue.Recorded one = await(s.items().record("n", List.of(installed(claimed.get(0)))));
    assertThat(one.settled().finished()).isEmpty();
    assertThat(one.settled().pending()).as("b waits").isTrue();
    ClaimedItem b = await(s.items().claim("n", 10, 60_000)).get(0);
    // A hand-back leaves the job open; the last outcome finishes it, in the same transaction, once.
    ItemQueue.Recorded back = await(s.items().record("n", List.of(ItemOutcome.handBack(b))));
    assertThat(back.applied()).hasSize(1);
    assertThat(back.settled().finished()).isEmpty();
    b = await(s.items().claim("n", 10, 60_000)).get(0);
    ItemQueue.Recorded last = await(s.items().record("n", List.of(installed(b))));
    assertThat(last.settled().finished()).extracting(JobRecord::id, JobRecord::status)
        .containsExactly(tuple(job, JobStatus.SUCCEEDED));
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(s.jobs().finishIfDone(job))).as("finished once").isNull();
    List<JobEvent> events = await(s.events().events(job, 0, 100));
    assertThat(events.get(events.size() - 1).body().getString("status")).isEqualTo("SUCCEEDED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void recordStopsAJobPastItsFailureToleranceCancelsTheRestAndFinishesIt(String kind) {
    StorePorts s = store(kind);
    JobRequest tolerant = VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("options", new JsonObject().put("toleratedFailurePercent", 25))
        .put("items", new JsonArray(List.of("a", "b", "c", "d").stream()
            .map(a -> new JsonObject().put("account", a).put("authValue", "key-of-" + a)).toList())));
    String job = await(s.intake().create(tolerant, "alice", null)).job().id();
    List<ClaimedItem> two = await(s.items().claim("n", 2, 60_000));
    // One failure of four is the tolerated 25 %: the job goes on.
    ItemQueue.Recorded first = await(s.items().record("n", List.of(ItemOutcome.failed(two.get(0), "CYCLR_4XX", "no"))));
    assertThat(first.settled().stopped()).isEmpty();
    // The second is past it: stopped, the unstarted items cancelled, and, nothing left, finished.
    ItemQueue.Recorded second = await(s.items().record("n", List.of(ItemOutcome.failed(two.get(1), "CYCLR_4XX", "no"))));
    assertThat(second.settled().stopped()).containsExactly(job);
    assertThat(second.settled().finished()).extracting(JobRecord::status)
        .containsExactly(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.jobs().counts(job))).containsEntry(ItemStatus.FAILED, 2L).containsEntry(ItemStatus.CANCELLED, 2L);
    assertThat(await(s.items().claim("n", 10, 60_000))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aCancelledJobYieldsOnlyItsRecoveredItemsHaltedAndHandedBackOnesAreCancelled(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b", "c"), "alice", null)).job().id();
    List<ClaimedItem> dying = await(s.items().claim("dead-node", 1, 1));
    List<ClaimedItem> live = await(s.items().claim("n", 1, 60_000));
    elapse(kind, 20); // the 1 ms lease is over on the database clock
    assertThat(await(s.items().releaseExpired())).hasSize(1);
    await(s.jobs().cancel(job)); // c never started: cancelled now
    List<ClaimedItem> recovered = await(s.items().claim("n", 10, 60_000));
    assertThat(recovered).extracting(ClaimedItem::id).containsExactly(dying.get(0).id());
    assertThat(recovered).allMatch(ClaimedItem::halted);
    // The live item comes back untried (a drain): a cancelled job never starts it, so it is cancelled.
    ItemQueue.Recorded back = await(s.items().record("n", List.of(ItemOutcome.handBack(live.get(0)))));
    assertThat(back.settled().finished()).isEmpty();
    ItemQueue.Recorded last = await(s.items().record("n", List.of(installed(recovered.get(0)))));
    assertThat(last.settled().finished()).extracting(JobRecord::status).containsExactly(JobStatus.CANCELLED);
    assertThat(await(s.jobs().counts(job))).containsEntry(ItemStatus.CANCELLED, 2L)
        .containsEntry(ItemStatus.INSTALLED, 1L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void expiredLeasesComeBackAsRecoveredAndTheOldOwnersOutcomeIsDropped(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b"), "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.items().claim("dead-node", 10, 1));
    assertThat(claimed).hasSize(2);
    elapse(kind, 20); // the 1 ms lease is over on the database clock
    assertThat(renew(s, "live-node", 60_000)).isZero();
    List<JobRecords.Changed> released = await(s.items().releaseExpired());
    assertThat(released).extracting(JobRecords.Changed::account).containsExactlyInAnyOrder("a", "b");
    // The dead node's late outcome does not overwrite what the new owner does.
    List<ClaimedItem> again = await(s.items().claim("live-node", 10, 60_000));
    assertThat(again).hasSize(2);
    assertThat(await(s.items().record("dead-node", List.of(installed(claimed.get(0))))).applied()).isEmpty();
    assertThat(renew(s, "live-node", 60_000)).isEqualTo(2);
    assertThat(await(s.items().releaseExpired())).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "postgresql"})
  void twoNodesClaimingTheSameJobAtOnceNeverShareAnItemOrAnAccount(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url);
    StorePorts b = store(kind, url);
    String[] accounts = IntStream.range(0, 300).mapToObj(i -> "acct-" + (i % 100)).toArray(String[]::new);
    String job = await(a.intake().create(request(accounts), "alice", null)).job().id();
    Set<Long> seen = new HashSet<>();
    int rounds = 0;
    while (seen.size() < 300 && rounds++ < 50) {
      Future<List<ClaimedItem>> fa = a.items().claim("node-a", 40, 60_000);
      Future<List<ClaimedItem>> fb = b.items().claim("node-b", 40, 60_000);
      await(Future.join(fa, fb));
      List<ClaimedItem> all = new ArrayList<>();
      all.addAll(fa.result());
      all.addAll(fb.result());
      assertThat(all).extracting(ClaimedItem::account).doesNotHaveDuplicates();
      for (ClaimedItem i : all) {
        assertThat(seen.add(i.id())).as("item %s claimed twice", i.id()).isTrue();
      }
      await(a.items().record("node-a", fa.result().stream().map(StoreContract::installed).toList()));
      await(b.items().record("node-b", fb.result().stream().map(StoreContract::installed).toList()));
    }
    assertThat(seen).hasSize(300);
  }
}
