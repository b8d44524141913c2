package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.bus.Problem;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStatus;
import io.onboarder.job.JobStore;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignInStore;
import io.onboarder.support.Postgres;
import io.onboarder.webhook.WebhookOutbox;
import io.onboarder.support.TestService;
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
 * One specification of {@link JobStore}, run against both back ends: the embedded SQLite file and a
 * real PostgreSQL (embedded, started by the test). The rules the cluster relies on are checked here
 * at the source: leases, one running item per account, idempotency keys, exactly-once finish.
 */
class JobStoreContractTest {
  private static final byte[] KEY = new byte[32];
  private static final JobRequestValidator VALIDATOR = new JobRequestValidator(100_000);

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

  /** A started store of {@code kind}; for PostgreSQL, {@code url} lets two stores share one database. */
  private JobStore store(String kind, String url) {
    JobStore s = kind.equals("sqlite") ? new SqliteJobStore(vertx, dir.resolve("db.sqlite"), KEY)
        : new PgJobStore(vertx, url, KEY, 4);
    TestService.await(s.start());
    stores.add(s);
    return s;
  }

  private JobStore store(String kind) {
    return store(kind, kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl());
  }

  private static JobRequest request(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a).put("authValue", "key-of-" + a));
    }
    return VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
  }

  /** A job of API-key items with a template, so every account is onboarded too. */
  private static JobRequest templateRequest(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a).put("authValue", "key-of-" + a));
    }
    return VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("template", new JsonObject().put("id", "tmpl-1")).put("activate", new JsonObject().put("interval", 60))
        .put("items", items));
  }

  /** Claims every item of the job (one per account at a time) and records it with {@code status}. */
  private static void finishItems(JobStore s, String job, ItemStatus status) {
    for (int round = 0; round < 20; round++) {
      List<ClaimedItem> items = await(s.claim(job, "n", 100, 60_000));
      if (items.isEmpty()) {
        return;
      }
      await(s.record("n", items.stream().map(i -> new ItemOutcome(i.id(), i.jobId(), i.account(), status, 1L, "c",
          10L, null, null, status == ItemStatus.FAILED ? new JsonObject().put("code", "X") : null, false)).toList()));
    }
  }

  private static AccountOutcome settled(ClaimedAccount a, AccountStatus status, AccountPhase phase) {
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, phase, "cycle-" + a.account(),
        new JsonArray(), null, null, status == AccountStatus.FAILED ? AccountOutcome.error("X", "failed") : null,
        null, null, null, false, false);
  }

  private static <T> T await(Future<T> f) {
    return TestService.await(f);
  }

  private static ItemOutcome installed(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.INSTALLED, 1L, "c", 10L, null, null, null,
        false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void createsAJobWithItemsAndCountsThem(String kind) {
    JobStore s = store(kind);
    JobRecord job = await(s.create(request("a", "b", "c"), "alice", null)).job();
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    assertThat(job.owner()).isEqualTo("alice");
    assertThat(await(s.counts(job.id())).get(ItemStatus.PENDING)).isEqualTo(3);
    assertThat(await(s.pendingItems())).isEqualTo(3);
    assertThat(await(s.recentJobs("alice", 10))).extracting(JobRecord::id).containsExactly(job.id());
    assertThat(await(s.recentJobs("bob", 10))).isEmpty();
    assertThat(await(s.recentJobs(null, 10))).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void itemsAreWrittenInSubmissionOrderWithTheirAuthValuesAcrossMultiRowStatements(String kind) {
    JobStore s = store(kind);
    // Two full multi-row statements and a short one: every row in order, none lost or repeated.
    String[] accounts = java.util.stream.IntStream.range(0, 2 * 64 + 5).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    JobRecord job = await(s.create(request(accounts), "alice", null)).job();
    List<ClaimedItem> claimed = await(s.claim(job.id(), "n", 1_000, 60_000));
    assertThat(claimed).extracting(ClaimedItem::account).containsExactly(accounts);
    assertThat(claimed).extracting(ClaimedItem::authValue)
        .containsExactly(java.util.Arrays.stream(accounts).map(a -> "key-of-" + a).toArray(String[]::new));
    assertThat(claimed).extracting(ClaimedItem::id).isSorted();
    // Pending counts only open jobs' items: once this one is done, a new job's items are all that count.
    await(s.record("n", claimed.stream().map(JobStoreContractTest::installed).toList()));
    assertThat(await(s.pendingItems())).isZero();
    await(s.create(request("x", "y"), "alice", null));
    assertThat(await(s.pendingItems())).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void idempotencyKeysAreScopedToTheCallerAndRacesCreateOneJob(String kind) {
    JobStore s = store(kind);
    List<Future<JobStore.Created>> racing = IntStream.range(0, 6)
        .mapToObj(i -> s.create(request("a", "b"), "alice", "key-1")).toList();
    await(Future.join(new ArrayList<>(racing)));
    Set<String> ids = new HashSet<>();
    racing.forEach(f -> ids.add(f.result().job().id()));
    assertThat(ids).hasSize(1);
    assertThat(racing.stream().filter(f -> !f.result().existing()).count()).isEqualTo(1);
    // The same key from another caller is another job.
    assertThat(await(s.create(request("a", "b"), "bob", "key-1")).job().id()).isNotIn(ids);
    // A different body under the same key is a conflict, and the key is not echoed.
    assertThatThrownBy(() -> await(s.create(request("x"), "alice", "key-1")))
        .hasCauseInstanceOf(Problem.class).cause().hasMessageNotContaining("key-1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void claimsLeaseAtMostOneRunningItemPerAccountAcrossJobsAndNodes(String kind) {
    JobStore s = store(kind);
    String j1 = await(s.create(request("a", "a", "b", "c"), "alice", null)).job().id();
    String j2 = await(s.create(request("a", "b", "d"), "alice", null)).job().id();
    List<ClaimedItem> first = await(s.claim(j1, "node-1", 10, 60_000));
    assertThat(first).extracting(ClaimedItem::account).containsExactly("a", "b", "c");
    assertThat(first).allSatisfy(i -> assertThat(i.authValue()).isEqualTo("key-of-" + i.account()));
    assertThat(first).extracting(ClaimedItem::attempts).containsOnly(1);
    // Another node, another job with overlapping accounts: only the account nobody runs.
    assertThat(await(s.claim(j2, "node-2", 10, 60_000))).extracting(ClaimedItem::account).containsExactly("d");
    assertThat(await(s.claim(j1, "node-2", 10, 60_000))).isEmpty();
    // Once a's item is recorded, the next item of account a can run.
    assertThat(await(s.record("node-1", List.of(installed(first.get(0)))))).hasSize(1);
    assertThat(await(s.claim(j1, "node-2", 10, 60_000))).extracting(ClaimedItem::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void expiredLeasesComeBackAsRecoveredAndTheOldOwnersOutcomeIsDropped(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(request("a", "b"), "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.claim(job, "dead-node", 10, 1));
    assertThat(claimed).hasSize(2);
    TestService.await(vertx.timer(20)); // the 1 ms lease is over on the database clock
    assertThat(await(s.renewLeases("live-node", 60_000))).isZero();
    List<JobStore.Changed> released = await(s.releaseExpired());
    assertThat(released).extracting(JobStore.Changed::account).containsExactlyInAnyOrder("a", "b");
    // The dead node's late outcome does not overwrite what the new owner does.
    List<ClaimedItem> again = await(s.claim(job, "live-node", 10, 60_000));
    assertThat(again).hasSize(2);
    assertThat(await(s.record("dead-node", List.of(installed(claimed.get(0)))))).isEmpty();
    assertThat(await(s.renewLeases("live-node", 60_000))).isEqualTo(2);
    assertThat(await(s.releaseExpired())).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aCancelledJobClaimsOnlyRecoveredItemsAsHaltedAndStaysCancelled(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(request("a", "b", "c"), "alice", null)).job().id();
    List<ClaimedItem> inFlight = await(s.claim(job, "n1", 1, 1));
    TestService.await(vertx.timer(20));
    await(s.releaseExpired()); // item a: in flight when its node died
    List<JobStore.Changed> cancelled = await(s.cancel(job));
    assertThat(cancelled).extracting(JobStore.Changed::account).containsExactly("b", "c");
    List<ClaimedItem> recovered = await(s.claim(job, "n2", 10, 60_000));
    assertThat(recovered).extracting(ClaimedItem::account).containsExactly(inFlight.get(0).account());
    assertThat(recovered.get(0).halted()).isTrue();
    assertThat(await(s.finishIfDone(job))).as("an item still runs").isNull();
    await(s.record("n2", List.of(installed(recovered.get(0)))));
    assertThatThrownBy(() -> await(s.retryFailed(job))).cause().isInstanceOf(Problem.class)
        .hasMessageContaining("cancelled");
    JobRecord finished = await(s.finishIfDone(job));
    assertThat(finished.status()).isEqualTo(JobStatus.CANCELLED);
    assertThatThrownBy(() -> await(s.cancel(job))).cause().isInstanceOf(Problem.class)
        .hasMessageContaining("already finished");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void exactlyOneConcurrentFinishWinsAndRetryReopens(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(request("a", "b"), "alice", null)).job().id();
    List<ClaimedItem> items = await(s.claim(job, "n", 10, 60_000));
    await(s.record("n", List.of(installed(items.get(0)), ItemOutcome.failed(items.get(1), "X", "failed"))));
    List<Future<JobRecord>> finishes = IntStream.range(0, 5).mapToObj(i -> s.finishIfDone(job)).toList();
    await(Future.all(new ArrayList<>(finishes)));
    assertThat(finishes.stream().filter(f -> f.result() != null).toList()).hasSize(1)
        .allSatisfy(f -> assertThat(f.result().status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS));
    assertThat(await(s.retryFailed(job))).extracting(JobStore.Changed::account).containsExactly("b");
    assertThat(await(s.job(job)).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(await(s.finishIfDone(job))).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void twoNodesClaimingTheSameJobAtOnceNeverShareAnItemOrAnAccount(String kind) {
    String url = Postgres.freshDatabaseUrl();
    JobStore a = store(kind, url);
    JobStore b = store(kind, url);
    String[] accounts = IntStream.range(0, 300).mapToObj(i -> "acct-" + (i % 100)).toArray(String[]::new);
    String job = await(a.create(request(accounts), "alice", null)).job().id();
    Set<Long> seen = new HashSet<>();
    int rounds = 0;
    while (seen.size() < 300 && rounds++ < 50) {
      Future<List<ClaimedItem>> fa = a.claim(job, "node-a", 40, 60_000);
      Future<List<ClaimedItem>> fb = b.claim(job, "node-b", 40, 60_000);
      await(Future.join(fa, fb));
      List<ClaimedItem> all = new ArrayList<>();
      all.addAll(fa.result());
      all.addAll(fb.result());
      assertThat(all).extracting(ClaimedItem::account).doesNotHaveDuplicates();
      for (ClaimedItem i : all) {
        assertThat(seen.add(i.id())).as("item %s claimed twice", i.id()).isTrue();
      }
      await(a.record("node-a", fa.result().stream().map(JobStoreContractTest::installed).toList()));
      await(b.record("node-b", fb.result().stream().map(JobStoreContractTest::installed).toList()));
    }
    assertThat(seen).hasSize(300);
  }

  private static ItemOutcome withSignInUrl(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.OAUTH_PENDING, 2L, "Salesforce", 77L,
        "https://cyclr.example/oauth?id=77&token=t", "2030-01-01T00:00:00Z", null, false);
  }

  private static List<String> describe(List<JobEvent> events) {
    return events.stream().map(e -> e.seq() + ":" + e.kind().wire + ":" + e.body().getString("status")).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void everyStatusChangeWritesNumberedEventsAndOutboxRowsInItsOwnTransaction(String kind) {
    JobStore s = store(kind);
    List<JobEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    s.onCommitted(published::addAll);
    s.outboxTypes(Set.of("item.oauth_pending", "item.failed", "job.finished"));
    String job = await(s.create(request("a", "b", "c"), "alice", null)).job().id();
    assertThat(await(s.markRunning(job))).isTrue();
    assertThat(await(s.markRunning(job))).as("no change, no event").isFalse();
    List<ClaimedItem> items = await(s.claim(job, "n", 10, 60_000));
    await(s.record("n", List.of(withSignInUrl(items.get(0)), ItemOutcome.failed(items.get(1), "CYCLR_4XX", "no"),
        installed(items.get(2)))));
    assertThat(await(s.record("n", List.of(installed(items.get(0)))))).as("lease gone: no event").isEmpty();
    JobRecord finished = await(s.finishIfDone(job));
    assertThat(finished.status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    await(s.retryFailed(job));

    List<JobEvent> log = await(s.events(job, 0, 100));
    assertThat(describe(log)).containsExactly("1:job:PENDING", "2:job:RUNNING", "3:item:RUNNING", "4:item:RUNNING",
        "5:item:RUNNING", "6:item:OAUTH_PENDING", "7:oauth:null", "8:item:FAILED", "9:item:INSTALLED",
        "10:job:COMPLETED_WITH_ERRORS", "11:item:PENDING", "12:job:RUNNING");
    assertThat(published).as("what was committed is what is published, in order").isEqualTo(log);
    assertThat(await(s.events(job, 10, 100))).extracting(JobEvent::seq).containsExactly(11L, 12L);
    assertThat(log.get(6).body().getString("url")).isEqualTo("https://cyclr.example/oauth?id=77&token=t");
    assertThat(log.get(9).body().getJsonObject("counts").getLong("FAILED")).isEqualTo(1);

    // The outbox holds the three webhook-worthy events; item data is the item as GET …/items shows it.
    WebhookOutbox.Page page = await(s.outbox().list(null, null, 10, null));
    assertThat(page.deliveries()).extracting(d -> d.getString("type"))
        .containsExactly("job.finished", "item.failed", "item.oauth_pending");
    JsonObject oauthItem = await(s.items(job, ItemStatus.OAUTH_PENDING, 10, null)).items().getJsonObject(0);
    JsonObject data = page.deliveries().get(2).getJsonObject("payload").getJsonObject("data");
    assertThat(data.copy().put("jobId", (String) null)).isEqualTo(oauthItem.copy().put("jobId", (String) null));
    assertThat(data.getString("jobId")).isEqualTo(job);
    assertThat(page.deliveries()).allSatisfy(d -> assertThat(d.encode()).doesNotContain("key-of-"));
    assertThat(await(s.outbox().list(null, "bob", 10, null)).deliveries()).as("another caller's").isEmpty();
    assertThat(await(s.outbox().list(null, "alice", 10, null)).deliveries()).hasSize(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void deliveriesAreLeasedToOneSenderRetriedGivenUpReplayedAndPruned(String kind) {
    String url = kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl();
    JobStore s = store(kind, url);
    WebhookOutbox other = kind.equals("sqlite") ? s.outbox() : store(kind, url).outbox();
    s.outboxTypes(Set.of("job.finished"));
    for (int i = 0; i < 6; i++) {
      String job = await(s.create(request("x" + i), "alice", null)).job().id();
      List<ClaimedItem> items = await(s.claim(job, "n", 10, 60_000));
      await(s.record("n", List.of(installed(items.get(0)))));
      await(s.finishIfDone(job));
    }
    WebhookOutbox box = s.outbox();
    // Two senders at once never get the same delivery.
    Future<List<WebhookOutbox.Due>> fa = box.claimDue("sender-a", 4, 60_000);
    Future<List<WebhookOutbox.Due>> fb = other.claimDue("sender-b", 4, 60_000);
    await(Future.join(fa, fb));
    Set<String> ids = new HashSet<>();
    fa.result().forEach(d -> assertThat(ids.add(d.id())).isTrue());
    fb.result().forEach(d -> assertThat(ids.add(d.id())).isTrue());
    assertThat(ids).hasSize(6);
    assertThat(await(box.claimDue("sender-c", 10, 60_000))).as("all leased").isEmpty();

    List<WebhookOutbox.Due> leased = new ArrayList<>(fa.result());
    leased.addAll(fb.result());
    String[] owner = new String[leased.size()];
    for (int i = 0; i < leased.size(); i++) {
      owner[i] = fa.result().contains(leased.get(i)) ? "sender-a" : "sender-b";
    }
    WebhookOutbox.Due first = leased.get(0);
    assertThat(await(box.delivered(first.id(), "sender-z", 200))).as("not the lease holder").isFalse();
    assertThat(await(box.delivered(first.id(), owner[0], 204))).isTrue();
    // A failure within the window: PENDING, due again; past the window: FAILED.
    assertThat(await(box.attemptFailed(leased.get(1).id(), owner[1], 503, "HTTP 503", 0, 3_600_000)))
        .isEqualTo("PENDING");
    assertThat(await(box.attemptFailed(leased.get(2).id(), owner[2], null, "timeout after 15 s", 0, 0)))
        .isEqualTo("FAILED");
    List<WebhookOutbox.Due> again = await(box.claimDue("sender-c", 10, 60_000));
    assertThat(again).extracting(WebhookOutbox.Due::id).containsExactly(leased.get(1).id());
    assertThat(again.get(0).attempts()).isEqualTo(1);
    assertThat(again.get(0).payload()).isEqualTo(leased.get(1).payload());
    assertThat(await(box.release("sender-c"))).isEqualTo(1);
    assertThat(await(box.releaseAll())).isEqualTo(3);

    JsonObject failed = await(box.list("FAILED", null, 10, null)).deliveries().get(0);
    assertThat(failed.getJsonObject("lastResult").getString("error")).isEqualTo("timeout after 15 s");
    JsonObject replayed = await(box.replay(failed.getString("id"), "alice"));
    assertThat(replayed.getString("status")).isEqualTo("PENDING");
    assertThat(await(box.replay(failed.getString("id"), "bob"))).as("not bob's").isNull();
    assertThat(await(box.counts())).isEqualTo(new JsonObject().put("PENDING", 5L).put("DELIVERED", 1L)
        .put("FAILED", 0L));

    // Paging, newest first.
    WebhookOutbox.Page p1 = await(box.list(null, null, 4, null));
    WebhookOutbox.Page p2 = await(box.list(null, null, 4, p1.next()));
    assertThat(p1.deliveries()).hasSize(4);
    assertThat(p2.deliveries()).hasSize(2);
    assertThat(p2.next()).isNull();

    // A 410 disables the endpoint for every node until it is enabled again.
    await(box.disableEndpoint("hash-1", "HTTP 410 Gone"));
    assertThat(await(other.endpoint("hash-1")).enabled()).isFalse();
    assertThat(await(other.endpoint("hash-2")).enabled()).isTrue();
    await(box.enableEndpoint("hash-1"));
    assertThat(await(other.endpoint("hash-1")).enabled()).isTrue();

    // Retention: settled deliveries before a time, and the events of jobs finished before it.
    String future = java.time.Instant.now().plusSeconds(60).toString();
    assertThat(await(box.prune("DELIVERED", future, 100))).isEqualTo(1);
    assertThat(await(s.pruneEvents(future, 100))).isGreaterThan(0);
    assertThat(await(s.pruneEvents(future, 100))).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void eventNumbersHaveNoGapsOrRepeatsWhenTwoNodesWorkOnOneJob(String kind) {
    String url = Postgres.freshDatabaseUrl();
    JobStore a = store(kind, url);
    JobStore b = store(kind, url);
    String[] accounts = IntStream.range(0, 200).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    String job = await(a.create(request(accounts), "alice", null)).job().id();
    for (int round = 0; round < 20; round++) {
      Future<List<ItemOutcome>> ra = a.claim(job, "node-a", 10, 60_000)
          .compose(l -> a.record("node-a", l.stream().map(JobStoreContractTest::installed).toList()));
      Future<List<ItemOutcome>> rb = b.claim(job, "node-b", 10, 60_000)
          .compose(l -> b.record("node-b", l.stream().map(JobStoreContractTest::installed).toList()));
      await(Future.join(ra, rb));
    }
    await(a.finishIfDone(job));
    List<JobEvent> log = new ArrayList<>();
    long after = 0;
    List<JobEvent> page;
    do {
      page = await(b.events(job, after, 150));
      log.addAll(page);
      after = page.isEmpty() ? after : page.get(page.size() - 1).seq();
    } while (!page.isEmpty());
    assertThat(log).extracting(JobEvent::seq)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 402).boxed().toList());
    assertThat(log.get(401).body().getString("status")).isEqualTo("SUCCEEDED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aDatabaseMigratedByANewerBuildIsRefused(String kind) throws Exception {
    String url = kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl();
    JobStore first = store(kind, url);
    await(first.close());
    stores.remove(first);
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      st.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
          + "installed_by, installed_on, execution_time, success) VALUES (99, '99', 'from the future', 'SQL', "
          + "'V99__future.sql', 0, 'test', CURRENT_TIMESTAMP, 1, " + (kind.equals("sqlite") ? "1" : "true") + ")");
    }
    JobStore again = kind.equals("sqlite") ? new SqliteJobStore(vertx, dir.resolve("db.sqlite"), KEY)
        : new PgJobStore(vertx, url, KEY, 2);
    // The newest version this build knows is its newest migration file, not the database's version.
    int newest;
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration", kind))) {
      newest = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*"))
          .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow();
    }
    assertThatThrownBy(() -> await(again.start())).cause().isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("schema is at version 99, newer than this build")
        .hasMessageContaining("(" + newest + " is the newest it knows)");
  }

  // ---- sign-in links and the sign-in watch -----------------------------------------------------

  private static final String PUBLIC = "https://onboard.example.com";

  private static SignInPolicy relay(long ttlMs, long firstMs) {
    return new SignInPolicy(PUBLIC, ttlMs, firstMs, Math.max(firstMs, 900_000));
  }

  private static ItemOutcome oauthPending(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.OAUTH_PENDING, 2L, "Salesforce",
        1000 + i.id(), null, null, null, false);
  }

  /** A job of OAUTH_PENDING items (installed, sign-in links issued); the outcomes as recorded. */
  private List<ItemOutcome> pendingSignIns(JobStore s, String... accounts) {
    String job = await(s.create(request(accounts), "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.claim(job, "n", 100, 60_000));
    return await(s.record("n", claimed.stream().map(JobStoreContractTest::oauthPending).toList()));
  }

  private static String token(ItemOutcome o) {
    return o.relayUrl().substring(o.relayUrl().lastIndexOf('/') + 1);
  }

  /** Every text value of the links and items tables, to prove what is not stored. */
  private String storedText(String kind, String url) throws Exception {
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    StringBuilder all = new StringBuilder();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      for (String table : List.of("links", "items")) {
        try (java.sql.ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
          while (rs.next()) {
            for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
              all.append(rs.getString(col)).append('|');
            }
          }
        }
      }
    }
    return all.toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void relayLinksAreIssuedWithTheOutcomeAndStoredOnlyAsAHash(String kind) throws Exception {
    String url = kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl();
    JobStore s = store(kind, url);
    s.signIns().configure(relay(3_600_000, 30_000));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    assertThat(recorded).allSatisfy(o -> {
      assertThat(o.relayUrl()).matches(java.util.regex.Pattern.quote(PUBLIC) + "/connect/[A-Za-z0-9_-]{43}");
      assertThat(o.url()).isEqualTo(o.relayUrl());
      assertThat(java.time.Instant.parse(o.relayExpiresAt()))
          .isBetween(java.time.Instant.now().plusSeconds(3500), java.time.Instant.now().plusSeconds(3700));
    });
    String token = token(recorded.get(0));
    SignInStore.LinkView view = await(s.signIns().link(token));
    assertThat(view.itemId()).isEqualTo(recorded.get(0).itemId());
    assertThat(view.status()).isEqualTo(ItemStatus.OAUTH_PENDING);
    assertThat(view.usable()).isTrue();
    assertThat(view.connectorName()).isEqualTo("Salesforce");
    assertThat(view.accountConnectorId()).isEqualTo(1000 + recorded.get(0).itemId());
    assertThat(await(s.signIns().link("A".repeat(43)))).isNull();
    // The item listing shows the link again (derived with the store key), yet the database holds no token.
    JsonObject listed = await(s.items(recorded.get(0).jobId(), null, 10, null)).items().getJsonObject(0);
    assertThat(listed.getJsonObject("oauth").getString("url")).isEqualTo(recorded.get(0).relayUrl());
    String stored = storedText(kind, url);
    for (ItemOutcome o : recorded) {
      assertThat(stored).doesNotContain(token(o)).contains(SecretBox.sha256Hex(token(o)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void dueWatchesAreClaimedByOneNodeAtATimeAndAStaleOwnerCannotReschedule(String kind) {
    String url = kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl();
    JobStore a = store(kind, url);
    // SQLite is one process: its "nodes" share one store. PostgreSQL: two pools, as two nodes would.
    JobStore b = kind.equals("sqlite") ? a : store(kind, url);
    a.signIns().configure(relay(3_600_000, 1));
    b.signIns().configure(relay(3_600_000, 1));
    String[] accounts = IntStream.range(0, 40).mapToObj(i -> "w-" + i).toArray(String[]::new);
    pendingSignIns(a, accounts);
    TestService.await(vertx.timer(30)); // due on the database clock (first interval 1 ms ±10 %)
    Set<Long> claimed = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      Future<List<SignInStore.Watched>> fa = a.signIns().claimWatches("node-a", 15, 60_000);
      Future<List<SignInStore.Watched>> fb = b.signIns().claimWatches("node-b", 15, 60_000);
      await(Future.join(fa, fb));
      for (SignInStore.Watched w : concat(fa.result(), fb.result())) {
        assertThat(claimed.add(w.itemId())).as("watch %s claimed twice", w.itemId()).isTrue();
        assertThat(w.intervalMs()).isEqualTo(1);
        assertThat(w.accountConnectorId()).isEqualTo(1000 + w.itemId());
      }
    }
    assertThat(claimed).hasSize(40);
    assertThat(await(a.signIns().claimWatches("node-c", 100, 60_000))).as("leased, not due").isEmpty();
    long one = claimed.iterator().next();
    assertThat(await(a.signIns().watchAgain("node-c", one, 2, 1))).as("not its watch").isFalse();

    // node-x claims with a 1 ms lease and stalls; node-y takes over; node-x's late answer changes nothing.
    String job = await(a.create(request("z"), "alice", null)).job().id();
    List<ClaimedItem> z = await(a.claim(job, "n", 1, 60_000));
    await(a.record("n", List.of(oauthPending(z.get(0)))));
    TestService.await(vertx.timer(30));
    assertThat(await(a.signIns().claimWatches("node-x", 10, 1))).extracting(SignInStore.Watched::itemId)
        .containsExactly(z.get(0).id());
    TestService.await(vertx.timer(30));
    assertThat(await(b.signIns().claimWatches("node-y", 10, 60_000))).extracting(SignInStore.Watched::itemId)
        .containsExactly(z.get(0).id());
    assertThat(await(a.signIns().watchAgain("node-x", z.get(0).id(), 2, 1))).isFalse();
    assertThat(await(b.signIns().watchAgain("node-y", z.get(0).id(), 2, 60_000))).isTrue();
    assertThat(await(a.signIns().nextWatchDueInMs())).isBetween(0L, 60_000L);
  }

  private static <T> List<T> concat(List<T> x, List<T> y) {
    List<T> all = new ArrayList<>(x);
    all.addAll(y);
    return all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void twoNodesRecordingSignInsOfTheSameJobsInOppositeOrderNeverDeadlock(String kind) {
    String url = Postgres.freshDatabaseUrl();
    JobStore a = store(kind, url);
    JobStore b = store(kind, url);
    a.signIns().configure(relay(3_600_000, 60_000));
    b.signIns().configure(relay(3_600_000, 60_000));
    for (int round = 0; round < 5; round++) {
      int r = round;
      String j1 = await(a.create(request(IntStream.range(0, 20).mapToObj(i -> "d" + r + "-" + i)
          .toArray(String[]::new)), "alice", null)).job().id();
      String j2 = await(a.create(request(IntStream.range(0, 20).mapToObj(i -> "e" + r + "-" + i)
          .toArray(String[]::new)), "alice", null)).job().id();
      // Each node's batch holds items of both jobs, in opposite orders: both lock both job rows.
      List<ItemOutcome> fromA = new ArrayList<>();
      await(a.claim(j1, "node-a", 10, 60_000)).forEach(i -> fromA.add(oauthPending(i)));
      await(a.claim(j2, "node-a", 10, 60_000)).forEach(i -> fromA.add(oauthPending(i)));
      List<ItemOutcome> fromB = new ArrayList<>();
      await(b.claim(j2, "node-b", 10, 60_000)).forEach(i -> fromB.add(oauthPending(i)));
      await(b.claim(j1, "node-b", 10, 60_000)).forEach(i -> fromB.add(oauthPending(i)));
      Future<List<ItemOutcome>> ra = a.record("node-a", fromA);
      Future<List<ItemOutcome>> rb = b.record("node-b", fromB);
      await(Future.join(ra, rb));
      assertThat(ra.succeeded() && rb.succeeded()).as("%s / %s", ra.cause(), rb.cause()).isTrue();
      assertThat(ra.result()).hasSize(20).allSatisfy(o -> assertThat(o.relayUrl()).isNotNull());
      assertThat(rb.result()).hasSize(20);
      assertThat(await(a.counts(j1)).get(ItemStatus.OAUTH_PENDING)).isEqualTo(20);
      assertThat(await(a.counts(j2)).get(ItemStatus.OAUTH_PENDING)).isEqualTo(20);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aSignInIsRecordedOnceEvenAfterTheJobFinishedAndCountedInTheSummary(String kind) {
    JobStore s = store(kind);
    s.signIns().configure(relay(3_600_000, 1));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    String job = recorded.get(0).jobId();
    assertThat(await(s.finishIfDone(job)).status()).as("OAUTH_PENDING is final for the job")
        .isEqualTo(JobStatus.SUCCEEDED);
    long item = recorded.get(0).itemId();
    List<Future<SignInStore.Authenticated>> racing = IntStream.range(0, 5)
        .mapToObj(i -> s.signIns().markAuthenticated(item)).toList();
    await(Future.all(new ArrayList<>(racing)));
    assertThat(racing.stream().filter(f -> f.result() != null).toList()).hasSize(1)
        .allSatisfy(f -> assertThat(f.result().account()).isEqualTo("a"));
    assertThat(await(s.counts(job))).containsEntry(ItemStatus.AUTHENTICATED, 1L)
        .containsEntry(ItemStatus.OAUTH_PENDING, 1L);
    assertThat(await(s.job(job)).status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(s.finishIfDone(job))).isNull();
    assertThat(await(s.signIns().link(token(recorded.get(0)))).status()).isEqualTo(ItemStatus.AUTHENTICATED);
    TestService.await(vertx.timer(30));
    assertThat(await(s.signIns().claimWatches("n", 10, 60_000))).extracting(SignInStore.Watched::itemId)
        .as("a signed-in item is no longer watched").containsExactly(recorded.get(1).itemId());
    assertThatThrownBy(() -> await(s.signIns().reissue(job, item))).cause().isInstanceOf(Problem.class)
        .hasMessageContaining("signed in already");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aReissueRevokesTheOldLinkAndACancelRevokesTheJobsLinks(String kind) {
    JobStore s = store(kind);
    s.signIns().configure(relay(3_600_000, 60_000));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    String job = recorded.get(0).jobId();
    SignInStore.IssuedLink fresh = await(s.signIns().reissue(job, recorded.get(0).itemId()));
    assertThat(fresh.url()).startsWith(PUBLIC + "/connect/").isNotEqualTo(recorded.get(0).relayUrl());
    assertThat(fresh.target().account()).isEqualTo("a");
    assertThat(fresh.target().connectorName()).isEqualTo("Salesforce");
    assertThat(await(s.signIns().link(token(recorded.get(0)))).revoked()).isTrue();
    String freshToken = fresh.url().substring(fresh.url().lastIndexOf('/') + 1);
    assertThat(await(s.signIns().link(freshToken)).usable()).isTrue();
    assertThatThrownBy(() -> await(s.signIns().reissue(job, 999_999))).cause().isInstanceOf(Problem.class)
        .hasMessageContaining("has no item");

    // An unfinished job (one item still running) is cancelled: links revoked, none issued afterwards.
    String other = await(s.create(request("c", "d"), "alice", null)).job().id();
    List<ClaimedItem> cd = await(s.claim(other, "n", 10, 60_000));
    List<ItemOutcome> c = await(s.record("n", List.of(oauthPending(cd.get(0)))));
    await(s.cancel(other));
    assertThat(await(s.signIns().link(token(c.get(0)))).revoked()).isTrue();
    List<ItemOutcome> d = await(s.record("n", List.of(oauthPending(cd.get(1)))));
    assertThat(d.get(0).relayUrl()).as("no link in a cancelled job").isNull();
    assertThatThrownBy(() -> await(s.signIns().reissue(other, cd.get(1).id()))).cause()
        .isInstanceOf(Problem.class).hasMessageContaining("cancelled");

    assertThat(await(s.signIns().revokeLinks(job))).isEqualTo(2);
    assertThat(await(s.signIns().link(freshToken)).revoked()).isTrue();
    assertThat(await(s.signIns().revokeLinks(job))).isZero();
    TestService.await(vertx.timer(30));
    assertThat(await(s.signIns().nextWatchDueInMs())).as("no watch left").isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void linksAndWatchesExpireOnTheDatabaseClock(String kind) {
    JobStore s = store(kind);
    s.signIns().configure(relay(20, 1));
    List<ItemOutcome> recorded = pendingSignIns(s, "a");
    TestService.await(vertx.timer(60));
    SignInStore.LinkView view = await(s.signIns().link(token(recorded.get(0))));
    assertThat(view.expired()).isTrue();
    assertThat(view.usable()).isFalse();
    assertThat(await(s.signIns().claimWatches("n", 10, 60_000))).as("the watch ends with the link").isEmpty();
    assertThat(await(s.signIns().expireWatches())).isEqualTo(1);
    assertThat(await(s.signIns().nextWatchDueInMs())).isNull();
  }

  @org.junit.jupiter.api.Test
  void aSecondServiceOnTheSameSqliteFileIsRefused() {
    store("sqlite");
    JobStore second = new SqliteJobStore(vertx, dir.resolve("db.sqlite"), KEY);
    assertThatThrownBy(() -> await(second.start())).cause().isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("another cyclr-onboarder process is using");
  }

  @org.junit.jupiter.api.Test
  void aFullDiskIsRecognisedAsSuchAndTheStoreKeepsWorkingOnceThereIsSpace() throws Exception {
    JobStore s = store("sqlite");
    await(s.create(request("a"), "alice", null));
    // SQLite's page cap stands in for a full disk: it fails writes with SQLITE_FULL, as ENOSPC does.
    java.nio.file.Path db = dir.resolve("db.sqlite");
    Throwable full;
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
         java.sql.Statement st = c.createStatement()) {
      st.execute("PRAGMA max_page_count = 1");
      full = org.assertj.core.api.Assertions.catchThrowable(() -> st.execute(
          "INSERT INTO items (job_id, account, spec, status, attempts) "
              + "SELECT job_id, account || 'x', hex(zeroblob(1000000)), status, 0 FROM items"));
    }
    assertThat(full).isNotNull();
    assertThat(StoreErrors.isDiskFull(full)).isTrue();
    assertThat(StoreErrors.isDiskFull(new RuntimeException("UNIQUE constraint failed"))).isFalse();
    assertThat(StoreErrors.isDiskFull(new RuntimeException("ERROR: could not extend file: No space left on device "
        + "(53100)"))).isTrue();
    // The service's own connection was never capped: it still writes.
    assertThat(await(s.create(request("b"), "alice", null)).existing()).isFalse();
  }

  // ---- accounts of jobs with a template ----------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void anAccountOfATemplateJobIsDueOnlyOnceAllItsItemsEnded(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a", "a", "b"), "alice", null)).job().id();
    assertThat(await(s.accountCounts(job))).containsEntry(AccountStatus.WAITING, 2L);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).isEmpty();
    List<ClaimedItem> first = await(s.claim(job, "n", 10, 60_000));
    assertThat(first).extracting(ClaimedItem::account).containsExactly("a", "b");
    await(s.record("n", first.stream().map(JobStoreContractTest::installed).toList()));
    // b is done; a still has a PENDING item.
    List<ClaimedAccount> due = await(s.claimAccounts("n", 10, 60_000));
    assertThat(due).extracting(ClaimedAccount::account).containsExactly("b");
    assertThat(due.get(0).items()).extracting(ClaimedAccount.ItemState::status).containsExactly("INSTALLED");
    assertThat(due.get(0).status()).isEqualTo(AccountStatus.WAITING);
    assertThat(due.get(0).phase()).isEqualTo(AccountPhase.ITEMS);
    assertThat(await(s.finishIfDone(job))).as("items and an account step still run").isNull();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).extracting(ClaimedAccount::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void accountStepsOfOneAccountNeverRunTogetherNorBesideItsItems(String kind) {
    JobStore s = store(kind);
    String j1 = await(s.create(templateRequest("x", "y"), "alice", null)).job().id();
    String j2 = await(s.create(templateRequest("x"), "alice", null)).job().id();
    finishItems(s, j1, ItemStatus.INSTALLED);
    finishItems(s, j2, ItemStatus.ALREADY_INSTALLED);
    String j3 = await(s.create(request("x", "y"), "alice", null)).job().id();
    List<ClaimedAccount> mine = await(s.claimAccounts("node-1", 10, 60_000));
    assertThat(mine).extracting(ClaimedAccount::account).containsExactlyInAnyOrder("x", "y");
    assertThat(await(s.claimAccounts("node-2", 10, 60_000))).as("x's other account step waits").isEmpty();
    assertThat(await(s.claim(j3, "node-2", 10, 60_000))).as("no item beside an account step").isEmpty();
    ClaimedAccount x = mine.stream().filter(a -> a.account().equals("x")).findFirst().orElseThrow();
    await(s.recordAccounts("node-1", List.of(settled(x, AccountStatus.ACTIVE, AccountPhase.DONE))));
    // x is free: either its item of j3 or its other account step may go, never both.
    List<ClaimedItem> items = await(s.claim(j3, "node-2", 10, 60_000));
    assertThat(items).extracting(ClaimedItem::account).containsExactly("x");
    assertThat(await(s.claimAccounts("node-2", 10, 60_000))).isEmpty();
    await(s.record("node-2", items.stream().map(JobStoreContractTest::installed).toList()));
    assertThat(await(s.claimAccounts("node-2", 10, 60_000))).extracting(ClaimedAccount::jobId).containsExactly(j2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void anExpiredAccountLeaseComesBackRecoveredAndTheOldOwnersOutcomeIsDropped(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> claimed = await(s.claimAccounts("dead-node", 10, 1));
    assertThat(claimed).hasSize(1);
    assertThat(claimed.get(0).recovered()).isFalse();
    TestService.await(vertx.timer(20));
    assertThat(await(s.releaseExpiredAccounts())).extracting(JobStore.AccountChanged::account).containsExactly("a");
    List<ClaimedAccount> again = await(s.claimAccounts("live-node", 10, 60_000));
    assertThat(again).hasSize(1);
    assertThat(again.get(0).recovered()).as("the dead node may have sent a template install").isTrue();
    assertThat(await(s.recordAccounts("dead-node", List.of(settled(claimed.get(0), AccountStatus.ACTIVE,
        AccountPhase.DONE)))).applied()).isEmpty();
    assertThat(await(s.renewLeases("live-node", 60_000))).isEqualTo(1);
    assertThat(await(s.releaseExpiredAccounts())).isEmpty();
    assertThat(await(s.recordAccounts("live-node", List.of(settled(again.get(0), AccountStatus.ACTIVE,
        AccountPhase.DONE)))).applied()).hasSize(1);
    JsonObject shown = await(s.accounts(job, null, 10, null)).items().getJsonObject(0);
    assertThat(shown.getString("status")).isEqualTo("ACTIVE");
    assertThat(shown.getString("cycleId")).isEqualTo("cycle-a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aJobFinishesWhenItsAccountsSettleOrWaitForASignInAndAFailedAccountIsAnError(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a", "b", "c"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.finishIfDone(job))).as("accounts are due").isNull();
    List<ClaimedAccount> due = await(s.claimAccounts("n", 10, 60_000));
    assertThat(due).hasSize(3);
    ClaimedAccount a = due.get(0);
    ClaimedAccount b = due.get(1);
    ClaimedAccount c = due.get(2);
    // a waits for a template connector's sign-in (watched, later), b is active, c failed.
    AccountOutcome watching = new AccountOutcome(a.id(), job, "a", a.status(), AccountStatus.WAITING,
        AccountPhase.WATCH, "cycle-a", new JsonArray().add(new JsonObject().put("code", 20)), new JsonArray()
        .add(new JsonObject().put("accountConnectorId", 7)), null, null, 3_600_000L, 1_000L, 86_400_000L, false,
        false);
    await(s.recordAccounts("n", List.of(watching, settled(b, AccountStatus.ACTIVE, AccountPhase.DONE))));
    assertThat(await(s.finishIfDone(job))).as("c's step still runs").isNull();
    await(s.recordAccounts("n", List.of(settled(c, AccountStatus.FAILED, AccountPhase.DONE))));
    JobRecord finished = await(s.finishIfDone(job));
    assertThat(finished.status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.accountCounts(job))).containsEntry(AccountStatus.WAITING, 1L)
        .containsEntry(AccountStatus.ACTIVE, 1L).containsEntry(AccountStatus.FAILED, 1L);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).as("the watch is due in an hour").isEmpty();
    JsonObject shownA = await(s.accounts(job, AccountStatus.WAITING, 10, null)).items().getJsonObject(0);
    assertThat(shownA.getJsonArray("signIns")).hasSize(1);
    assertThat(shownA.getJsonArray("prerequisites")).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void retryReRunsFailedAccountsAndRechecksSetupRequiredOnes(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a", "b", "c"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> due = await(s.claimAccounts("n", 10, 60_000));
    await(s.recordAccounts("n", List.of(settled(due.get(0), AccountStatus.FAILED, AccountPhase.DONE),
        settled(due.get(1), AccountStatus.SETUP_REQUIRED, AccountPhase.DONE),
        settled(due.get(2), AccountStatus.ACTIVE, AccountPhase.DONE))));
    assertThat(await(s.finishIfDone(job)).status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    JobStore.Retried retried = await(s.retry(job));
    assertThat(retried.items()).isEmpty();
    assertThat(retried.accounts()).extracting(JobStore.AccountChanged::account, JobStore.AccountChanged::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", AccountStatus.WAITING),
            org.assertj.core.groups.Tuple.tuple("b", AccountStatus.SETUP_REQUIRED));
    assertThat(await(s.job(job)).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).extracting(ClaimedAccount::account)
        .containsExactly("a", "b");
    assertThat(await(s.retry(job)).isEmpty()).as("nothing settled to retry while they run").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void retriedItemsKeepTheirAccountWaitingUntilTheyEnd(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.FAILED);
    List<ClaimedAccount> due = await(s.claimAccounts("n", 10, 60_000));
    assertThat(due.get(0).items()).extracting(ClaimedAccount.ItemState::status).containsExactly("FAILED");
    await(s.recordAccounts("n", List.of(settled(due.get(0), AccountStatus.FAILED, AccountPhase.DONE))));
    JobStore.Retried retried = await(s.retry(job));
    assertThat(retried.items()).hasSize(1);
    assertThat(retried.accounts()).hasSize(1);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).as("its item runs again first").isEmpty();
    finishItems(s, job, ItemStatus.INSTALLED);
    assertThat(await(s.claimAccounts("n", 10, 60_000))).extracting(ClaimedAccount::account).containsExactly("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aCancelHaltsAccountsWhoseStepNeverStartedButARecoveredStepIsStillChecked(String kind) {
    JobStore s = store(kind);
    String job = await(s.create(templateRequest("a", "b"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.INSTALLED);
    List<ClaimedAccount> dying = await(s.claimAccounts("dead-node", 1, 1));
    assertThat(dying).extracting(ClaimedAccount::account).containsExactly("a");
    TestService.await(vertx.timer(20));
    await(s.releaseExpiredAccounts());
    await(s.cancel(job));
    List<ClaimedAccount> recovered = await(s.claimAccounts("n", 10, 60_000));
    assertThat(recovered).extracting(ClaimedAccount::account).containsExactly("a");
    assertThat(recovered.get(0).halted()).isTrue();
    assertThat(recovered.get(0).recovered()).isTrue();
    assertThat(await(s.finishIfDone(job))).as("a's check runs").isNull();
    await(s.recordAccounts("n", List.of(settled(recovered.get(0), AccountStatus.INSTALLED, AccountPhase.HALTED))));
    assertThat(await(s.finishIfDone(job)).status()).isEqualTo(JobStatus.CANCELLED);
    JsonObject b = await(s.accounts(job, null, 10, null)).items().getJsonObject(1);
    assertThat(b.getString("status")).isEqualTo("WAITING");
    assertThat(b.getJsonObject("error").getString("code")).isEqualTo("CANCELLED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void anAccountWaitingForAnItemsSignInIsDueOnceNoItemWaitsAnyMore(String kind) throws Exception {
    String url = kind.equals("sqlite") ? null : Postgres.freshDatabaseUrl();
    JobStore s = store(kind, url);
    String job = await(s.create(templateRequest("a"), "alice", null)).job().id();
    finishItems(s, job, ItemStatus.OAUTH_PENDING);
    List<ClaimedAccount> due = await(s.claimAccounts("n", 10, 60_000));
    await(s.recordAccounts("n", List.of(AccountOutcome.decided(due.get(0), AccountStatus.WAITING,
        AccountPhase.SIGN_IN, null))));
    assertThat(await(s.finishIfDone(job)).status()).as("a sign-in does not hold the job")
        .isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(s.sweepAccounts(true))).isZero();
    assertThat(await(s.claimAccounts("n", 10, 60_000))).isEmpty();
    // The sign-in watch (another part of the service) moves the item on.
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      st.execute("UPDATE items SET status = 'AUTHENTICATED' WHERE job_id = '" + job + "'");
    }
    await(s.nudgeAccount(job, "a"));
    List<ClaimedAccount> signedIn = await(s.claimAccounts("n", 10, 60_000));
    assertThat(signedIn).extracting(ClaimedAccount::account).containsExactly("a");
    assertThat(signedIn.get(0).items()).extracting(ClaimedAccount.ItemState::status)
        .containsExactly("AUTHENTICATED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void twoNodesClaimingAccountStepsAtOnceNeverRunOneAccountTwice(String kind) {
    String url = Postgres.freshDatabaseUrl();
    JobStore a = store(kind, url);
    JobStore b = store(kind, url);
    String[] accounts = IntStream.range(0, 60).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    // Two jobs with the same template and the same accounts: 120 account steps over 60 Cyclr accounts.
    String j1 = await(a.create(templateRequest(accounts), "alice", null)).job().id();
    String j2 = await(a.create(templateRequest(accounts), "alice", null)).job().id();
    finishItems(a, j1, ItemStatus.INSTALLED);
    finishItems(a, j2, ItemStatus.INSTALLED);
    Set<String> seen = new HashSet<>();
    int rounds = 0;
    while (seen.size() < 120 && rounds++ < 50) {
      Future<List<ClaimedAccount>> fa = a.claimAccounts("node-a", 25, 60_000);
      Future<List<ClaimedAccount>> fb = b.claimAccounts("node-b", 25, 60_000);
      await(Future.join(fa, fb));
      List<ClaimedAccount> all = new ArrayList<>(fa.result());
      all.addAll(fb.result());
      assertThat(all).extracting(ClaimedAccount::account).as("round %s", rounds).doesNotHaveDuplicates();
      for (ClaimedAccount c : all) {
        assertThat(seen.add(c.jobId() + "/" + c.account())).as("%s claimed twice", c.account()).isTrue();
      }
      await(a.recordAccounts("node-a", fa.result().stream()
          .map(c -> settled(c, AccountStatus.ACTIVE, AccountPhase.DONE)).toList()));
      await(b.recordAccounts("node-b", fb.result().stream()
          .map(c -> settled(c, AccountStatus.ACTIVE, AccountPhase.DONE)).toList()));
    }
    assertThat(seen).hasSize(120);
    assertThat(await(a.finishIfDone(j1)).status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(b.finishIfDone(j2)).status()).isEqualTo(JobStatus.SUCCEEDED);
  }
}
