package io.onboarder.lease;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} whose time moves only when a test calls {@link #advance}: timers due by then run
 * on the caller's thread, in order of their due time (then of their setting). Not thread-safe.
 */
public final class VirtualClock implements Scheduler {
  private record Timer(long id, long dueAt, Runnable task) {}

  private final PriorityQueue<Timer> timers = new PriorityQueue<>(
      Comparator.comparingLong(Timer::dueAt).thenComparingLong(Timer::id));
  private long now;
  private long nextId;

  @Override
  public long nowMs() {
    return now;
  }

  @Override
  public long schedule(long delayMs, Runnable task) {
    long id = nextId++;
    timers.add(new Timer(id, now + Math.max(1, delayMs), task));
    return id;
  }

  @Override
  public void cancel(long timerId) {
    timers.removeIf(t -> t.id() == timerId);
  }

  /** Moves time on by {@code ms}, running every timer that comes due (timers set meanwhile included). */
  public void advance(long ms) {
    long until = now + ms;
    for (Timer next = timers.peek(); next != null && next.dueAt() <= until; next = timers.peek()) {
      timers.poll();
      now = next.dueAt();
      next.task().run();
    }
    now = until;
  }

  /** Timers set and not fired or cancelled yet. */
  public int pending() {
    return timers.size();
  }
}
