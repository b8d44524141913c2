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

/** The webhook outbox and its endpoint: deliveries leased to one sender, retried, given up, replayed and pruned. */
class WebhookOutboxContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void deliveriesAreLeasedToOneSenderRetriedGivenUpReplayedAndPruned(String kind) {
    String url = urlFor(kind);
    StorePorts s = store(kind, url);
    StorePorts otherNode = kind.equals("sqlite") ? s : store(kind, url);
    WebhookOutbox other = otherNode.outbox();
    WebhookEndpoints otherEndpoints = otherNode.endpoints();
    s.outboxTypes(Set.of("job.finished"));
    for (int i = 0; i < 6; i++) {
      String job = await(s.intake().create(request("x" + i), "alice", null)).job().id();
      List<ClaimedItem> items = await(s.items().claim("n", 10, 60_000));
      await(s.items().record("n", List.of(installed(items.get(0)))));
      await(s.jobs().finishIfDone(job));
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
    await(s.endpoints().disable("hash-1", "HTTP 410 Gone"));
    assertThat(await(otherEndpoints.endpoint("hash-1")).enabled()).isFalse();
    assertThat(await(otherEndpoints.endpoint("hash-2")).enabled()).isTrue();
    await(s.endpoints().enable("hash-1"));
    assertThat(await(otherEndpoints.endpoint("hash-1")).enabled()).isTrue();

    // Retention: settled deliveries before a time, and the events of jobs finished before it.
    String future = java.time.Instant.now().plusSeconds(60).toString();
    assertThat(await(box.prune("DELIVERED", future, 100))).isEqualTo(1);
    assertThat(await(s.events().prune(future, 100))).isGreaterThan(0);
    assertThat(await(s.events().prune(future, 100))).isZero();
  }
}
