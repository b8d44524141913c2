package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.history.AccountHistory;
import io.onboarder.history.HistoryEntry;
import io.onboarder.history.HistoryKind;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.StoreException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Account history on both databases: job events become history in their own transaction (so it is never ahead of
 * or behind the items), other code records its own entries, owners see only theirs, pages follow a cursor, a fact
 * recorded once stays one entry, and retention removes only old entries.
 */
class AccountHistoryContractTest extends StoreContract {

  private static List<String> kinds(AccountHistory.Page page) {
    return page.items().stream().map(e -> e.kind().wire).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void itemOutcomesAreHistoryWrittenWithThem(String kind) {
    StorePorts s = store(kind);
    AccountHistory history = s.sql().history();
    String job = await(s.intake().create(request("h-a", "h-b", "h-c"), "alice", null)).job().id();
    List<ClaimedItem> items = await(s.items().claim("n", 10, 60_000));
    assertThat(await(history.page("h-a", null, null, 10)).items()).as("claimed is not history").isEmpty();
    await(s.items().record("n", List.of(withSignInUrl(items.get(0)), ItemOutcome.failed(items.get(1), "CYCLR_4XX",
        "Connector 1 is a draft"), installed(items.get(2)))));
    assertThat(await(s.items().record("n", List.of(installed(items.get(0))))).applied()).as("lease gone").isEmpty();

    AccountHistory.Page a = await(history.page("h-a", null, null, 10));
    assertThat(kinds(a)).containsExactly("connector.installed", "link.issued");
    HistoryEntry installed = a.items().get(0);
    assertThat(installed.jobId()).isEqualTo(job);
    assertThat(installed.detail().getBoolean("signInNeeded")).isTrue();
    assertThat(installed.detail().getString("itemId")).isEqualTo(String.valueOf(items.get(0).id()));
    HistoryEntry link = a.items().get(1);
    assertThat(link.detail().getLong("accountConnectorId")).isEqualTo(77L);
    assertThat(link.detail().getString("expiresAt")).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(link.detail().encode()).as("a sign-in URL carries a token").doesNotContain("token", "https://");
    assertThat(a.next()).isNull();

    AccountHistory.Page b = await(history.page("h-b", null, null, 10));
    assertThat(kinds(b)).containsExactly("connector.failed");
    assertThat(b.items().get(0).detail().getJsonObject("error").getString("code")).isEqualTo("CYCLR_4XX");
    assertThat(kinds(await(history.page("h-c", null, null, 10)))).containsExactly("connector.installed");
    assertThat(await(s.items().page(job, null, 10, null)).items()).as("nothing of the auth values").allSatisfy(
        i -> assertThat(((JsonObject) i).encode()).doesNotContain("key-of-"));

    // The sign-in watch (or the return page) moves the item on: history follows in that transaction.
    assertThat(await(s.signIns().markAuthenticated(items.get(0).id()))).isNotNull();
    assertThat(kinds(await(history.page("h-a", null, null, 10))))
        .containsExactly("connector.installed", "link.issued", "sign_in.completed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void entriesOfAFleetsStepJobCarryTheFleetSoItsOwnerSeesThem(String kind) {
    StorePorts s = store(kind);
    AccountHistory history = s.sql().history();
    String step = await(s.intake().create(request("fl-a").asFleetStep("acme", 2), "alice", null)).job().id();
    String plain = await(s.intake().create(request("fl-b"), "alice", null)).job().id();
    List<ClaimedItem> items = await(s.items().claim("n", 10, 60_000));
    assertThat(items).hasSize(2);
    await(s.items().record("n", items.stream().map(StoreContract::installed).toList()));

    HistoryEntry fromStep = await(history.page("fl-a", "alice", null, 10)).items().get(0);
    assertThat(fromStep.jobId()).isEqualTo(step);
    assertThat(fromStep.fleet()).as("a step job's entries name its fleet").isEqualTo("acme");
    HistoryEntry fromJob = await(history.page("fl-b", "alice", null, 10)).items().get(0);
    assertThat(fromJob.jobId()).isEqualTo(plain);
    assertThat(fromJob.fleet()).isNull();
    assertThat(await(history.page("fl-a", "bob", null, 10)).items()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void recordedEntriesBelongToTheirJobsOwnerAndOthersSeeNone(String kind) {
    StorePorts s = store(kind);
    AccountHistory history = s.sql().history();
    String alices = await(s.intake().create(request("shared"), "alice", null)).job().id();
    await(history.record(HistoryEntry.now("shared", HistoryKind.LINK_OPENED, alices, null,
        new JsonObject().put("itemId", "1"))));
    await(history.record(new HistoryEntry("shared", "2026-01-01T00:00:00Z", HistoryKind.DRIFT_DETECTED, null,
        "bobs-fleet", "bob", new JsonObject().put("drift", "DEAUTHENTICATED"), null)));

    assertThat(kinds(await(history.page("shared", null, null, 10)))).as("an admin sees all")
        .containsExactly("link.opened", "drift.detected");
    assertThat(kinds(await(history.page("shared", "alice", null, 10)))).containsExactly("link.opened");
    AccountHistory.Page bobs = await(history.page("shared", "bob", null, 10));
    assertThat(kinds(bobs)).containsExactly("drift.detected");
    assertThat(bobs.items().get(0).fleet()).isEqualTo("bobs-fleet");
    assertThat(bobs.items().get(0).toJson().fieldNames()).containsExactlyInAnyOrder("at", "kind", "jobId", "fleet",
        "detail");
    assertThat(kinds(await(history.page("shared", "mallory", null, 10)))).isEmpty();
    assertThat(kinds(await(history.page("other", null, null, 10)))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void pagesFollowTheCursorOldestFirstAndOnceIsOnce(String kind) {
    StorePorts s = store(kind);
    AccountHistory history = s.sql().history();
    for (int i = 0; i < 5; i++) {
      await(history.record(new HistoryEntry("paged", "2026-01-0" + (i + 1) + "T00:00:00Z", HistoryKind.DRIFT_REPAIRED,
          null, "f", "alice", new JsonObject().put("n", i), null)));
    }
    HistoryEntry once = new HistoryEntry("paged", "2026-02-01T00:00:00Z", HistoryKind.CYCLE_ACTIVATED, "j", null,
        "alice", new JsonObject(), "cycle.activated:j:c1");
    await(history.record(once));
    await(history.record(once));
    List<Integer> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      AccountHistory.Page page = await(history.page("paged", "alice", cursor, 2));
      page.items().forEach(e -> seen.add(e.detail().getInteger("n", -1)));
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(seen).containsExactly(0, 1, 2, 3, 4, -1);
    assertThat(pages).isEqualTo(3);
    assertThatThrownBy(() -> await(history.page("paged", null, "not-a-cursor", 2))).cause()
        .satisfies(failedWith(StoreException.Kind.INVALID));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void retentionDeletesOnlyOldEntriesInBatches(String kind) {
    StorePorts s = store(kind);
    AccountHistory history = s.sql().history();
    for (int i = 0; i < 3; i++) {
      await(history.record(new HistoryEntry("old", "2025-01-0" + (i + 1) + "T00:00:00Z", HistoryKind.DRIFT_DETECTED,
          null, null, "alice", new JsonObject(), null)));
    }
    await(history.record(HistoryEntry.now("old", HistoryKind.DRIFT_REPAIRED, null, null, new JsonObject())));
    assertThat(await(history.prune("2026-01-01T00:00:00Z", 2))).isEqualTo(2);
    assertThat(await(history.prune("2026-01-01T00:00:00Z", 2))).isEqualTo(1);
    assertThat(await(history.prune("2026-01-01T00:00:00Z", 2))).isZero();
    assertThat(kinds(await(history.page("old", null, null, 10)))).containsExactly("drift.repaired");
  }
}
