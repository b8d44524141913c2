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

/** The item queue: leases on the database clock, one running item per account across jobs and nodes, takeover of expired leases. */
class ItemQueueContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void claimsLeaseAtMostOneRunningItemPerAccountAcrossJobsAndNodes(String kind) {
    StorePorts s = store(kind);
    String j1 = await(s.intake().create(request("a", "a", "b", "c"), "alice", null)).job().id();
    String j2 = await(s.intake().create(request("a", "b", "d"), "alice", null)).job().id();
    List<ClaimedItem> first = await(s.items().claim(j1, "node-1", 10, 60_000));
    assertThat(first).extracting(ClaimedItem::account).containsExactly("a", "b", "c");
    assertThat(first).allSatisfy(i -> assertThat(i.authValue()).isEqualTo("key-of-" + i.account()));
    assertThat(first).extracting(ClaimedItem::attempts).containsOnly(1);
    // Another node, another job with overlapping accounts: only the account nobody runs.
    assertThat(await(s.items().claim(j2, "node-2", 10, 60_000))).extracting(ClaimedItem::account).containsExactly("d");
    assertThat(await(s.items().claim(j1, "node-2", 10, 60_000))).isEmpty();
    // Once a's item is recorded, the next item of account a can run.
    assertThat(await(s.items().record("node-1", List.of(installed(first.get(0)))))).hasSize(1);
    assertThat(await(s.items().claim(j1, "node-2", 10, 60_000))).extracting(ClaimedItem::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void expiredLeasesComeBackAsRecoveredAndTheOldOwnersOutcomeIsDropped(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b"), "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.items().claim(job, "dead-node", 10, 1));
    assertThat(claimed).hasSize(2);
    TestService.await(vertx.timer(20)); // the 1 ms lease is over on the database clock
    assertThat(renew(s, "live-node", 60_000)).isZero();
    List<JobRecords.Changed> released = await(s.items().releaseExpired());
    assertThat(released).extracting(JobRecords.Changed::account).containsExactlyInAnyOrder("a", "b");
    // The dead node's late outcome does not overwrite what the new owner does.
    List<ClaimedItem> again = await(s.items().claim(job, "live-node", 10, 60_000));
    assertThat(again).hasSize(2);
    assertThat(await(s.items().record("dead-node", List.of(installed(claimed.get(0)))))).isEmpty();
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
      Future<List<ClaimedItem>> fa = a.items().claim(job, "node-a", 40, 60_000);
      Future<List<ClaimedItem>> fb = b.items().claim(job, "node-b", 40, 60_000);
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
