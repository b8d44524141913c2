package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The calls waiting for a permit, first come first served, with a lane ahead for calls already held to a share
 * of the rate elsewhere ({@link ReadShare}): they cannot starve the rest, and need not wait behind it. Each carries
 * an owner (the call), so that the calls of a cancelled item can be failed before they are ever sent.
 */
public final class WaitQueue {
  /** One waiting call. */
  public record Waiter(Promise<Void> promise, Object owner) {}

  private final Deque<Waiter> ahead = new ArrayDeque<>();
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private Predicate<Object> abandoned = owner -> false;

  /** {@code abandoned}: whether a waiting call's owner is cancelled. */
  public void abandonWhen(Predicate<Object> abandoned) {
    this.abandoned = abandoned;
  }

  /** Whether calls of {@code owner} are abandoned (a null owner never is). */
  public boolean isAbandoned(Object owner) {
    return owner != null && abandoned.test(owner);
  }

  /** Queues a call of {@code owner}; the future completes when it is granted. */
  public Future<Void> add(Object owner) {
    return add(owner, false);
  }

  /** As {@link #add(Object)}; {@code first}: in the lane served before the others (in its own arrival order). */
  public Future<Void> add(Object owner, boolean first) {
    Promise<Void> p = Promise.promise();
    (first ? ahead : waiters).add(new Waiter(p, owner));
    return p.future();
  }

  /** Fails the waiting calls whose owner is now abandoned with {@link CallCancelled}; returns how many. */
  public int abandon() {
    return abandon(ahead) + abandon(waiters);
  }

  private int abandon(Deque<Waiter> lane) {
    int n = 0;
    for (Iterator<Waiter> it = lane.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (isAbandoned(w.owner())) {
        it.remove();
        w.promise().tryFail(new CallCancelled());
        n++;
      }
    }
    return n;
  }

  /** Fails every waiting call with the failure {@code why} makes. */
  public void failAll(Supplier<Throwable> why) {
    while (!isEmpty()) {
      poll().promise().tryFail(why.get());
    }
  }

  /** The next waiting call, or null. */
  public Waiter poll() {
    return ahead.isEmpty() ? waiters.poll() : ahead.poll();
  }

  public boolean isEmpty() {
    return ahead.isEmpty() && waiters.isEmpty();
  }

  public int size() {
    return ahead.size() + waiters.size();
  }
}
