package io.onboarder.trace;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.tracing.opentelemetry.VertxContextStorageProvider.VertxContextStorage;
import java.util.function.Supplier;

/**
 * Runs work under a span that is not the current one. Vert.x keeps the current span on its context, and a future
 * completed by another request's callback (a gateway permit handed on, a pooled connection) runs its callbacks on
 * that request's context: so the work runs on a fresh duplicate of the current context that holds {@code parent},
 * and everything it starts there (HTTP requests, timers, event-bus requests) keeps that parent.
 */
public final class Traced {
  private Traced() {}

  /**
   * {@code shared} (a lookup several requests wait for), whose callbacks run under the span current now, not under
   * the span of the request that started the lookup.
   */
  public static <T> Future<T> rebind(Future<T> shared) {
    Context here = Context.current();
    Promise<T> mine = Promise.promise();
    shared.onComplete(ar -> within(here, () -> {
      mine.handle(ar);
      return null;
    }));
    return mine.future();
  }

  public static <T> T within(Context parent, Supplier<T> work) {
    ContextInternal current = ContextInternal.current();
    if (current == null) {
      try (Scope ignored = parent.makeCurrent()) {
        return work.get();
      }
    }
    ContextInternal duplicate = current.duplicate();
    // Never detached: the duplicate belongs to this work alone and is dropped with it.
    VertxContextStorage.INSTANCE.attach(duplicate, parent);
    Object[] result = new Object[1];
    RuntimeException[] failure = new RuntimeException[1];
    duplicate.dispatch(() -> {
      try {
        result[0] = work.get();
      } catch (RuntimeException e) {
        failure[0] = e;
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
    @SuppressWarnings("unchecked")
    T out = (T) result[0];
    return out;
  }
}
