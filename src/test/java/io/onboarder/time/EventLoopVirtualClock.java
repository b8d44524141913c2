package io.onboarder.time;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A virtual {@link Clock} for code that runs on Vert.x event loops (a whole gateway verticle) while the test moves
 * time from its own thread: a timer runs on the context that set it, and {@link #advance} waits for each timer
 * before it runs the next, in due order, so the code sees time move exactly as on {@link VirtualClock}. Real work
 * (HTTP, the database) takes no virtual time at all: the test moves time only when that work is done.
 */
public final class EventLoopVirtualClock implements Clock {
  private static final long WALL_OFFSET_MS = 1_700_000_000_000L;

  private record Timer(long id, long dueAt, Runnable task, Context context) {}

  private final PriorityQueue<Timer> timers = new PriorityQueue<>(
      Comparator.comparingLong(Timer::dueAt).thenComparingLong(Timer::id));
  private volatile long now = 5_000_000_000L;
  private long nextId;

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public long currentTimeMillis() {
    return WALL_OFFSET_MS + now / 1_000_000;
  }

  @Override
  public synchronized long schedule(long delayMs, Runnable task) {
    long id = nextId++;
    timers.add(new Timer(id, now + Math.max(1, delayMs) * 1_000_000, task, Vertx.currentContext()));
    return id;
  }

  @Override
  public synchronized void cancel(long timerId) {
    timers.removeIf(t -> t.id() == timerId);
  }

  /** Moves time on by {@code ms} (from a test thread, never an event loop), running every timer that comes due. */
  public void advance(long ms) {
    long until = now + ms * 1_000_000;
    while (true) {
      Timer next;
      synchronized (this) {
        next = timers.peek();
        if (next == null || next.dueAt() > until) {
          break;
        }
        timers.poll();
      }
      now = Math.max(now, next.dueAt());
      run(next);
    }
    now = until;
  }

  private static void run(Timer t) {
    if (t.context() == null) {
      t.task().run();
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    t.context().runOnContext(v -> {
      try {
        t.task().run();
      } finally {
        done.complete(null);
      }
    });
    try {
      done.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("a timer did not run on its context", e);
    }
  }
}
