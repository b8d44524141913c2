package io.onboarder.time;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A {@link Clock} whose time moves only when a test moves it: timers that come due run on the test's
 * thread, in order of their due time (then of their setting), each at its due time. Not thread-safe.
 */
public final class VirtualClock implements Clock {
  /** The wall clock shown while the monotonic clock reads 0 (any fixed instant will do). */
  private static final long WALL_OFFSET_MS = 1_700_000_000_000L;

  private record Timer(long id, long dueAt, Runnable task) {}

  private final PriorityQueue<Timer> timers = new PriorityQueue<>(
      Comparator.comparingLong(Timer::dueAt).thenComparingLong(Timer::id));
  /** Nanoseconds; starts past 0 so that "now minus a while" stays positive in what is tested. */
  private long now = 5_000_000_000L;
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
  public long schedule(long delayMs, Runnable task) {
    long id = nextId++;
    timers.add(new Timer(id, now + Math.max(1, delayMs) * 1_000_000, task));
    return id;
  }

  @Override
  public void cancel(long timerId) {
    timers.removeIf(t -> t.id() == timerId);
  }

  /** Moves time on by {@code ms}, running every timer that comes due (timers set meanwhile included). */
  public void advance(long ms) {
    advanceNanos(ms * 1_000_000);
  }

  public void advance(Duration d) {
    advanceNanos(d.toNanos());
  }

  public void advanceNanos(long nanos) {
    long until = now + nanos;
    for (Timer next = timers.peek(); next != null && next.dueAt() <= until; next = timers.peek()) {
      timers.poll();
      now = Math.max(now, next.dueAt());
      next.task().run();
    }
    now = until;
  }

  /** Fires timers in due order until none is left (at most {@code max}, against a runaway). */
  public void runTimers(int max) {
    for (int i = 0; i < max && !timers.isEmpty(); i++) {
      fireNextTimer();
    }
    if (!timers.isEmpty()) {
      throw new AssertionError("timers still pending after " + max + " fired");
    }
  }

  /** Fires the next timer, moving time to when it is due. */
  public void fireNextTimer() {
    Timer t = timers.poll();
    if (t == null) {
      throw new AssertionError("no timer pending");
    }
    now = Math.max(now, t.dueAt());
    t.task().run();
  }

  /** Timers set and not fired or cancelled yet. */
  public int pending() {
    return timers.size();
  }
}
