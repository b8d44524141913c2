package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Verticles deployed as one: one context, one event loop, started in order, stopped in reverse. */
@ExtendWith(VertxExtension.class)
class OneLoopTest {

  private static final class Part extends VerticleBase {
    private final String name;
    private final List<String> log;
    private final boolean failStart;

    Part(String name, List<String> log, boolean failStart) {
      this.name = name;
      this.log = log;
      this.failStart = failStart;
    }

    @Override
    public Future<?> start() {
      log.add("start " + name + " on " + Thread.currentThread().getName() + " " + System.identityHashCode(context));
      // A part that talks to the one started before it over the event bus, as the dispatcher does.
      vertx.eventBus().<String>localConsumer("one-loop." + name, msg -> msg.reply(name + " on "
          + Thread.currentThread().getName()));
      return failStart ? Future.failedFuture("no start for " + name) : Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
      log.add("stop " + name);
      return Future.succeededFuture();
    }
  }

  @Test
  void partsShareOneContextStartInOrderAndStopInReverse(Vertx vertx, VertxTestContext ctx) {
    List<String> log = new CopyOnWriteArrayList<>();
    vertx.deployVerticle(new OneLoop(new Part("a", log, false), new Part("b", log, false), new Part("c", log, false)))
        .compose(id -> vertx.eventBus().<String>request("one-loop.a", "").compose(a ->
            vertx.eventBus().<String>request("one-loop.c", "").map(c -> List.of(a.body(), c.body())))
            .compose(replies -> vertx.undeploy(id).map(replies)))
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertThat(log).hasSize(6);
          String where = log.get(0).substring("start a".length());
          assertThat(log.subList(0, 3)).containsExactly("start a" + where, "start b" + where, "start c" + where);
          assertThat(log.subList(3, 6)).containsExactly("stop c", "stop b", "stop a");
          String thread = replies.get(0).substring("a on ".length());
          assertThat(replies).containsExactly("a on " + thread, "c on " + thread);
          ctx.completeNow();
        })));
  }

  @Test
  void aPartThatFailsToStartStopsThoseStartedBeforeItAndFailsTheDeployment(Vertx vertx, VertxTestContext ctx) {
    List<String> log = new CopyOnWriteArrayList<>();
    vertx.deployVerticle(new OneLoop(new Part("a", log, false), new Part("b", log, true), new Part("c", log, false)))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertThat(err).hasMessage("no start for b");
          assertThat(log).hasSize(3);
          assertThat(log.get(0)).startsWith("start a");
          assertThat(log.get(1)).startsWith("start b");
          assertThat(log.get(2)).isEqualTo("stop a");
          assertThat(vertx.deploymentIDs()).isEmpty();
          ctx.completeNow();
        })));
  }
}
