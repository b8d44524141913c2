package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.onboarder.job.RequestPrint;
import io.onboarder.job.StoreException;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
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

/**
 * Submissions becoming jobs ({@link io.onboarder.intake.IntakeStore}), in memory, on SQLite and on a
 * real PostgreSQL: whole jobs in submission order, one job per idempotency key; a job being taken in
 * exists for nobody until its commit, a discard or a stale purge leaves nothing, the commit is one
 * statement that a concurrent request with the same key loses cleanly, and prints do not depend on
 * how a request travelled.
 */
class IntakeStoreContractTest extends StoreContract {
  /** Submissions here are larger than the other contracts' (a streamed job of up to a million items). */
  private static final JobRequestValidator BIG = new JobRequestValidator(1_000_000);

  private static JobRequest request(String prefix, int n) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < n; i++) {
      items.add(new JsonObject().put("account", prefix + "-" + i).put("authValue", "key-" + i));
    }
    return BIG.validate(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
  }

  private static List<JobRequest.Item> slice(JobRequest r, int from, int to) {
    return r.items().subList(from, to);
  }

  private static String print(StorePorts store, JobRequest r) {
    RequestPrint p = store.intake().newPrint();
    r.items().forEach(p::item);
    return p.finish(r.specJson());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aJobBeingTakenInIsInvisibleUntilItsCommitThenWhole(String kind) {
    StorePorts store = store(kind);
    JobRequest r = request("in", 9_000);
    IntakeStore.Intake intake = await(store.intake().openIntake("alice"));
    await(intake.append(slice(r, 0, 4_000)));
    await(intake.append(slice(r, 4_000, 9_000)));

    assertThat(await(store.jobs().job(intake.jobId()))).isNull();
    assertThat(await(store.jobs().recentJobs(null, 10))).isEmpty();
    assertThat(await(store.jobs().unfinishedJobs())).isEmpty();

    IntakeStore.Created created = await(intake.commit(r.withItems(List.of()), 9_000, null, null));
    assertThat(created.existing()).isFalse();
    JobRecord job = await(store.jobs().job(intake.jobId()));
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    assertThat(job.total()).isEqualTo(9_000);
    assertThat(job.owner()).isEqualTo("alice");
    assertThat(await(store.jobs().unfinishedJobs())).extracting(JobRecord::id).containsExactly(intake.jobId());
    assertThat(await(store.items().page(intake.jobId(), null, 1000, null)).items().getJsonObject(0).getString("account"))
        .isEqualTo("in-0");
    // Auth values are encrypted and come back only in a claim.
    assertThat(await(store.items().claim("node", 1, 10_000)).get(0).authValue()).isEqualTo("key-0");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aDiscardedOrStaleIntakeLeavesNothing(String kind) {
    StorePorts store = store(kind);
    JobRequest r = request("gone", 12_000);
    IntakeStore.Intake discarded = await(store.intake().openIntake("bob"));
    await(discarded.append(r.items()));
    await(discarded.discard());
    IntakeStore.Intake stale = await(store.intake().openIntake("bob"));
    await(stale.append(slice(r, 0, 100)));

    assertThat(await(store.intake().purgeStaleIntakes(60_000))).as("fresh intakes are left alone").isZero();
    assertThat(await(store.intake().purgeStaleIntakes(-1))).isEqualTo(1);
    assertThat(await(store.intake().pendingItems())).isZero();
    // The purged intake cannot be continued or committed.
    assertThat(stale.append(slice(r, 100, 200)).transform(ar -> Future.succeededFuture(ar.failed())).await())
        .as("append after purge fails").isTrue();
    assertThat(stale.commit(r, 200, null, null).transform(ar -> Future.succeededFuture(ar.failed())).await())
        .as("commit after purge fails").isTrue();
    assertThat(await(store.jobs().recentJobs(null, 10))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void twoStreamsWithOneKeyMakeOneJobAndTheLoserLeavesNothing(String kind) {
    StorePorts store = store(kind);
    JobRequest r = request("race", 5_000);
    String print = print(store, r);
    IntakeStore.Intake a = await(store.intake().openIntake("carol"));
    IntakeStore.Intake b = await(store.intake().openIntake("carol"));
    await(a.append(r.items()));
    await(b.append(r.items()));
    IntakeStore.Created first = await(a.commit(r, 5_000, "k", print));
    IntakeStore.Created second = await(b.commit(r, 5_000, "k", print));
    assertThat(first.existing()).isFalse();
    assertThat(second.existing()).isTrue();
    assertThat(second.job().id()).isEqualTo(first.job().id());
    assertThat(await(store.intake().pendingItems())).as("the loser's items are gone").isEqualTo(5_000);

    IntakeStore.Intake c = await(store.intake().openIntake("carol"));
    await(c.append(slice(r, 0, 10)));
    Throwable conflict = c.commit(r, 10, "k", "v2:different").transform(Future::succeededFuture).await().cause();
    assertThat(conflict).satisfies(failedWith(StoreException.Kind.CONFLICT));
    assertThat(await(store.intake().pendingItems())).isEqualTo(5_000);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void theSameRequestHasTheSamePrintWhicheverWayItCame(String kind) {
    StorePorts store = store(kind);
    JobRequest r = request("print", 3);
    IntakeStore.Created viaCreate = await(store.intake().create(r, "dave", "key-1"));
    assertThat(await(store.intake().existing("dave", "key-1", print(store, r))).job().id()).isEqualTo(viaCreate.job().id());
    assertThat(await(store.intake().existing("erin", "key-1", print(store, r)))).as("keys are per caller").isNull();
    Throwable differs = store.intake().existing("dave", "key-1", print(store, request("print", 4)))
        .transform(Future::succeededFuture).await().cause();
    assertThat(differs).satisfies(failedWith(StoreException.Kind.CONFLICT));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void createsAJobWithItemsAndCountsThem(String kind) {
    StorePorts s = store(kind);
    JobRecord job = await(s.intake().create(request("a", "b", "c"), "alice", null)).job();
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    assertThat(job.owner()).isEqualTo("alice");
    assertThat(await(s.jobs().counts(job.id())).get(ItemStatus.PENDING)).isEqualTo(3);
    assertThat(await(s.intake().pendingItems())).isEqualTo(3);
    assertThat(await(s.jobs().recentJobs("alice", 10))).extracting(JobRecord::id).containsExactly(job.id());
    assertThat(await(s.jobs().recentJobs("bob", 10))).isEmpty();
    assertThat(await(s.jobs().recentJobs(null, 10))).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void itemsAreWrittenInSubmissionOrderWithTheirAuthValuesAcrossMultiRowStatements(String kind) {
    StorePorts s = store(kind);
    // Two full multi-row statements and a short one: every row in order, none lost or repeated.
    String[] accounts = java.util.stream.IntStream.range(0, 2 * 64 + 5).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    JobRecord job = await(s.intake().create(request(accounts), "alice", null)).job();
    List<ClaimedItem> claimed = await(s.items().claim("n", 1_000, 60_000));
    assertThat(claimed).extracting(ClaimedItem::account).containsExactly(accounts);
    assertThat(claimed).extracting(ClaimedItem::authValue)
        .containsExactly(java.util.Arrays.stream(accounts).map(a -> "key-of-" + a).toArray(String[]::new));
    assertThat(claimed).extracting(ClaimedItem::id).isSorted();
    // Pending counts only open jobs' items: once this one is done, a new job's items are all that count.
    await(s.items().record("n", claimed.stream().map(StoreContract::installed).toList()));
    assertThat(await(s.intake().pendingItems())).isZero();
    await(s.intake().create(request("x", "y"), "alice", null));
    assertThat(await(s.intake().pendingItems())).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void eachItemKeepsItsOwnSpecWhenNeighboursShareOneOrNot(String kind) {
    StorePorts s = store(kind);
    // Runs of equal specs (written once and reused), a change of property value only, none, then back; in
    // statements of 64 rows that share one spec ("eu", then "us"), that do not, and a short one that does not.
    String[] pattern = {"eu", "eu", "us", null, "us", "eu", "none", null, "eu"};
    List<String> all = new ArrayList<>(java.util.Collections.nCopies(64, "eu"));
    IntStream.range(0, 64).forEach(i -> all.add(pattern[i % pattern.length]));
    all.addAll(java.util.Collections.nCopies(64, "us"));
    all.addAll(java.util.Arrays.asList(pattern));
    String[] regions = all.toArray(String[]::new);
    JsonArray items = new JsonArray();
    for (int i = 0; i < regions.length; i++) {
      JsonObject item = new JsonObject().put("account", "spec-" + i).put("installName", "Same");
      if (regions[i] != null && !regions[i].equals("none")) {
        item.put("properties", new JsonArray().add(new JsonObject().put("name", "Region").put("value", regions[i])));
      }
      items.add("none".equals(regions[i]) ? new JsonObject().put("account", "spec-" + i) : item);
    }
    await(s.intake().create(BIG.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("items", items)), "alice", null));
    List<ClaimedItem> claimed = await(s.items().claim("n", 1_000, 60_000));
    assertThat(claimed).extracting(ClaimedItem::account)
        .containsExactly(IntStream.range(0, regions.length).mapToObj(i -> "spec-" + i).toArray(String[]::new));
    for (int i = 0; i < regions.length; i++) {
      JsonObject spec = claimed.get(i).spec();
      if ("none".equals(regions[i])) {
        assertThat(spec).as("item " + i + " has no spec").isNull();
        continue;
      }
      assertThat(spec.getString("installName")).isEqualTo("Same");
      assertThat(spec.getJsonArray("properties") == null ? null
          : spec.getJsonArray("properties").getJsonObject(0).getString("value")).as("item " + i).isEqualTo(regions[i]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void idempotencyKeysAreScopedToTheCallerAndRacesCreateOneJob(String kind) {
    StorePorts s = store(kind);
    List<Future<IntakeStore.Created>> racing = IntStream.range(0, 6)
        .mapToObj(i -> s.intake().create(request("a", "b"), "alice", "key-1")).toList();
    await(Future.join(new ArrayList<>(racing)));
    Set<String> ids = new HashSet<>();
    racing.forEach(f -> ids.add(f.result().job().id()));
    assertThat(ids).hasSize(1);
    assertThat(racing.stream().filter(f -> !f.result().existing()).count()).isEqualTo(1);
    // The same key from another caller is another job.
    assertThat(await(s.intake().create(request("a", "b"), "bob", "key-1")).job().id()).isNotIn(ids);
    // A different body under the same key is a conflict, and the key is not echoed.
    assertThatThrownBy(() -> await(s.intake().create(request("x"), "alice", "key-1")))
        .cause().satisfies(failedWith(StoreException.Kind.CONFLICT)).hasMessageNotContaining("key-1");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aJobKeepsTheSpanThatSubmittedItWhicheverWayItCameIn(String kind) {
    StorePorts store = store(kind);
    String whole = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    String streamed = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    IntakeStore.Created created;
    IntakeStore.Intake intake;
    try (Scope s = current(whole)) {
      created = await(store.intake().create(request("w", 2), "alice", null));
    }
    try (Scope s = current(streamed)) {
      intake = await(store.intake().openIntake("alice"));
    }
    JobRequest r = request("s", 3);
    await(intake.append(r.items()));
    IntakeStore.Created committed = await(intake.commit(r.withItems(List.of()), 3, null, null));
    assertThat(created.job().traceParent()).isEqualTo(whole);
    assertThat(committed.job().traceParent()).isEqualTo(streamed);
    // Read back as any node would, later: the items' spans continue these traces.
    assertThat(await(store.jobs().job(created.job().id())).traceParent()).isEqualTo(whole);
    assertThat(await(store.jobs().job(committed.job().id())).traceParent()).isEqualTo(streamed);
    // Without a span (tracing off), nothing is kept.
    assertThat(await(store.jobs().job(await(store.intake().create(request("u", 1), "alice", null)).job().id()))
        .traceParent()).isNull();
  }

  /** {@code traceparent}'s span as the current one, as a traced request's is while it submits. */
  private static Scope current(String traceparent) {
    String[] parts = traceparent.split("-");
    return Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(parts[1], parts[2],
        TraceFlags.fromHex(parts[3], 0), TraceState.getDefault()))).makeCurrent();
  }
}
