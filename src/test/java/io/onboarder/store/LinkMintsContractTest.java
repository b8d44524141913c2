package io.onboarder.store;

import io.onboarder.job.ItemOutcome;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;

/** The per-link mint limit: counted in the database, so two nodes racing share one window per link. */
class LinkMintsContractTest extends StoreContract {

  @ParameterizedTest
  @ValueSource(strings = {"memory", "sqlite", "postgresql"})
  void aLinkGetsAtMostItsMintsPerWindowFromTwoNodesAtOnceThenAgainOnceTheWindowEnds(String kind) {
    String url = urlFor(kind);
    StorePorts a = store(kind, url, relay(3_600_000, 60_000));
    StorePorts b = kind.equals("sqlite") ? a : store(kind, url, relay(3_600_000, 60_000));
    List<ItemOutcome> recorded = pendingSignIns(a, "m", "n");
    String token = token(recorded.get(0));
    long window = 60_000;
    List<Future<Long>> racing = IntStream.range(0, 20)
        .mapToObj(i -> (i % 2 == 0 ? a : b).mints().takeMint(token, 5, window)).toList();
    await(Future.all(new ArrayList<>(racing)));
    assertThat(racing.stream().filter(f -> f.result() == 0L)).as("mints taken").hasSize(5);
    assertThat(racing.stream().filter(f -> f.result() > 0L))
        .allSatisfy(f -> assertThat(f.result()).isBetween(1L, window));
    assertThat(await(a.mints().takeMint(token(recorded.get(1)), 5, window))).as("another link").isZero();
    assertThat(await(a.mints().takeMint("A".repeat(43), 5, window))).as("no such link: nothing to mint")
        .isPositive();
    // A short window ends on the database clock, and the link may mint again.
    String other = token(recorded.get(1));
    for (int i = 1; i < 5; i++) {
      assertThat(await(a.mints().takeMint(other, 5, 300))).isZero();
    }
    assertThat(await(b.mints().takeMint(other, 5, 300))).isPositive();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (await(b.mints().takeMint(other, 5, 300)) > 0) {
      assertThat(System.nanoTime()).as("the window to end").isLessThan(deadline);
      elapse(kind, 20);
    }
  }
}
