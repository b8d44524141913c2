package io.onboarder.cyclr;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalogue cache both flows share, on a virtual clock. */
class CatalogueTest {
  private final VirtualClock time = new VirtualClock();
  private final Catalogue catalogue = new Catalogue(time);
  private final List<String> lookups = new ArrayList<>();

  @Test
  void aRunningLookupAndAFreshAnswerAreSharedAndAStaleOneIsLookedUpAgain() {
    Promise<String> first = Promise.promise();
    Future<String> a = catalogue.get("connector:x", () -> lookup("a", first.future()));
    Future<String> b = catalogue.get("connector:x", () -> lookup("b", Future.succeededFuture("other")));
    first.complete("found");
    assertThat(a.result()).isEqualTo("found");
    assertThat(b.result()).isEqualTo("found");
    time.advance(Catalogue.TTL_MILLIS);
    assertThat(catalogue.get("connector:x", () -> lookup("c", Future.succeededFuture("new"))).result())
        .isEqualTo("found");
    time.advance(1);
    assertThat(catalogue.get("connector:x", () -> lookup("d", Future.succeededFuture("new"))).result())
        .isEqualTo("new");
    assertThat(lookups).containsExactly("a", "d");
  }

  @Test
  void aFailureIsLookedUpAgainUnlessItIsALastingAnswer() {
    CyclrException down = new CyclrException("CYCLR_UNAVAILABLE", "down", 503);
    CyclrException missing = new CyclrException("TEMPLATE_NOT_FOUND", "no such template", 404);
    catalogue.get("t", () -> lookup("a", Future.failedFuture(down)));
    assertThat(catalogue.get("t", () -> lookup("b", Future.succeededFuture("ok"))).result()).isEqualTo("ok");

    catalogue.get("exists", () -> lookup("c", Future.failedFuture(missing)), CatalogueTest::notFound);
    assertThat(catalogue.get("exists", () -> lookup("d", Future.succeededFuture("ok")), CatalogueTest::notFound)
        .cause()).as("'not found' is kept like an answer").isSameAs(missing);
    time.advance(Catalogue.TTL_MILLIS + 1);
    assertThat(catalogue.get("exists", () -> lookup("e", Future.succeededFuture("ok")), CatalogueTest::notFound)
        .result()).isEqualTo("ok");
    assertThat(lookups).containsExactly("a", "b", "c", "e");
  }

  @Test
  void aSharedLookupRefusedWithA4xxIsRedoneWithTheCallersOwnButAnOutageIsShared() {
    Promise<String> refused = Promise.promise();
    catalogue.get("k", () -> lookup("other account", refused.future()));
    Future<String> mine = catalogue.get("k", () -> lookup("my account", Future.succeededFuture("mine")));
    refused.fail(new CyclrException("CYCLR_4XX", "Account not found", 404));
    assertThat(mine.result()).isEqualTo("mine");

    Promise<String> down = Promise.promise();
    catalogue.get("d", () -> lookup("first", down.future()));
    Future<String> second = catalogue.get("d", () -> lookup("second", Future.succeededFuture("x")));
    down.fail(new CyclrException("CYCLR_UNAVAILABLE", "down", 503));
    assertThat(second.failed()).isTrue();
    assertThat(lookups).containsExactly("other account", "my account", "first");
  }

  private <T> Future<T> lookup(String who, Future<T> answer) {
    lookups.add(who);
    return answer;
  }

  private static boolean notFound(Throwable err) {
    return err instanceof CyclrException e && "TEMPLATE_NOT_FOUND".equals(e.code());
  }
}
