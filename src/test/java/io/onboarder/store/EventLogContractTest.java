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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The event log: every status change numbered in its own transaction, with no gaps or repeats across nodes. */
class EventLogContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void everyStatusChangeWritesNumberedEventsAndOutboxRowsInItsOwnTransaction(String kind) {
    StorePorts s = store(kind);
    List<JobEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    s.onCommitted(published::addAll);
    s.outboxTypes(Set.of("item.oauth_pending", "item.failed", "job.finished"));
    String job = await(s.intake().create(request("a", "b", "c"), "alice", null)).job().id();
    List<ClaimedItem> items = await(s.items().claim("n", 10, 60_000));
    // The last outcomes finish the job in their own transaction (its final event follows theirs).
    ItemQueue.Recorded recorded = await(s.items().record("n", List.of(withSignInUrl(items.get(0)),
        ItemOutcome.failed(items.get(1), "CYCLR_4XX", "no"), installed(items.get(2)))));
    assertThat(await(s.items().record("n", List.of(installed(items.get(0))))).applied()).as("lease gone: no event")
        .isEmpty();
    JobRecord finished = recorded.settled().finished().get(0);
    assertThat(finished.status()).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
    assertThat(await(s.jobs().finishIfDone(job))).as("finished once").isNull();
    await(s.jobs().retry(job).map(JobRecords.Retried::items));

    List<JobEvent> log = await(s.events().events(job, 0, 100));
    assertThat(describe(log)).containsExactly("1:job:PENDING", "2:job:RUNNING", "3:item:RUNNING", "4:item:RUNNING",
        "5:item:RUNNING", "6:item:OAUTH_PENDING", "7:oauth:null", "8:item:FAILED", "9:item:INSTALLED",
        "10:job:COMPLETED_WITH_ERRORS", "11:item:PENDING", "12:job:RUNNING");
    assertThat(published).as("what was committed is what is published, in order").isEqualTo(log);
    assertThat(await(s.events().events(job, 10, 100))).extracting(JobEvent::seq).containsExactly(11L, 12L);
    assertThat(log.get(6).body().getString("url")).isEqualTo("https://cyclr.example/oauth?id=77&token=t");
    assertThat(log.get(9).body().getJsonObject("counts").getLong("FAILED")).isEqualTo(1);

    // The outbox holds the three webhook-worthy events; item data is the item as GET …/items shows it.
    WebhookOutbox.Page page = await(s.outbox().list(null, null, 10, null));
    assertThat(page.deliveries()).extracting(d -> d.getString("type"))
        .containsExactly("job.finished", "item.failed", "item.oauth_pending");
    JsonObject oauthItem = await(s.items().page(job, ItemStatus.OAUTH_PENDING, 10, null)).items().getJsonObject(0);
    JsonObject data = page.deliveries().get(2).getJsonObject("payload").getJsonObject("data");
    assertThat(data.copy().put("jobId", (String) null)).isEqualTo(oauthItem.copy().put("jobId", (String) null));
    assertThat(data.getString("jobId")).isEqualTo(job);
    assertThat(page.deliveries()).allSatisfy(d -> assertThat(d.encode()).doesNotContain("key-of-"));
    assertThat(await(s.outbox().list(null, "bob", 10, null)).deliveries()).as("another caller's").isEmpty();
    assertThat(await(s.outbox().list(null, "alice", 10, null)).deliveries()).hasSize(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "postgresql"})
  void eventNumbersHaveNoGapsOrRepeatsWhenTwoNodesWorkOnOneJob(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url);
    StorePorts b = store(kind, url);
    String[] accounts = IntStream.range(0, 200).mapToObj(i -> "acct-" + i).toArray(String[]::new);
    String job = await(a.intake().create(request(accounts), "alice", null)).job().id();
    for (int round = 0; round < 20; round++) {
      Future<List<ItemOutcome>> ra = a.items().claim("node-a", 10, 60_000)
          .compose(l -> a.items().record("node-a", l.stream().map(StoreContract::installed).toList()))
          .map(ItemQueue.Recorded::applied);
      Future<List<ItemOutcome>> rb = b.items().claim("node-b", 10, 60_000)
          .compose(l -> b.items().record("node-b", l.stream().map(StoreContract::installed).toList()))
          .map(ItemQueue.Recorded::applied);
      await(Future.join(ra, rb));
    }
    assertThat(await(a.jobs().finishIfDone(job))).as("the last outcome finished it").isNull();
    List<JobEvent> log = new ArrayList<>();
    long after = 0;
    List<JobEvent> page;
    do {
      page = await(b.events().events(job, after, 150));
      log.addAll(page);
      after = page.isEmpty() ? after : page.get(page.size() - 1).seq();
    } while (!page.isEmpty());
    assertThat(log).extracting(JobEvent::seq)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 403).boxed().toList());
    assertThat(log.get(1).body().getString("status")).as("its first claim").isEqualTo("RUNNING");
    assertThat(log.get(402).body().getString("status")).isEqualTo("SUCCEEDED");
  }
  /**
   * A job event's counts are what the events before it in the log say (items not yet seen in an item event are
   * PENDING): a client that takes a job event as the counts and moves them by the item events that follow (the
   * demo's progress lines do) never counts an item twice. The first claim of a job writes the job's RUNNING event
   * before its items' RUNNING events, so that event counts them PENDING still.
   */
  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void everyJobEventCountsWhatTheEventsBeforeItSay(String kind) {
    StorePorts s = store(kind);
    String job = await(s.intake().create(request("a", "b", "c", "d"), "alice", null)).job().id();
    List<ClaimedItem> first = await(s.items().claim("n", 2, 60_000));
    await(s.items().record("n", List.of(installed(first.get(0)), ItemOutcome.failed(first.get(1), "CYCLR_4XX", "no"))));
    List<ClaimedItem> rest = await(s.items().claim("n", 10, 60_000));
    assertThat(await(s.items().record("n", rest.stream().map(StoreContract::installed).toList())).settled().finished())
        .hasSize(1);
    await(s.jobs().retry(job));
    List<ClaimedItem> again = await(s.items().claim("n", 10, 60_000));
    await(s.items().record("n", again.stream().map(StoreContract::installed).toList()));

    List<JobEvent> log = await(s.events().events(job, 0, 100));
    assertThat(describe(log)).filteredOn(e -> e.contains(":job:")).extracting(e -> e.replaceAll("^\\d+:", ""))
        .containsExactly("job:PENDING", "job:RUNNING", "job:COMPLETED_WITH_ERRORS", "job:RUNNING", "job:SUCCEEDED");
    Map<String, String> statusOf = new HashMap<>();
    Map<String, Long> counts = new HashMap<>();
    for (JobEvent e : log) {
      if (e.kind() == JobEvent.Kind.ITEM) {
        String before = statusOf.put(String.valueOf(e.body().getValue("itemId")), e.body().getString("status"));
        counts.merge(before == null ? "PENDING" : before, -1L, Long::sum);
        counts.merge(e.body().getString("status"), 1L, Long::sum);
      } else if (e.kind() == JobEvent.Kind.JOB) {
        counts.putIfAbsent("PENDING", e.body().getLong("total"));
        assertThat(nonZero(e.body().getJsonObject("counts").getMap())).as("the counts of event %d (%s)", e.seq(),
            e.body().getString("status")).isEqualTo(nonZero(counts));
      }
    }
  }

  private static Map<String, Long> nonZero(Map<String, ?> counts) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> {
      if (((Number) v).longValue() != 0) {
        out.put(k, ((Number) v).longValue());
      }
    });
    return out;
  }
}
