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

/** Relay links and the sign-in watch: links stored only as hashes, watches leased to one node, expiry on the database clock. */
class SignInsContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void relayLinksAreIssuedWithTheOutcomeAndStoredOnlyAsAHash(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts s = store(kind, url, relay(3_600_000, 30_000));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    assertThat(recorded).allSatisfy(o -> {
      assertThat(o.relayUrl()).matches(java.util.regex.Pattern.quote(PUBLIC) + "/connect/[A-Za-z0-9_-]{43}");
      assertThat(o.url()).isEqualTo(o.relayUrl());
      assertThat(java.time.Instant.parse(o.relayExpiresAt()))
          .isBetween(java.time.Instant.now().plusSeconds(3500), java.time.Instant.now().plusSeconds(3700));
    });
    String token = token(recorded.get(0));
    SignIns.LinkView view = await(s.signIns().link(token));
    assertThat(view.itemId()).isEqualTo(recorded.get(0).itemId());
    assertThat(view.status()).isEqualTo(ItemStatus.OAUTH_PENDING);
    assertThat(view.usable()).isTrue();
    assertThat(view.connectorName()).isEqualTo("Salesforce");
    assertThat(view.accountConnectorId()).isEqualTo(1000 + recorded.get(0).itemId());
    assertThat(await(s.signIns().link("A".repeat(43)))).isNull();
    // The item listing shows the link again (derived with the store key), yet the database holds no token.
    JsonObject listed = await(s.items().page(recorded.get(0).jobId(), null, 10, null)).items().getJsonObject(0);
    assertThat(listed.getJsonObject("oauth").getString("url")).isEqualTo(recorded.get(0).relayUrl());
    String stored = storedText(kind, url);
    for (ItemOutcome o : recorded) {
      assertThat(stored).doesNotContain(token(o)).contains(SecretBox.sha256Hex(token(o)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void dueWatchesAreClaimedByOneNodeAtATimeAndAStaleOwnerCannotReschedule(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url, relay(3_600_000, 1));
    // SQLite is one process: its "nodes" share one store. PostgreSQL: two pools, as two nodes would.
    StorePorts b = kind.equals("sqlite") ? a : store(kind, url, relay(3_600_000, 1));
    String[] accounts = IntStream.range(0, 40).mapToObj(i -> "w-" + i).toArray(String[]::new);
    pendingSignIns(a, accounts);
    elapse(kind, 30); // due on the database clock (first interval 1 ms ±10 %)
    Set<Long> claimed = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      Future<List<SignIns.Watched>> fa = a.signIns().claimWatches("node-a", 15, 60_000);
      Future<List<SignIns.Watched>> fb = b.signIns().claimWatches("node-b", 15, 60_000);
      await(Future.join(fa, fb));
      for (SignIns.Watched w : concat(fa.result(), fb.result())) {
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
    String job = await(a.intake().create(request("z"), "alice", null)).job().id();
    List<ClaimedItem> z = await(a.items().claim("n", 1, 60_000));
    await(a.items().record("n", List.of(oauthPending(z.get(0)))));
    elapse(kind, 30);
    assertThat(await(a.signIns().claimWatches("node-x", 10, 1))).extracting(SignIns.Watched::itemId)
        .containsExactly(z.get(0).id());
    elapse(kind, 30);
    assertThat(await(b.signIns().claimWatches("node-y", 10, 60_000))).extracting(SignIns.Watched::itemId)
        .containsExactly(z.get(0).id());
    assertThat(await(a.signIns().watchAgain("node-x", z.get(0).id(), 2, 1))).isFalse();
    assertThat(await(b.signIns().watchAgain("node-y", z.get(0).id(), 2, 60_000))).isTrue();
    assertThat(await(a.signIns().nextWatchDueInMs())).isBetween(0L, 60_000L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql"})
  void twoNodesRecordingSignInsOfTheSameJobsInOppositeOrderNeverDeadlock(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url, relay(3_600_000, 60_000));
    StorePorts b = store(kind, url, relay(3_600_000, 60_000));
    for (int round = 0; round < 5; round++) {
      int r = round;
      String j1 = await(a.intake().create(request(IntStream.range(0, 20).mapToObj(i -> "d" + r + "-" + i)
          .toArray(String[]::new)), "alice", null)).job().id();
      String j2 = await(a.intake().create(request(IntStream.range(0, 20).mapToObj(i -> "e" + r + "-" + i)
          .toArray(String[]::new)), "alice", null)).job().id();
      // Each node's batch holds items of both jobs, in opposite orders: both lock both job rows.
      List<ItemOutcome> fromA = new ArrayList<>();
      await(a.items().claim("node-a", 10, 60_000)).forEach(i -> fromA.add(oauthPending(i)));
      await(a.items().claim("node-a", 10, 60_000)).forEach(i -> fromA.add(oauthPending(i)));
      List<ItemOutcome> fromB = new ArrayList<>();
      await(b.items().claim("node-b", 10, 60_000)).forEach(i -> fromB.add(oauthPending(i)));
      await(b.items().claim("node-b", 10, 60_000)).forEach(i -> fromB.add(oauthPending(i)));
      Future<List<ItemOutcome>> ra = a.items().record("node-a", fromA).map(ItemQueue.Recorded::applied);
      Future<List<ItemOutcome>> rb = b.items().record("node-b", fromB).map(ItemQueue.Recorded::applied);
      await(Future.join(ra, rb));
      assertThat(ra.succeeded() && rb.succeeded()).as("%s / %s", ra.cause(), rb.cause()).isTrue();
      assertThat(ra.result()).hasSize(20).allSatisfy(o -> assertThat(o.relayUrl()).isNotNull());
      assertThat(rb.result()).hasSize(20);
      assertThat(await(a.jobs().counts(j1)).get(ItemStatus.OAUTH_PENDING)).isEqualTo(20);
      assertThat(await(a.jobs().counts(j2)).get(ItemStatus.OAUTH_PENDING)).isEqualTo(20);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aSignInIsRecordedOnceEvenAfterTheJobFinishedAndCountedInTheSummary(String kind) {
    StorePorts s = store(kind, urlFor(kind), relay(3_600_000, 1));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    String job = recorded.get(0).jobId();
    assertThat(await(s.jobs().job(job)).status()).as("OAUTH_PENDING is final for the job: its outcome finished it")
        .isEqualTo(JobStatus.SUCCEEDED);
    long item = recorded.get(0).itemId();
    List<Future<SignIns.Authenticated>> racing = IntStream.range(0, 5)
        .mapToObj(i -> s.signIns().markAuthenticated(item)).toList();
    await(Future.all(new ArrayList<>(racing)));
    assertThat(racing.stream().filter(f -> f.result() != null).toList()).hasSize(1)
        .allSatisfy(f -> assertThat(f.result().account()).isEqualTo("a"));
    assertThat(await(s.jobs().counts(job))).containsEntry(ItemStatus.AUTHENTICATED, 1L)
        .containsEntry(ItemStatus.OAUTH_PENDING, 1L);
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(s.jobs().finishIfDone(job))).isNull();
    assertThat(await(s.signIns().link(token(recorded.get(0)))).status()).isEqualTo(ItemStatus.AUTHENTICATED);
    elapse(kind, 30);
    assertThat(await(s.signIns().claimWatches("n", 10, 60_000))).extracting(SignIns.Watched::itemId)
        .as("a signed-in item is no longer watched").containsExactly(recorded.get(1).itemId());
    assertThatThrownBy(() -> await(s.signIns().reissue(job, item))).cause().satisfies(failedWith(StoreException.Kind.CONFLICT))
        .hasMessageContaining("signed in already");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aReissueRevokesTheOldLinkAndACancelRevokesTheJobsLinks(String kind) {
    StorePorts s = store(kind, urlFor(kind), relay(3_600_000, 60_000));
    List<ItemOutcome> recorded = pendingSignIns(s, "a", "b");
    String job = recorded.get(0).jobId();
    SignIns.IssuedLink fresh = await(s.signIns().reissue(job, recorded.get(0).itemId()));
    assertThat(fresh.url()).startsWith(PUBLIC + "/connect/").isNotEqualTo(recorded.get(0).relayUrl());
    assertThat(fresh.target().account()).isEqualTo("a");
    assertThat(fresh.target().connectorName()).isEqualTo("Salesforce");
    assertThat(await(s.signIns().link(token(recorded.get(0)))).revoked()).isTrue();
    String freshToken = fresh.url().substring(fresh.url().lastIndexOf('/') + 1);
    assertThat(await(s.signIns().link(freshToken)).usable()).isTrue();
    assertThatThrownBy(() -> await(s.signIns().reissue(job, 999_999))).cause().satisfies(failedWith(StoreException.Kind.NOT_FOUND))
        .hasMessageContaining("has no item");

    // An unfinished job (one item still running) is cancelled: links revoked, none issued afterwards.
    String other = await(s.intake().create(request("c", "d"), "alice", null)).job().id();
    List<ClaimedItem> cd = await(s.items().claim("n", 10, 60_000));
    List<ItemOutcome> c = await(s.items().record("n", List.of(oauthPending(cd.get(0))))).applied();
    await(s.jobs().cancel(other));
    assertThat(await(s.signIns().link(token(c.get(0)))).revoked()).isTrue();
    List<ItemOutcome> d = await(s.items().record("n", List.of(oauthPending(cd.get(1))))).applied();
    assertThat(d.get(0).relayUrl()).as("no link in a cancelled job").isNull();
    assertThatThrownBy(() -> await(s.signIns().reissue(other, cd.get(1).id()))).cause()
        .satisfies(failedWith(StoreException.Kind.CONFLICT)).hasMessageContaining("cancelled");

    assertThat(await(s.signIns().revokeLinks(job))).isEqualTo(2);
    assertThat(await(s.signIns().link(freshToken)).revoked()).isTrue();
    assertThat(await(s.signIns().revokeLinks(job))).isZero();
    elapse(kind, 30);
    assertThat(await(s.signIns().nextWatchDueInMs())).as("no watch left").isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void linksAndWatchesExpireOnTheDatabaseClock(String kind) {
    StorePorts s = store(kind, urlFor(kind), relay(20, 1));
    List<ItemOutcome> recorded = pendingSignIns(s, "a");
    elapse(kind, 60);
    SignIns.LinkView view = await(s.signIns().link(token(recorded.get(0))));
    assertThat(view.expired()).isTrue();
    assertThat(view.usable()).isFalse();
    assertThat(await(s.signIns().claimWatches("n", 10, 60_000))).as("the watch ends with the link").isEmpty();
    assertThat(await(s.signIns().expireWatches())).isEqualTo(1);
    assertThat(await(s.signIns().nextWatchDueInMs())).isNull();
  }
}
