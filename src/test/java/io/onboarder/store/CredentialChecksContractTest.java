package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobStatus;
import io.onboarder.signin.CredentialChecks;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Credential health checks in the store: due times spread over the interval, each check leased to one node, a
 * lost sign-in re-linked in one transaction (REAUTH_REQUIRED, old link 410, new link, events and webhook), and a
 * sign-in again recorded as a recovered connection.
 */
class CredentialChecksContractTest extends StoreContract {
  /** An interval this short puts every due time at "now" (the hash's fraction of 1 ms rounds down to 0). */
  private static final long DUE_NOW = 1;

  /** A job of signed-in items: OAUTH_PENDING, then AUTHENTICATED; the outcomes as recorded. */
  private List<ItemOutcome> signedIn(StorePorts s, String... accounts) {
    List<ItemOutcome> recorded = pendingSignIns(s, accounts);
    recorded.forEach(o -> assertThat(await(s.signIns().markAuthenticated(o.itemId()))).isNotNull());
    return recorded;
  }

  private static CredentialChecks checks(StorePorts s) {
    return s.sql().credentialChecks();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void signedInItemsGetDueTimesSpreadOverTheInterval(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts s = store(kind, url, relay(3_600_000, 60_000));
    int n = 100;
    signedIn(s, IntStream.range(0, n).mapToObj(i -> "h-" + i).toArray(String[]::new));
    long interval = 3_600_000;
    assertThat(await(checks(s).schedule(interval, 60))).as("a bounded batch").isEqualTo(60);
    assertThat(await(checks(s).schedule(interval, 60))).isEqualTo(n - 60);
    assertThat(await(checks(s).schedule(interval, 60))).as("each scheduled once").isZero();
    assertThat(await(checks(s).claim("n", 100, 60_000))).as("none due at once").hasSizeLessThan(3);
    // Ten equal slices of the interval each hold about a tenth of the items: never all at once.
    List<Long> due = column(kind, url, "SELECT health_next_at - (SELECT MIN(health_next_at) FROM items) FROM items "
        + "WHERE health_next_at IS NOT NULL");
    assertThat(due).hasSize(n);
    int[] slices = new int[10];
    due.forEach(d -> slices[(int) Math.min(9, d * 10 / interval)]++);
    assertThat(java.util.Arrays.stream(slices).boxed().toList())
        .allSatisfy(c -> assertThat(c).isBetween(n / 10 - 6, n / 10 + 6));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aDueCheckIsLeasedToOneNodeAndOnlyItsHolderWritesWhatItFound(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url, relay(3_600_000, 60_000));
    StorePorts b = kind.equals("sqlite") ? a : store(kind, url, relay(3_600_000, 60_000));
    List<ItemOutcome> items = signedIn(a, IntStream.range(0, 30).mapToObj(i -> "c-" + i).toArray(String[]::new));
    await(checks(a).schedule(DUE_NOW, 100));
    Set<Long> claimed = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      Future<List<CredentialChecks.Due>> fa = checks(a).claim("node-a", 7, 60_000);
      Future<List<CredentialChecks.Due>> fb = checks(b).claim("node-b", 7, 60_000);
      await(Future.join(fa, fb));
      for (CredentialChecks.Due d : concat(fa.result(), fb.result())) {
        assertThat(claimed.add(d.itemId())).as("check %s claimed twice", d.itemId()).isTrue();
        assertThat(d.accountConnectorId()).isEqualTo(1000 + d.itemId());
      }
    }
    assertThat(claimed).hasSize(30);
    assertThat(await(checks(a).claim("node-c", 100, 60_000))).as("leased, not due").isEmpty();
    long one = items.get(0).itemId();
    String holder = await(checks(a).again("node-a", one, 60_000, true)) ? "node-a" : "node-b";
    assertThat(await(checks(a).again("node-c", items.get(1).itemId(), 1, false))).as("not its check").isFalse();
    assertThat(await(checks(a).gone("node-c", items.get(1).itemId()))).isFalse();
    assertThat(await(checks(a).lost("node-c", items.get(1).itemId()))).isNull();
    assertThat(await(checks(a).again(holder, one, 60_000, true))).as("written once").isFalse();
    assertThat(await(checks(a).nextDueInMs())).isBetween(0L, 60_000L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aLostSignInIsReLinkedInOneTransactionAndASignInAgainRecoversIt(String kind) {
    StorePorts s = store(kind, urlFor(kind), relay(3_600_000, 60_000));
    List<ItemOutcome> items = signedIn(s, "r-1", "r-2");
    s.outboxTypes(Set.of("item.deauthenticated", "item.authenticated"));
    String job = items.get(0).jobId();
    await(s.jobs().finishIfDone(job)); // (or finished already when its last item was recorded)
    assertThat(await(s.jobs().job(job)).status()).isEqualTo(JobStatus.SUCCEEDED);
    long item = items.get(0).itemId();
    await(checks(s).schedule(DUE_NOW, 100));
    assertThat(await(checks(s).claim("n", 10, 60_000))).hasSize(2);
    assertThat(await(checks(s).again("n", items.get(1).itemId(), 60_000, true))).isTrue();

    List<Future<CredentialChecks.Lost>> racing = IntStream.range(0, 3).mapToObj(i -> checks(s).lost("n", item))
        .toList();
    await(Future.join(new ArrayList<>(racing)));
    List<CredentialChecks.Lost> won = racing.stream().map(Future::result).filter(l -> l != null).toList();
    assertThat(won).as("recorded once").hasSize(1);
    CredentialChecks.Lost lost = won.get(0);
    assertThat(lost.account()).isEqualTo("r-1");
    assertThat(lost.connectorName()).isEqualTo("Salesforce");
    assertThat(lost.url()).startsWith(PUBLIC + "/connect/").isNotEqualTo(items.get(0).relayUrl());
    assertThat(await(s.signIns().link(token(items.get(0)))).usable()).as("the old link answers 410").isFalse();
    SignIns.LinkView fresh = await(s.signIns().link(lost.url().substring(lost.url().lastIndexOf('/') + 1)));
    assertThat(fresh.usable()).isTrue();
    assertThat(fresh.status()).isEqualTo(ItemStatus.REAUTH_REQUIRED);
    assertThat(await(s.jobs().job(job)).status()).as("a finished job stays finished").isEqualTo(JobStatus.SUCCEEDED);
    assertThat(await(s.jobs().counts(job))).containsEntry(ItemStatus.REAUTH_REQUIRED, 1L)
        .containsEntry(ItemStatus.AUTHENTICATED, 1L);
    assertThat(await(checks(s).claim("n", 10, 60_000))).as("no checks while REAUTH_REQUIRED").isEmpty();

    // The sign-in watch polls it again, as a new sign-in (first interval here: 60 s ±10 %).
    assertThat(await(s.signIns().nextWatchDueInMs())).as("watched again").isBetween(50_000L, 66_000L);
    // The tenant signs in through the fresh link: AUTHENTICATED again, then checked again like any signed-in item.
    assertThat(await(s.signIns().markAuthenticated(item))).isNotNull();
    assertThat(await(s.signIns().link(token(items.get(0)))).usable()).isFalse();
    await(checks(s).schedule(DUE_NOW, 100));
    assertThat(await(checks(s).claim("n", 10, 60_000))).extracting(CredentialChecks.Due::itemId).containsExactly(item);

    List<JobEvent> log = await(s.events().events(job, 0, 100));
    List<String> tail = describe(log).subList(log.size() - 3, log.size());
    assertThat(tail).extracting(e -> e.substring(e.indexOf(':') + 1))
        .containsExactly("item:REAUTH_REQUIRED", "oauth:null", "item:AUTHENTICATED");
    JsonObject oauth = log.get(log.size() - 2).body();
    assertThat(oauth.getString("url")).isEqualTo(lost.url());
    assertThat(oauth.getString("itemId")).isEqualTo(String.valueOf(item));
    WebhookOutbox.Page page = await(s.outbox().list(null, null, 10, null));
    assertThat(page.deliveries()).extracting(d -> d.getString("type"))
        .containsExactlyInAnyOrder("item.deauthenticated", "item.authenticated");
    JsonObject deauth = page.deliveries().stream().filter(d -> d.getString("type").equals("item.deauthenticated"))
        .findFirst().orElseThrow();
    assertThat(deauth.getJsonObject("payload").getJsonObject("data").getJsonObject("oauth").getString("url"))
        .as("the webhook carries the fresh link").isEqualTo(lost.url());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void anInstallGoneAtCyclrIsNoLongerCheckedAndStaysAuthenticated(String kind) {
    StorePorts s = store(kind, urlFor(kind), relay(3_600_000, 60_000));
    List<ItemOutcome> items = signedIn(s, "g-1");
    await(checks(s).schedule(DUE_NOW, 100));
    assertThat(await(checks(s).claim("n", 10, 60_000))).hasSize(1);
    assertThat(await(checks(s).gone("n", items.get(0).itemId()))).isTrue();
    assertThat(await(checks(s).schedule(DUE_NOW, 100))).as("not scheduled again").isZero();
    assertThat(await(checks(s).nextDueInMs())).isNull();
    assertThat(await(s.jobs().counts(items.get(0).jobId()))).containsEntry(ItemStatus.AUTHENTICATED, 1L);
  }

  /** One numeric column of a query, read directly (what no port shows: the due times themselves). */
  private List<Long> column(String kind, String url, String sql) throws Exception {
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    List<Long> out = new ArrayList<>();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }
}
