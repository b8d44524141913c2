package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.config.WebhookTypeNames;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRequest;
import io.onboarder.job.StoreException;
import io.onboarder.signin.Campaigns;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sign-in campaigns and the funnel on the SQL back ends. Due times are on the database clock; the tests move
 * time by moving the stored times of the links back ({@link #travel}), which is what the clock moving on does,
 * without waiting. Two stores on one PostgreSQL database are two nodes; a store closed and opened again on the
 * same database is a restart.
 */
class CampaignsContractTest extends StoreContract {
  private static final long HOUR = 3_600_000;

  private final List<JobEvent> committed = new CopyOnWriteArrayList<>();

  private StorePorts open(String kind, String url) {
    StorePorts s = store(kind, url, relay(168 * HOUR, 600_000));
    s.onCommitted(committed::addAll);
    s.outboxTypes(Set.copyOf(WebhookTypeNames.ALL));
    return s;
  }

  private static Campaigns campaigns(StorePorts s) {
    return s.sql().campaigns();
  }

  /** A job with {@code signIn} whose items are all OAUTH_PENDING, their links issued; the outcomes as recorded. */
  private static List<ItemOutcome> campaign(StorePorts s, JsonObject signIn, String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a));
    }
    JobRequest request = VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("signIn", signIn).put("items", items));
    String job = await(s.intake().create(request, "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.items().claim("n", 100, 60_000));
    return await(s.items().record("n", claimed.stream().map(StoreContract::oauthPending).toList())).applied();
  }

  private static JsonObject plan(double expire, double... remind) {
    JsonArray hours = new JsonArray();
    for (double h : remind) {
      hours.add(h);
    }
    return new JsonObject().put("remindAfterHours", hours).put("expireAfterHours", expire);
  }

  /** The database clock moves on by {@code ms}: every stored time of links and items moves back as much. */
  private void travel(String kind, String url, long ms) throws Exception {
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE links SET created_at = created_at - " + ms + ", expires_at = expires_at - " + ms
          + ", campaign_at = campaign_at - " + ms);
      st.executeUpdate("UPDATE items SET watch_until = watch_until - " + ms + ", watch_next_at = watch_next_at - " + ms
          + ", signed_in_at = signed_in_at - " + ms);
    }
  }

  private List<JsonObject> reminders() {
    return committed.stream().filter(e -> e.kind() == JobEvent.Kind.OAUTH && e.body().containsKey("reminder"))
        .map(JobEvent::body).toList();
  }

  private static List<String> webhooks(StorePorts s, String type) {
    return await(s.outbox().claimDue("test", 1_000, 60_000)).stream().filter(d -> d.type().equals(type))
        .map(WebhookOutbox.Due::payload).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void remindersComeDueInTurnAndAreSentOnceAcrossTwoNodesAndARestartThenTheLinksExpire(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts a = open(kind, url);
    StorePorts b = kind.equals("sqlite") ? a : open(kind, url);
    List<ItemOutcome> recorded = campaign(a, plan(3, 1, 2), "r-1", "r-2");
    String job = recorded.get(0).jobId();
    assertThat(Instant.parse(recorded.get(0).relayExpiresAt())).as("the plan's expiry, not LINKS_TTL_HOURS")
        .isBetween(Instant.now().plusSeconds(3 * 3600 - 60), Instant.now().plusSeconds(3 * 3600 + 60));
    assertThat(await(campaigns(a).claimDue("node-a", 10, 60_000))).isEmpty();
    assertThat(await(campaigns(a).nextDueInMs())).isBetween(HOUR - 60_000, HOUR);

    travel(kind, url, HOUR);
    Future<List<Campaigns.Due>> fa = campaigns(a).claimDue("node-a", 10, 60_000);
    Future<List<Campaigns.Due>> fb = campaigns(b).claimDue("node-b", 10, 60_000);
    await(Future.join(fa, fb));
    List<Campaigns.Due> due = concat(fa.result(), fb.result());
    assertThat(due).as("each link claimed by one node").hasSize(2)
        .allSatisfy(d -> assertThat(d.reminder()).isEqualTo(1)).extracting(Campaigns.Due::itemId)
        .containsExactlyInAnyOrder(recorded.get(0).itemId(), recorded.get(1).itemId());
    for (Campaigns.Due d : fa.result()) {
      assertThat(await(campaigns(b).step("node-b", d))).as("not node-b's").isEqualTo(Campaigns.Stepped.LOST);
      assertThat(await(campaigns(a).step("node-a", d))).isEqualTo(Campaigns.Stepped.REMINDED);
      assertThat(await(campaigns(a).step("node-a", d))).as("once").isEqualTo(Campaigns.Stepped.LOST);
    }
    for (Campaigns.Due d : fb.result()) {
      assertThat(await(campaigns(b).step("node-b", d))).isEqualTo(Campaigns.Stepped.REMINDED);
    }
    assertThat(reminders()).hasSize(2).allSatisfy(r -> {
      assertThat(r.getInteger("reminder")).isEqualTo(1);
      assertThat(r.getString("jobId")).isEqualTo(job);
      assertThat(r.getString("connectorName")).isEqualTo("Salesforce");
    });
    assertThat(reminders()).extracting(r -> r.getString("url")).as("the same link, still valid")
        .containsExactlyInAnyOrder(recorded.get(0).relayUrl(), recorded.get(1).relayUrl());
    List<String> hooks = webhooks(a, WebhookTypeNames.ITEM_SIGN_IN_REMINDER);
    assertThat(hooks).hasSize(2).allSatisfy(p -> {
      JsonObject data = new JsonObject(p).getJsonObject("data");
      assertThat(data.getInteger("reminder")).isEqualTo(1);
      assertThat(data.getString("status")).isEqualTo("OAUTH_PENDING");
      assertThat(data.getJsonObject("oauth").getString("url")).startsWith(PUBLIC + "/connect/");
    });
    assertThat(await(a.signIns().link(token(recorded.get(0)))).usable()).isTrue();

    // A restart: the store is closed and opened again; what is due and what was sent come from the database.
    if (kind.equals("postgresql")) {
      await(a.close());
      stores.remove(a);
    }
    StorePorts c = kind.equals("postgresql") ? open(kind, url) : b;
    assertThat(await(campaigns(c).claimDue("node-c", 10, 60_000))).as("reminder 2 is an hour away").isEmpty();
    travel(kind, url, HOUR);
    List<Campaigns.Due> second = await(campaigns(c).claimDue("node-c", 10, 60_000));
    assertThat(second).hasSize(2).allSatisfy(d -> assertThat(d.reminder()).isEqualTo(2));
    for (Campaigns.Due d : second) {
      assertThat(await(campaigns(c).step("node-c", d))).isEqualTo(Campaigns.Stepped.REMINDED);
    }
    assertThat(reminders()).hasSize(4);

    // The expiry: SIGN_IN_EXPIRED (terminal, counted), the link leads nowhere, the webhook goes out, nothing is left.
    travel(kind, url, HOUR);
    List<Campaigns.Due> expiry = await(campaigns(c).claimDue("node-c", 10, 60_000));
    assertThat(expiry).hasSize(2).allSatisfy(d -> assertThat(d.expiry()).isTrue());
    for (Campaigns.Due d : expiry) {
      assertThat(await(campaigns(c).step("node-c", d))).isEqualTo(Campaigns.Stepped.EXPIRED);
      assertThat(await(campaigns(c).step("node-c", d))).isEqualTo(Campaigns.Stepped.LOST);
    }
    assertThat(await(c.jobs().counts(job))).containsEntry(ItemStatus.SIGN_IN_EXPIRED, 2L)
        .containsEntry(ItemStatus.OAUTH_PENDING, 0L);
    SignIns.LinkView view = await(b.signIns().link(token(recorded.get(0))));
    assertThat(view.usable()).isFalse();
    assertThat(view.status()).isEqualTo(ItemStatus.SIGN_IN_EXPIRED);
    assertThat(webhooks(c, WebhookTypeNames.ITEM_SIGN_IN_EXPIRED)).hasSize(2)
        .allSatisfy(p -> assertThat(new JsonObject(p).getJsonObject("data").getString("status"))
            .isEqualTo("SIGN_IN_EXPIRED"));
    assertThat(committed).filteredOn(e -> e.kind() == JobEvent.Kind.ITEM)
        .extracting(e -> e.body().getString("status")).endsWith("SIGN_IN_EXPIRED", "SIGN_IN_EXPIRED")
        .filteredOn("SIGN_IN_EXPIRED"::equals).hasSize(2);
    assertThat(await(campaigns(c).nextDueInMs())).as("no campaign left").isNull();
    assertThat(await(c.signIns().markAuthenticated(recorded.get(0).itemId()))).as("too late").isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void noReminderForATenantWhoSignedInOrWhoseLinkWasRevokedOrReissuedOrWhoseJobWasCancelled(String kind)
      throws Exception {
    String url = urlFor(kind);
    StorePorts s = open(kind, url);
    List<ItemOutcome> recorded = campaign(s, plan(3, 1), "in", "revoked", "reissued", "waiting");
    String job = recorded.get(0).jobId();
    assertThat(await(s.signIns().markAuthenticated(recorded.get(0).itemId()))).isNotNull();
    assertThat(await(campaigns(s).revoke(job, recorded.get(1).itemId()))).isEqualTo(1);
    assertThat(await(s.signIns().link(token(recorded.get(1)))).revoked()).as("410 from now on").isTrue();
    StorePorts otherNode = kind.equals("sqlite") ? s : open(kind, url);
    assertThat(await(otherNode.signIns().link(token(recorded.get(1)))).usable()).as("on every node").isFalse();
    assertThatThrownBy(() -> await(campaigns(s).revoke(job, recorded.get(1).itemId()))).cause()
        .satisfies(failedWith(StoreException.Kind.CONFLICT)).hasMessageContaining("no sign-in link that still works");
    assertThatThrownBy(() -> await(campaigns(s).revoke(job, 999_999))).cause()
        .satisfies(failedWith(StoreException.Kind.NOT_FOUND));
    assertThatThrownBy(() -> await(campaigns(s).revoke("no-such-job", recorded.get(2).itemId()))).cause()
        .satisfies(failedWith(StoreException.Kind.NOT_FOUND));
    // A job cancelled while one item still runs: its links are revoked, so nothing is reminded either.
    JobRequest two = VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("signIn", plan(3, 1)).put("items", new JsonArray().add(new JsonObject().put("account", "x"))
            .add(new JsonObject().put("account", "y"))));
    String cancelled = await(s.intake().create(two, "alice", null)).job().id();
    List<ClaimedItem> xy = await(s.items().claim("n", 10, 60_000));
    await(s.items().record("n", List.of(oauthPending(xy.get(0)))));
    await(s.jobs().cancel(cancelled));

    travel(kind, url, HOUR / 2);
    SignIns.IssuedLink fresh = await(s.signIns().reissue(job, recorded.get(2).itemId()));
    travel(kind, url, HOUR / 2);
    List<Campaigns.Due> due = await(campaigns(s).claimDue("n", 10, 60_000));
    assertThat(due).extracting(Campaigns.Due::account).as("the reissued link's first reminder is half an hour away")
        .containsExactly("waiting");
    assertThat(await(campaigns(s).step("n", due.get(0)))).isEqualTo(Campaigns.Stepped.REMINDED);
    travel(kind, url, HOUR / 2);
    List<Campaigns.Due> later = await(campaigns(s).claimDue("n", 10, 60_000));
    assertThat(later).extracting(Campaigns.Due::account).containsExactly("reissued");
    assertThat(await(campaigns(s).step("n", later.get(0)))).isEqualTo(Campaigns.Stepped.REMINDED);
    assertThat(reminders()).extracting(r -> r.getString("url"))
        .containsExactlyInAnyOrder(recorded.get(3).relayUrl(), fresh.url());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void theFunnelCountsAScannerSomeoneWhoGivesUpAndSomeoneWhoFinishes(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts s = open(kind, url);
    List<ItemOutcome> recorded = campaign(s, plan(1, 0.5), "scanner", "gives-up", "finishes", "never");
    String job = recorded.get(0).jobId();
    Campaigns c = campaigns(s);
    String scanner = token(recorded.get(0));
    String givesUp = token(recorded.get(1));
    String finishes = token(recorded.get(2));
    assertThat(await(c.opened(scanner))).isTrue();
    assertThat(await(c.opened(scanner))).as("counted once").isFalse();
    for (String t : List.of(givesUp, finishes)) {
      assertThat(await(c.opened(t))).isTrue();
      assertThat(await(c.started(t))).isTrue();
      assertThat(await(c.started(t))).isFalse();
    }
    travel(kind, url, 100_000);
    await(s.signIns().markAuthenticated(recorded.get(2).itemId()));
    travel(kind, url, HOUR / 2);
    stepAll(c);
    travel(kind, url, HOUR / 2);
    stepAll(c);
    Campaigns.Funnel f = await(c.funnel(List.of(job)));
    assertThat(List.of(f.issued(), f.opened(), f.started(), f.authenticated(), f.reminded(), f.expired()))
        .containsExactly(4L, 3L, 2L, 1L, 3L, 3L);
    assertThat(f.medianSecondsToSignIn()).isBetween(99.0, 103.0);
    assertThat(f.toJson().fieldNames()).containsExactlyInAnyOrder("issued", "opened", "started", "authenticated",
        "reminded", "expired", "medianSecondsToSignIn");

    // Over several jobs (a fleet's steps): summed, one median over all their sign-ins.
    List<ItemOutcome> other = campaign(s, plan(1), "o-1", "o-2");
    travel(kind, url, 300_000);
    await(s.signIns().markAuthenticated(other.get(0).itemId()));
    await(s.signIns().markAuthenticated(other.get(1).itemId()));
    Campaigns.Funnel both = await(c.funnel(List.of(job, other.get(0).jobId())));
    assertThat(both.issued()).isEqualTo(6);
    assertThat(both.authenticated()).isEqualTo(3);
    assertThat(both.medianSecondsToSignIn()).as("100 s, 300 s, 300 s").isBetween(299.0, 303.0);
    assertThat(await(c.funnel(List.of("no-such-job"))).toJson().getValue("medianSecondsToSignIn")).isNull();
  }

  private static void stepAll(Campaigns c) {
    for (Campaigns.Due d : await(c.claimDue("n", 100, 60_000))) {
      assertThat(await(c.step("n", d))).isIn(Campaigns.Stepped.REMINDED, Campaigns.Stepped.EXPIRED);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aServiceThatWasDownPastSeveralRemindersSendsOnlyTheLastOneDue(String kind) throws Exception {
    String url = urlFor(kind);
    StorePorts s = open(kind, url);
    campaign(s, plan(10, 1, 2, 3, 9), "late");
    travel(kind, url, 3 * HOUR + 60_000);
    List<Campaigns.Due> due = await(campaigns(s).claimDue("n", 10, 60_000));
    assertThat(due).singleElement().satisfies(d -> assertThat(d.reminder()).isEqualTo(3));
    assertThat(await(campaigns(s).step("n", due.get(0)))).isEqualTo(Campaigns.Stepped.REMINDED);
    assertThat(reminders()).extracting(r -> r.getInteger("reminder")).containsExactly(3);
    assertThat(await(campaigns(s).nextDueInMs())).as("reminder 4 at 9 h").isBetween(6 * HOUR - 120_000, 6 * HOUR);
    Set<Long> none = new HashSet<>();
    await(campaigns(s).claimDue("n", 10, 60_000)).forEach(d -> none.add(d.itemId()));
    assertThat(none).isEmpty();
    assertThat(new ArrayList<>(reminders())).hasSize(1);
  }
}
