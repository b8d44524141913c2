package io.onboarder.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.job.AccountStatus;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Which job events are account history and what they say: the table, and what never goes into a detail. */
class HistoryFromEventsTest {
  private static final String AT = "2026-12-06T10:00:00Z";

  private static List<HistoryEntry> of(Kind kind, JsonObject body) {
    return HistoryFromEvents.of(kind, "job-1", "alice", body, AT);
  }

  @ParameterizedTest(name = "item {0} -> {1}")
  @CsvSource({
      "INSTALLED, connector.installed",
      "OAUTH_PENDING, connector.installed",
      "ALREADY_INSTALLED, connector.installed",
      "AUTHENTICATED, sign_in.completed",
      "FAILED, connector.failed",
      "PENDING, ",
      "RUNNING, ",
      "CANCELLED, ",
  })
  void itemStatusesThatAreHistory(ItemStatus status, String kind) {
    List<HistoryEntry> entries = of(Kind.ITEM, EventBodies.item("job-1", 7, "acct", 2L, status,
        status == ItemStatus.FAILED ? new JsonObject().put("code", "CYCLR_4XX").put("message", "no")
            .put("httpStatus", 400) : null));
    assertThat(entries.stream().map(e -> e.kind().wire).toList()).isEqualTo(kind == null ? List.of() : List.of(kind));
    entries.forEach(e -> {
      assertThat(e.account()).isEqualTo("acct");
      assertThat(e.jobId()).isEqualTo("job-1");
      assertThat(e.owner()).isEqualTo("alice");
      assertThat(e.at()).isEqualTo(AT);
      assertThat(e.detail().getString("itemId")).isEqualTo("7");
      assertThat(e.detail().getLong("connectorId")).isEqualTo(2L);
      assertThat(e.dedupe()).isNull();
    });
  }

  @Test
  void aLostCredentialIsHistoryTooAndUnknownStatusesAreNot() {
    JsonObject body = EventBodies.item("job-1", 7, "acct", 2L, ItemStatus.INSTALLED, null);
    assertThat(of(Kind.ITEM, body.copy().put("status", "REAUTH_REQUIRED"))).extracting(e -> e.kind().wire)
        .containsExactly("credential.lost");
    assertThat(of(Kind.ITEM, body.copy().put("status", "SOMETHING_NEW"))).isEmpty();
    assertThat(of(Kind.ITEM, body.copy().putNull("account"))).as("no account, no history").isEmpty();
  }

  @Test
  void aLinkIssuedKeepsNeitherItsUrlNorCyclrs() {
    JsonObject body = EventBodies.oauth("job-1", 7, "acct", 2L, "Salesforce", 1001L,
        "https://onboard.example.com/connect/SECRETTOKEN", "https://cyclr.example/x?token=CYCLRTOKEN",
        "2030-01-01T00:00:00Z");
    List<HistoryEntry> entries = of(Kind.OAUTH, body);
    assertThat(entries).extracting(e -> e.kind().wire).containsExactly("link.issued");
    JsonObject detail = entries.get(0).detail();
    assertThat(detail.fieldNames()).containsExactlyInAnyOrder("itemId", "connectorId", "connectorName",
        "accountConnectorId", "expiresAt");
    assertThat(detail.encode()).doesNotContain("SECRETTOKEN", "CYCLRTOKEN", "http");
    assertThat(of(Kind.OAUTH, body.put("reminder", 2)).get(0).detail().getInteger("reminder")).isEqualTo(2);
  }

  @Test
  void aCycleIsInstalledOnceAndActivatedOncePerJob() {
    JsonObject waiting = EventBodies.account("job-1", "acct", AccountStatus.WAITING, null, new JsonArray(), null);
    assertThat(of(Kind.ACCOUNT, waiting)).as("no cycle yet").isEmpty();
    List<HistoryEntry> installed = of(Kind.ACCOUNT, EventBodies.account("job-1", "acct", AccountStatus.INSTALLED,
        "cyc-9", new JsonArray(), null));
    assertThat(installed).extracting(e -> e.kind().wire).containsExactly("cycle.installed");
    assertThat(installed.get(0).dedupe()).isEqualTo("cycle.installed:job-1:cyc-9");
    List<HistoryEntry> active = of(Kind.ACCOUNT, EventBodies.account("job-1", "acct", AccountStatus.ACTIVE, "cyc-9",
        new JsonArray(), null));
    assertThat(active).extracting(e -> e.kind().wire).containsExactly("cycle.installed", "cycle.activated");
    assertThat(active).extracting(HistoryEntry::dedupe).containsExactly("cycle.installed:job-1:cyc-9",
        "cycle.activated:job-1:cyc-9");
    assertThat(active.get(1).detail()).isEqualTo(new JsonObject().put("cycleId", "cyc-9"));
  }

  @Test
  void jobEventsAreNotHistory() {
    assertThat(of(Kind.JOB, new JsonObject().put("id", "job-1").put("status", "SUCCEEDED"))).isEmpty();
  }
}
