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

/** Job records: cancel, stop, retry and exactly-once finish. */
class JobRecordsContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aCancelledJobClaimsOnlyRecoveredItemsAsHaltedAndStaysCancelled(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b", "c"), "alice", null)).job().id();
    List<ClaimedItem> inFlight = await(s.items().claim("n1", 1, 1));
    elapse(kind, 20);
    await(s.items().releaseExpired()); // item a: in flight when its node died
    List<JobRecords.Changed> cancelled = await(s.jobs().cancel(job));
    assertThat(cancelled).extracting(JobRecords.Changed::account).containsExactly("b", "c");
    List<ClaimedItem> recovered = await(s.items().claim("n2", 10, 60_000));
    assertThat(recovered).extracting(ClaimedItem::account).containsExactly(inFlight.get(0).account());
    assertThat(recovered.get(0).halted()).isTrue();
    assertThat(await(s.jobs().finishIfDone(job))).as("an item still runs").isNull();
    // Its outcome finishes the job in the same transaction.
    JobRecord finished = await(s.items().record("n2", List.of(installed(recovered.get(0))))).settled().finished()
        .get(0);
    assertThat(finished.status()).isEqualTo(JobStatus.CANCELLED);
    assertThatThrownBy(() -> await(s.jobs().retry(job))).cause().satisfies(failedWith(StoreException.Kind.CONFLICT))
        .hasMessageContaining("cancelled");
    assertThatThrownBy(() -> await(s.jobs().cancel(job))).cause().satisfies(failedWith(StoreException.Kind.CONFLICT))
        .hasMessageContaining("already finished");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void exactlyOneConcurrentFinishWinsAndRetryReopens(String kind) {
    StorePorts s = store(kind);
    // A job cancelled before any item ran has nothing left: of five finishes at once, one wins.
    String cancelled = await(s.intake().create(request("x", "y"), "alice", null)).job().id();
    await(s.jobs().cancel(cancelled));
    List<Future<JobRecord>> finishes = IntStream.range(0, 5).mapToObj(i -> s.jobs().finishIfDone(cancelled)).toList();
    await(Future.all(new ArrayList<>(finishes)));
    assertThat(finishes.stream().filter(f -> f.result() != null).toList()).hasSize(1)
        .allSatisfy(f -> assertThat(f.result().status()).isEqualTo(JobStatus.CANCELLED));
    // A job's last outcome finishes it (once); a retry re-opens it.
    String job = await(s.intake().create(request("a", "b"), "alice", null)).job().id();
    List<ClaimedItem> items = await(s.items().claim("n", 10, 60_000));
    assertThat(await(s.items().record("n", List.of(installed(items.get(0)), ItemOutcome.failed(items.get(1), "X",
        "failed")))).settled().finished()).extracting(JobRecord::status).containsExactly(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.jobs().finishIfDone(job))).isNull();
    assertThat(await(s.jobs().retry(job).map(JobRecords.Retried::items))).extracting(JobRecords.Changed::account).containsExactly("b");
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(await(s.jobs().finishIfDone(job))).isNull();
  }
}
