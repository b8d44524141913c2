package io.onboarder.cyclr;

import io.onboarder.time.Clock;
import io.onboarder.trace.Traced;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Cyclr's catalogue as the gateway has looked it up (connectors, templates), partner-wide, shared by the
 * connector and template flows so that a thousand items of one connector cost one lookup, not a thousand.
 * Confined to the gateway's event loop.
 */
final class Catalogue {
  static final long TTL_MILLIS = 10 * 60_000;

  private final Clock time;
  /** Tracing is on: a shared lookup's callbacks run under each waiting item's span, not the first one's. */
  private final boolean traced;
  private final Map<String, Entry> entries = new HashMap<>();

  private record Entry(Future<?> value, long at) {}

  Catalogue(Clock time) {
    this(time, false);
  }

  Catalogue(Clock time, boolean traced) {
    this.time = time;
    this.traced = traced;
  }

  /**
   * The answer for {@code key}: a lookup still running, or one that succeeded less than {@link #TTL_MILLIS}
   * ago, is shared; a failed one is looked up again, unless {@code lasting} says the failure is an answer
   * (e.g. "no such template"). A shared lookup ran with another item's account: if it ends in a refusal (4xx)
   * that is not lasting, it may be about that account (missing, no access), so it is redone with the caller's
   * own {@code lookup}; Cyclr being down is shared.
   */
  @SuppressWarnings("unchecked")
  <T> Future<T> get(String key, Supplier<Future<T>> lookup, Predicate<Throwable> lasting) {
    long now = time.currentTimeMillis();
    Entry cached = entries.get(key);
    if (cached != null && (!cached.value.isComplete() || (cached.value.succeeded() || lasting.test(cached.value.cause()))
        && now - cached.at <= TTL_MILLIS)) {
      Future<T> shared = traced ? Traced.rebind((Future<T>) cached.value) : (Future<T>) cached.value;
      return shared.recover(err -> refusal(err) && !lasting.test(err) ? lookup.get()
          : Future.failedFuture(err));
    }
    Future<T> fresh = lookup.get();
    entries.put(key, new Entry(fresh, now));
    return fresh;
  }

  /** Nothing lasting: every failure is looked up again. */
  <T> Future<T> get(String key, Supplier<Future<T>> lookup) {
    return get(key, lookup, err -> false);
  }

  private static boolean refusal(Throwable err) {
    return err instanceof CyclrException e && e.httpStatus() != null && e.httpStatus() >= 400 && e.httpStatus() < 500;
  }
}
