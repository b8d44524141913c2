package io.onboarder.cyclr;

import io.onboarder.time.VirtualClock;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The no-duplicate-install guarantee shared by the connector and template flows, on a virtual clock: a POST
 * is never re-sent blindly; after an unknown outcome the account is checked (after a settle time, twice)
 * first.
 */
class CheckedInstallTest {
  private static final long SETTLE = 1_000;
  private static final JsonObject INSTALLED = new JsonObject().put("Id", 42);

  private final VirtualClock time = new VirtualClock();
  private final List<String> log = new ArrayList<>();
  private final Deque<Supplier<Future<JsonObject>>> posts = new ArrayDeque<>();
  private final Deque<JsonObject> finds = new ArrayDeque<>();
  private boolean mayInstall = true;
  private final CheckedInstall installs = new CheckedInstall(time, 3, SETTLE, () -> mayInstall);

  @Test
  void aSuccessfulPostIsSentOnceAndNotChecked() {
    posts.add(() -> Future.succeededFuture(INSTALLED));
    assertThat(install().result()).isEqualTo(INSTALLED);
    assertThat(log).containsExactly("POST at 0");
  }

  @Test
  void aRefusedPostIsNeitherCheckedNorResent() {
    posts.add(() -> Future.failedFuture(new CyclrException("CYCLR_4XX", "no", 400)));
    assertThat(install().cause()).isInstanceOfSatisfying(CyclrException.class,
        e -> assertThat(e.code()).isEqualTo("CYCLR_4XX"));
    assertThat(log).containsExactly("POST at 0");
  }

  @Test
  void afterAnUnknownOutcomeItChecksAfterTheSettleTimeAndFindsTheInstallWithoutResending() {
    posts.add(this::lost);
    finds.add(INSTALLED);
    Future<JsonObject> result = install();
    assertThat(result.isComplete()).isFalse();
    time.advance(SETTLE - 1);
    assertThat(log).as("Cyclr may still be working on it").containsExactly("POST at 0");
    time.advance(1);
    assertThat(result.result()).isEqualTo(INSTALLED);
    assertThat(log).containsExactly("POST at 0", "check at 1000");
  }

  @Test
  void itLooksTwiceBeforeSendingAgain() {
    posts.add(this::lost);
    posts.add(() -> Future.succeededFuture(INSTALLED));
    finds.add(new JsonObject());
    finds.add(new JsonObject());
    Future<JsonObject> result = install();
    time.runTimers(10);
    assertThat(result.result()).isEqualTo(INSTALLED);
    assertThat(log).containsExactly("POST at 0", "check at 1000", "check at 3000", "POST at 3000");
  }

  @Test
  void anOutcomeThatStaysUnknownEndsAfterMaxAttemptsWithNothingInstalled() {
    for (int i = 0; i < 3; i++) {
      posts.add(this::lost);
    }
    for (int i = 0; i < 6; i++) {
      finds.add(new JsonObject());
    }
    Future<JsonObject> result = install();
    time.runTimers(100);
    assertThat(result.cause()).isInstanceOfSatisfying(CyclrException.class, e -> {
      assertThat(e.code()).isEqualTo("CYCLR_UNAVAILABLE");
      assertThat(e.getMessage()).isEqualTo("The install's outcome stayed unknown after 3 attempts (lost); nothing "
          + "is installed.");
    });
    assertThat(log.stream().filter(l -> l.startsWith("POST"))).hasSize(3);
    assertThat(log.stream().filter(l -> l.startsWith("check"))).hasSize(6);
  }

  @Test
  void noPostLeavesOnceTheLeaseMayHaveLapsedAndAnEarlierAttemptMakesItRecovered() {
    mayInstall = false;
    assertThat(install().cause()).isInstanceOfSatisfying(CyclrException.ShuttingDown.class,
        e -> assertThat(e.afterInstall()).isFalse());
    assertThat(log).isEmpty();

    mayInstall = true;
    posts.add(() -> {
      mayInstall = false;
      return lost();
    });
    finds.add(new JsonObject());
    finds.add(new JsonObject());
    Future<JsonObject> result = install();
    time.runTimers(10);
    assertThat(result.cause()).isInstanceOfSatisfying(CyclrException.ShuttingDown.class,
        e -> assertThat(e.afterInstall()).as("an install was sent: it may exist at Cyclr").isTrue());
    assertThat(log.stream().filter(l -> l.startsWith("POST"))).hasSize(1);
  }

  private Future<JsonObject> install() {
    return installs.install(() -> {
      log.add("check at " + elapsedMs());
      JsonObject found = finds.poll();
      return Future.succeededFuture(found == null || found.isEmpty() ? null : found);
    }, () -> {
      log.add("POST at " + elapsedMs());
      return posts.poll().get();
    }, "install", "nothing is installed");
  }

  private final long start = time.nanoTime();

  private long elapsedMs() {
    return (time.nanoTime() - start) / 1_000_000;
  }

  private Future<JsonObject> lost() {
    Promise<JsonObject> p = Promise.promise();
    p.fail(new CyclrException.Ambiguous("lost"));
    return p.future();
  }
}
