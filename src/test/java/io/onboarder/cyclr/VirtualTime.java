package io.onboarder.cyclr;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A clock that moves only when a test moves it: timers fire in due order as time is advanced, on the test's
 * thread. Policies under test never wait on wall time.
 */
final class VirtualTime implements TimeSource {
  private static final long WALL_OFFSET_MS = 1_700_000_000_000L;

  private record Timer(long due, long id, Runnable task) {}

  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.due != b.due
      ? Long.compare(a.due, b.due) : Long.compare(a.id, b.id));
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
  public long setTimer(long delayMs, Runnable task) {
    long id = nextId++;
    timers.add(new Timer(now + Math.max(1, delayMs) * 1_000_000, id, task));
    return id;
  }

  @Override
  public void cancelTimer(long id) {
    timers.removeIf(t -> t.id == id);
  }

  /** Moves time forward by {@code d}, firing each timer that falls due on the way, at its due time. */
  void advance(Duration d) {
    advanceNanos(d.toNanos());
  }

  void advanceMillis(long ms) {
    advanceNanos(ms * 1_000_000);
  }

  void advanceNanos(long nanos) {
    long until = now + nanos;
    while (!timers.isEmpty() && timers.peek().due <= until) {
      Timer t = timers.poll();
      now = Math.max(now, t.due);
      t.task.run();
    }
    now = until;
  }

  /** Fires timers in due order until none is left (at most {@code max}, against a runaway). */
  void runTimers(int max) {
    for (int i = 0; i < max && !timers.isEmpty(); i++) {
      Timer t = timers.poll();
      now = Math.max(now, t.due);
      t.task.run();
    }
    if (!timers.isEmpty()) {
      throw new AssertionError("timers still pending after " + max + " fired");
    }
  }

  /** Fires the next timer, moving time to when it is due. */
  void fireNextTimer() {
    Timer t = timers.poll();
    if (t == null) {
      throw new AssertionError("no timer pending");
    }
    now = Math.max(now, t.due);
    t.task.run();
  }

  int pendingTimers() {
    return timers.size();
  }
}
