package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.job.ClaimedItem;
import io.onboarder.metrics.StoreCounts;
import io.onboarder.signin.SignInPolicy;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The counts behind the store's gauges on both databases: sign-ins the watch waits for, the webhook backlog and
 * its oldest age (on the database clock), drifted fleets; 0 on an empty store.
 */
class StoreCountsContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void countsWhatTheGaugesShow(String kind) {
    Stores stores = unstarted(kind, urlFor(kind), SignInPolicy.DEFAULT, 4);
    await(stores.start());
    StorePorts s = StorePorts.of(stores);
    this.stores.add(s);
    StoreCounts counts = stores.counts();
    assertThat(await(counts.signInsWaiting())).isZero();
    assertThat(await(counts.webhooksPending())).isZero();
    assertThat(await(counts.oldestWebhookSeconds())).isZero();
    assertThat(await(counts.fleetsDrifted())).isZero();

    // Two sign-ins waiting (each also an item.oauth_pending delivery); one API-key install (none).
    s.outboxTypes(Set.of("item.oauth_pending"));
    pendingSignIns(s, "a", "b");
    await(s.intake().create(request("c"), "alice", null));
    List<ClaimedItem> claimed = await(s.items().claim("n", 10, 60_000));
    await(s.items().record("n", List.of(installed(claimed.get(0)))));
    assertThat(await(counts.signInsWaiting())).isEqualTo(2);
    assertThat(await(counts.webhooksPending())).isEqualTo(2);
    // Backdated by an hour on the database's own clock: the age is read on that clock too.
    await(stores.database().query("UPDATE webhook_deliveries SET window_start_ms = window_start_ms - ?",
        Tuple.of(3_600_000L)));
    assertThat(await(counts.oldestWebhookSeconds())).isBetween(3_600.0, 3_660.0);

    for (String[] fleet : new String[][] {{"f1", "DRIFTED"}, {"f2", "CONVERGED"}, {"f3", "DRIFTED"}}) {
      await(stores.database().query("INSERT INTO fleets (name, owner, generation, spec, spec_print, tenant_count, "
          + "status, created_at, updated_at) VALUES (?, 'alice', 1, '{}', 'p', 0, ?, 'now', 'now')",
          Tuple.of(fleet[0], fleet[1])));
    }
    assertThat(await(counts.fleetsDrifted())).isEqualTo(2);
  }
}
