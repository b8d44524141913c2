package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Problem;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStatus;
import io.onboarder.job.JobStore;
import io.onboarder.job.RequestPrint;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streamed-intake part of {@link JobStore}, on SQLite and a real PostgreSQL: a job being taken in
 * exists for nobody until its commit, a discard or a stale purge leaves nothing, the commit is one
 * statement that a concurrent request with the same key loses cleanly, and prints do not depend on
 * how a request travelled.
 */
class IntakeStoreContractTest {
  private static final byte[] KEY = new byte[32];
  private static final JobRequestValidator VALIDATOR = new JobRequestValidator(1_000_000);

  @TempDir
  Path dir;
  private Vertx vertx;
  private final List<JobStore> stores = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    stores.forEach(s -> TestService.await(s.close()));
    TestService.await(vertx.close());
  }

  private JobStore store(String kind) {
    JobStore s = kind.equals("sqlite") ? new SqliteJobStore(vertx, dir.resolve("db.sqlite"), KEY)
        : new PgJobStore(vertx, Postgres.freshDatabaseUrl(), KEY, 4);
    TestService.await(s.start());
    stores.add(s);
    return s;
  }

  private static <T> T await(Future<T> f) {
    return TestService.await(f);
  }

  private static JobRequest request(String prefix, int n) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < n; i++) {
      items.add(new JsonObject().put("account", prefix + "-" + i).put("authValue", "key-" + i));
    }
    return VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
  }

  private static List<JobRequest.Item> slice(JobRequest r, int from, int to) {
    return r.items().subList(from, to);
  }

  private static String print(JobStore store, JobRequest r) {
    RequestPrint p = store.newPrint();
    r.items().forEach(p::item);
    return p.finish(r.specJson());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aJobBeingTakenInIsInvisibleUntilItsCommitThenWhole(String kind) {
    JobStore store = store(kind);
    JobRequest r = request("in", 9_000);
    JobStore.Intake intake = await(store.openIntake("alice"));
    await(intake.append(slice(r, 0, 4_000)));
    await(intake.append(slice(r, 4_000, 9_000)));

    assertThat(await(store.job(intake.jobId()))).isNull();
    assertThat(await(store.recentJobs(null, 10))).isEmpty();
    assertThat(await(store.unfinishedJobs())).isEmpty();

    JobStore.Created created = await(intake.commit(r.withItems(List.of()), 9_000, null, null));
    assertThat(created.existing()).isFalse();
    JobRecord job = await(store.job(intake.jobId()));
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    assertThat(job.total()).isEqualTo(9_000);
    assertThat(job.owner()).isEqualTo("alice");
    assertThat(await(store.unfinishedJobs())).extracting(JobRecord::id).containsExactly(intake.jobId());
    assertThat(await(store.items(intake.jobId(), null, 1000, null)).items().getJsonObject(0).getString("account"))
        .isEqualTo("in-0");
    // Auth values are encrypted and come back only in a claim.
    assertThat(await(store.claim(intake.jobId(), "node", 1, 10_000)).get(0).authValue()).isEqualTo("key-0");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aDiscardedOrStaleIntakeLeavesNothing(String kind) {
    JobStore store = store(kind);
    JobRequest r = request("gone", 12_000);
    JobStore.Intake discarded = await(store.openIntake("bob"));
    await(discarded.append(r.items()));
    await(discarded.discard());
    JobStore.Intake stale = await(store.openIntake("bob"));
    await(stale.append(slice(r, 0, 100)));

    assertThat(await(store.purgeStaleIntakes(60_000))).as("fresh intakes are left alone").isZero();
    assertThat(await(store.purgeStaleIntakes(-1))).isEqualTo(1);
    assertThat(await(store.pendingItems())).isZero();
    // The purged intake cannot be continued or committed.
    assertThat(stale.append(slice(r, 100, 200)).transform(ar -> Future.succeededFuture(ar.failed())).await())
        .as("append after purge fails").isTrue();
    assertThat(stale.commit(r, 200, null, null).transform(ar -> Future.succeededFuture(ar.failed())).await())
        .as("commit after purge fails").isTrue();
    assertThat(await(store.recentJobs(null, 10))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void twoStreamsWithOneKeyMakeOneJobAndTheLoserLeavesNothing(String kind) {
    JobStore store = store(kind);
    JobRequest r = request("race", 5_000);
    String print = print(store, r);
    JobStore.Intake a = await(store.openIntake("carol"));
    JobStore.Intake b = await(store.openIntake("carol"));
    await(a.append(r.items()));
    await(b.append(r.items()));
    JobStore.Created first = await(a.commit(r, 5_000, "k", print));
    JobStore.Created second = await(b.commit(r, 5_000, "k", print));
    assertThat(first.existing()).isFalse();
    assertThat(second.existing()).isTrue();
    assertThat(second.job().id()).isEqualTo(first.job().id());
    assertThat(await(store.pendingItems())).as("the loser's items are gone").isEqualTo(5_000);

    JobStore.Intake c = await(store.openIntake("carol"));
    await(c.append(slice(r, 0, 10)));
    Throwable conflict = c.commit(r, 10, "k", "v2:different").transform(Future::succeededFuture).await().cause();
    assertThat(conflict).isInstanceOf(Problem.class);
    assertThat(((Problem) conflict).status()).isEqualTo(409);
    assertThat(await(store.pendingItems())).isEqualTo(5_000);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void theSameRequestHasTheSamePrintWhicheverWayItCame(String kind) {
    JobStore store = store(kind);
    JobRequest r = request("print", 3);
    JobStore.Created viaCreate = await(store.create(r, "dave", "key-1"));
    assertThat(await(store.existing("dave", "key-1", print(store, r))).job().id()).isEqualTo(viaCreate.job().id());
    assertThat(await(store.existing("erin", "key-1", print(store, r)))).as("keys are per caller").isNull();
    Throwable differs = store.existing("dave", "key-1", print(store, request("print", 4)))
        .transform(Future::succeededFuture).await().cause();
    assertThat(((Problem) differs).status()).isEqualTo(409);
  }
}
