package io.onboarder;

import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import java.util.List;

/**
 * Verticles deployed as one, on one context and so on one event loop, started in order and stopped in
 * reverse order. The dispatchers and the Cyclr gateway trade a request and a reply per item: between
 * two event loops each costs a task handed to the other thread, which is often asleep in epoll and
 * must be woken; on one event loop it is a queue entry. A part that fails to start stops the parts
 * started before it, and the deployment fails with its error.
 */
final class OneLoop implements Deployable {
  private final List<Deployable> parts;

  OneLoop(Deployable... parts) {
    this.parts = List.of(parts);
  }

  @Override
  public Future<?> deploy(Context context) {
    return start(0, context);
  }

  private Future<?> start(int index, Context context) {
    if (index == parts.size()) {
      return Future.succeededFuture();
    }
    return call(() -> parts.get(index).deploy(context))
        .compose(v -> start(index + 1, context),
            err -> stop(index - 1, context).transform(x -> Future.failedFuture(err)));
  }

  @Override
  public Future<?> undeploy(Context context) {
    return stop(parts.size() - 1, context);
  }

  /** Stops parts {@code index} … 0, each after the previous one, whatever each answers; fails with the first error. */
  private Future<?> stop(int index, Context context) {
    if (index < 0) {
      return Future.succeededFuture();
    }
    Future<?> stopped = call(() -> parts.get(index).undeploy(context));
    return stopped.transform(ar -> stop(index - 1, context)
        .transform(rest -> ar.failed() ? Future.failedFuture(ar.cause()) : rest.failed()
            ? Future.failedFuture(rest.cause()) : Future.succeededFuture()));
  }

  private interface Step {
    Future<?> run() throws Exception;
  }

  private static Future<?> call(Step step) {
    try {
      return step.run();
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
