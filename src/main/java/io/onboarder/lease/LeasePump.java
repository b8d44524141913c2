package io.onboarder.lease;

import io.onboarder.time.Clock;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs leased work: claims units from a {@link LeaseQueue} only while there is room in flight (pull is
 * the back-pressure), sends each through a {@link Sender}, buffers the outcomes and records them in
 * batches, and at shutdown stops claiming, lets what is in flight finish, hands back what was never sent
 * and flushes. Written like Vert.x's {@code SimpleConnectionPool}: every event (a claim answered, a send
 * done, a timer) is an action that changes the pump's state and returns its side effects (store calls,
 * sends, listener calls), which run after the change is complete; an action raised meanwhile (a future
 * that completes at once) waits its turn, so no change ever sees another half made. Confined to one
 * context; time comes from the injected {@link Clock}.
 */
public final class LeasePump<W, O> implements LeaseHolder {
  private static final Logger log = LoggerFactory.getLogger(LeasePump.class);
  /** At shutdown, failed writes of outcomes are tried again for this long after the grace period. */
  static final long FLUSH_GRACE_MS = 5_000;

  /** Does the work of one unit; the outcome is what the queue records. */
  public interface Sender<W, O> {
    Future<O> send(W unit);

    /** The outcome of a unit whose send failed (a claimed unit is never dropped silently); null records nothing. */
    O failed(W unit, Throwable cause);
  }

  /** What the pump's owner hears; each method runs as a side effect, after the state change. */
  public interface Listener<W, O> {
    /** Units were leased to this node (and are being sent). */
    default void claimed(List<W> units) {
    }

    /** A batch was written; {@code applied} leaves out the outcomes whose lease was lost meanwhile. */
    default void recorded(List<O> batch, List<O> applied) {
    }

    /** A store operation failed (it is tried again: nothing is lost). */
    default void storeFailed(Throwable cause) {
    }
  }

  /**
   * @param maxInFlight  units being sent at once; units sent plus outcomes not yet written stay under twice this
   * @param claimFloor   while some are in flight, claim only once this much room is free (claims in batches)
   * @param maxClaim     the most units one claim asks for
   * @param flushAt      outcomes waiting that trigger a write at once...
   * @param flushDelayMs ... else the oldest waits at most this long
   * @param idleMs       after a claim found less than it asked for, claim again at the latest after this
   *                     (sooner on {@link #wake()} or when the queue says the next unit is due sooner)
   * @param retryMs      a failed claim or write is tried again after this
   */
  public record Options(int maxInFlight, int claimFloor, int maxClaim, int flushAt, long flushDelayMs, long idleMs,
                        long retryMs) {
    public Options {
      if (maxInFlight < 1 || claimFloor < 1 || maxClaim < 1 || flushAt < 1 || flushDelayMs < 0 || idleMs < 1
          || retryMs < 1) {
        throw new IllegalArgumentException("lease pump options must be positive: " + maxInFlight);
      }
    }
  }

  private enum Phase { NEW, RUNNING, DRAINING, CLOSED }

  private final String what;
  private final Clock clock;
  private final LeaseQueue<W, O> queue;
  private final Sender<W, O> sender;
  private final Options options;
  private final BooleanSupplier mayClaim;
  private final Listener<W, O> listener;
  private final ArrayDeque<Consumer<List<Runnable>>> actions = new ArrayDeque<>();
  private boolean executing;

  private Phase phase = Phase.NEW;
  private int inFlight;
  private boolean claiming;
  /** The last claim found less than it asked for: no claim until the claim timer or a wake. */
  private boolean idle;
  private long claimTimer = -1;
  private long claimDueAt;
  private final List<O> buffer = new ArrayList<>();
  private List<O> writing;
  private long flushTimer = -1;
  /** Claimed while draining, so never sent: handed back before the pump closes. */
  private final List<W> unsent = new ArrayList<>();
  private boolean releasing;
  private boolean graceOver;
  private long graceTimer = -1;
  private long flushBy;
  private final Promise<Integer> drained = Promise.promise();

  /**
   * @param what     what a unit is, for logs ("item", "webhook delivery")
   * @param mayClaim checked before every claim (the node is started, not draining, its store answers);
   *                 when it turns true again, call {@link #wake()}
   */
  public LeasePump(String what, Clock clock, LeaseQueue<W, O> queue, Sender<W, O> sender, Options options,
                   BooleanSupplier mayClaim, Listener<W, O> listener) {
    this.what = what;
    this.clock = clock;
    this.queue = queue;
    this.sender = sender;
    this.options = options;
    this.mayClaim = mayClaim;
    this.listener = listener;
  }

  // ---- the API -------------------------------------------------------------------------------

  /** Starts claiming. */
  public void start() {
    execute(fx -> {
      if (phase == Phase.NEW) {
        phase = Phase.RUNNING;
        claimIfRoom(fx);
      }
    });
  }

  /** A notice that work may be due (new work, work handed back, the store back): claim now if there is room. */
  @Override
  public void wake() {
    execute(fx -> {
      idle = false;
      cancelClaimTimer();
      claimIfRoom(fx);
    });
  }

  /**
   * Stops claiming; units in flight get {@code graceMs} to finish; units claimed meanwhile are handed back;
   * outcomes are written (failed writes are tried again for a few seconds more). Completes with the number
   * of units still in flight when it gave up waiting (their leases lapse and another node takes them over).
   * Nothing touches the queue after that: the store may close.
   */
  public Future<Integer> drain(long graceMs) {
    execute(fx -> {
      if (phase == Phase.DRAINING || phase == Phase.CLOSED) {
        return;
      }
      phase = Phase.DRAINING;
      idle = false;
      cancelClaimTimer();
      flushBy = clock.nowMs() + Math.max(0, graceMs) + FLUSH_GRACE_MS;
      graceTimer = clock.schedule(Math.max(1, graceMs), () -> execute(f -> {
        graceTimer = -1;
        graceOver = true;
        closeIfDone(f);
      }));
      flush(fx);
      closeIfDone(fx);
    });
    return drained.future();
  }

  /** Extends this node's leases in the queue (on the node's renewal timer); nothing once closed. */
  @Override
  public Future<Void> renew() {
    return phase == Phase.CLOSED ? Future.succeededFuture() : queue.renew();
  }

  /** Frees expired leases of other nodes and wakes the pump if it freed any. */
  @Override
  public Future<Integer> takeOver() {
    if (phase != Phase.RUNNING) {
      return Future.succeededFuture(0);
    }
    return queue.takeOver().onSuccess(n -> {
      if (n > 0) {
        wake();
      }
    });
  }

  /** Units being sent now (read by a metrics gauge: a slightly stale value is fine). */
  public int inFlight() {
    return inFlight;
  }

  /** Outcomes not written yet (waiting or being written). */
  public int unrecorded() {
    return buffer.size() + (writing == null ? 0 : writing.size());
  }

  // ---- the executor --------------------------------------------------------------------------

  /** Runs {@code action} (a state change that adds its side effects to the list), then its effects, in order. */
  private void execute(Consumer<List<Runnable>> action) {
    actions.add(action);
    if (executing) {
      return;
    }
    executing = true;
    try {
      for (Consumer<List<Runnable>> next = actions.poll(); next != null; next = actions.poll()) {
        List<Runnable> effects = new ArrayList<>(4);
        next.accept(effects);
        effects.forEach(Runnable::run);
      }
    } finally {
      executing = false;
    }
  }

  // ---- actions: claiming ---------------------------------------------------------------------

  private void claimIfRoom(List<Runnable> fx) {
    if (phase != Phase.RUNNING || claiming || idle || !mayClaim.getAsBoolean()) {
      return;
    }
    int room = Math.min(options.maxInFlight() - inFlight, 2 * options.maxInFlight() - inFlight - unrecorded());
    if (room <= 0 || (inFlight > 0 && room < options.claimFloor())) {
      return; // a finished unit or a written batch makes room and calls again
    }
    int max = Math.min(room, options.maxClaim());
    claiming = true;
    fx.add(() -> queue.claim(max).onComplete(ar -> execute(f -> claimed(ar, max, f))));
  }

  private void claimed(AsyncResult<List<W>> ar, int asked, List<Runnable> fx) {
    claiming = false;
    if (ar.failed()) {
      fx.add(() -> listener.storeFailed(ar.cause()));
      if (phase == Phase.RUNNING) {
        idle = true;
        sleep(options.retryMs());
      }
      closeIfDone(fx);
      return;
    }
    List<W> units = ar.result();
    if (phase != Phase.RUNNING) {
      unsent.addAll(units); // landed while draining: never sent
      closeIfDone(fx);
      return;
    }
    inFlight += units.size();
    if (!units.isEmpty()) {
      fx.add(() -> listener.claimed(units));
      units.forEach(unit -> fx.add(() -> send(unit)));
    }
    if (units.size() < asked) {
      idle = true;
      fx.add(() -> queue.nextDueInMs().onComplete(next -> execute(f -> sleep(next.succeeded() && next.result() != null
          ? Math.max(1, Math.min(options.idleMs(), next.result())) : options.idleMs()))));
    } else {
      claimIfRoom(fx);
    }
  }

  /** While idle, claims again in {@code delayMs} (an earlier timer already set stands). */
  private void sleep(long delayMs) {
    if (!idle || phase != Phase.RUNNING) {
      return;
    }
    long due = clock.nowMs() + delayMs;
    if (claimTimer >= 0) {
      if (claimDueAt <= due) {
        return;
      }
      cancelClaimTimer();
    }
    claimDueAt = due;
    claimTimer = clock.schedule(delayMs, () -> execute(f -> {
      claimTimer = -1;
      idle = false;
      claimIfRoom(f);
    }));
  }

  private void cancelClaimTimer() {
    if (claimTimer >= 0) {
      clock.cancel(claimTimer);
      claimTimer = -1;
    }
  }

  // ---- actions: sending ----------------------------------------------------------------------

  /** A side effect: sends one unit; its end is the action {@link #sent}. */
  private void send(W unit) {
    Future<O> sent;
    try {
      sent = sender.send(unit);
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> execute(fx -> sent(unit, ar, fx)));
  }

  private void sent(W unit, AsyncResult<O> ar, List<Runnable> fx) {
    inFlight--;
    if (phase == Phase.CLOSED) {
      return; // past the grace period: the store may be closed; the lease lapses and another node checks it
    }
    O outcome = ar.succeeded() ? ar.result() : sender.failed(unit, ar.cause());
    if (outcome != null) {
      buffer.add(outcome);
      flushSoon(fx);
    }
    claimIfRoom(fx);
    closeIfDone(fx);
  }

  // ---- actions: recording --------------------------------------------------------------------

  /** Writes at once when a batch is full (or while draining), else once the oldest outcome waited its delay. */
  private void flushSoon(List<Runnable> fx) {
    if (buffer.size() >= options.flushAt() || (phase == Phase.DRAINING && flushTimer < 0)) {
      flush(fx);
    } else if (!buffer.isEmpty() && flushTimer < 0) {
      flushTimer = clock.schedule(options.flushDelayMs(), () -> execute(f -> {
        flushTimer = -1;
        flush(f);
      }));
    }
  }

  /** Writes what is buffered, one batch at a time. */
  private void flush(List<Runnable> fx) {
    if (writing != null || buffer.isEmpty() || phase == Phase.CLOSED) {
      return;
    }
    List<O> batch = List.copyOf(buffer);
    buffer.clear();
    writing = batch;
    fx.add(() -> queue.record(batch).onComplete(ar -> execute(f -> recorded(batch, ar, f))));
  }

  private void recorded(List<O> batch, AsyncResult<List<O>> ar, List<Runnable> fx) {
    writing = null;
    if (ar.failed()) {
      // Kept in order and written when the store answers again; a lease lost meanwhile is refused then.
      buffer.addAll(0, batch);
      fx.add(() -> listener.storeFailed(ar.cause()));
      if (phase == Phase.DRAINING && clock.nowMs() >= flushBy) {
        closeIfDone(fx);
      } else if (flushTimer < 0) {
        flushTimer = clock.schedule(options.retryMs(), () -> execute(f -> {
          flushTimer = -1;
          flush(f);
        }));
      }
      return;
    }
    List<O> applied = ar.result();
    if (applied.size() < batch.size()) {
      log.warn("{} {} outcome(s) arrived after their lease was taken over by another node; that node checks them "
          + "again", batch.size() - applied.size(), what);
    }
    fx.add(() -> listener.recorded(batch, applied));
    flushSoon(fx);
    claimIfRoom(fx);
    closeIfDone(fx);
  }

  // ---- actions: closing ----------------------------------------------------------------------

  /** Closes once draining is done: no claim out, nothing in flight (or the grace is over), all written. */
  private void closeIfDone(List<Runnable> fx) {
    if (phase != Phase.DRAINING || claiming || releasing || writing != null || (inFlight > 0 && !graceOver)) {
      return;
    }
    if (!buffer.isEmpty()) {
      if (clock.nowMs() < flushBy) {
        flushSoon(fx); // or its retry timer does
        return;
      }
      log.warn("{} {} outcome(s) could not be recorded before shutdown; they are checked again when their leases "
          + "expire", buffer.size(), what);
      buffer.clear();
    }
    if (!unsent.isEmpty()) {
      List<W> back = List.copyOf(unsent);
      unsent.clear();
      releasing = true;
      fx.add(() -> queue.release(back).onComplete(ar -> execute(f -> {
        releasing = false;
        if (ar.failed()) {
          f.add(() -> listener.storeFailed(ar.cause()));
        }
        closeIfDone(f);
      })));
      return;
    }
    phase = Phase.CLOSED;
    for (long timer : new long[] {claimTimer, flushTimer, graceTimer}) {
      if (timer >= 0) {
        clock.cancel(timer);
      }
    }
    claimTimer = flushTimer = graceTimer = -1;
    int left = inFlight;
    fx.add(() -> drained.complete(left));
  }
}
