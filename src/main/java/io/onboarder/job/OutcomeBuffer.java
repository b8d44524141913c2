package io.onboarder.job;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outcomes waiting to be written to the store, in batches: written when {@code flushAt} are waiting or
 * after a short delay, one batch at a time, kept in order and written again while the store fails, and
 * flushed with a deadline at shutdown. Confined to its owner's event loop. The writer returns the
 * outcomes the store applied (those whose lease this node still held).
 */
final class OutcomeBuffer<T> {
  private static final Logger log = LoggerFactory.getLogger(OutcomeBuffer.class);
  private static final long FLUSH_DELAY_MS = 10;

  private final Vertx vertx;
  private final String what;
  private final int flushAt;
  private final Function<List<T>, Future<List<T>>> writer;
  private final BiConsumer<List<T>, List<T>> onWritten;
  private final Consumer<Throwable> onError;
  private final BooleanSupplier urgent;
  private final BooleanSupplier closed;
  private final List<T> buffer = new ArrayList<>();
  private boolean flushing;
  private long timer = -1;

  /**
   * @param onWritten called with (batch, applied) after each successful write
   * @param urgent    while true (draining), every outcome is written at once
   * @param closed    once true (the store is closing), a failed write is not tried again
   */
  OutcomeBuffer(Vertx vertx, String what, int flushAt, Function<List<T>, Future<List<T>>> writer,
                BiConsumer<List<T>, List<T>> onWritten, Consumer<Throwable> onError, BooleanSupplier urgent,
                BooleanSupplier closed) {
    this.vertx = vertx;
    this.what = what;
    this.flushAt = flushAt;
    this.writer = writer;
    this.onWritten = onWritten;
    this.onError = onError;
    this.urgent = urgent;
    this.closed = closed;
  }

  void add(T outcome) {
    buffer.add(outcome);
    schedule();
  }

  boolean hasPending() {
    return flushing || !buffer.isEmpty();
  }

  private void schedule() {
    if (buffer.size() >= flushAt || urgent.getAsBoolean()) {
      flush();
    } else if (timer < 0) {
      timer = vertx.setTimer(FLUSH_DELAY_MS, t -> {
        timer = -1;
        flush();
      });
    }
  }

  private Future<Void> flush() {
    if (flushing || buffer.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    List<T> batch = new ArrayList<>(buffer);
    buffer.clear();
    return writer.apply(batch).transform(ar -> {
      flushing = false;
      if (ar.failed()) {
        // Kept in order and written when the store is back; a lease lost meanwhile drops its outcome by the
        // store's lease condition, and the new owner checks at Cyclr.
        onError.accept(ar.cause());
        buffer.addAll(0, batch);
        if (!closed.getAsBoolean()) {
          vertx.setTimer(500, t -> flush());
        }
        return Future.failedFuture(ar.cause());
      }
      List<T> applied = ar.result();
      if (applied.size() < batch.size()) {
        log.warn("{} {} arrived after their lease was taken over by another node; that node checks them at "
            + "Cyclr", batch.size() - applied.size(), what);
      }
      if (!buffer.isEmpty()) {
        schedule();
      }
      onWritten.accept(batch, applied);
      return Future.succeededFuture();
    });
  }

  /** Shutdown: writes until nothing is left or {@code deadlineMs} (epoch) passes (the store may be down). */
  Future<Void> drain(long deadlineMs) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (!hasPending()) {
      return Future.succeededFuture();
    }
    if (System.currentTimeMillis() > deadlineMs) {
      log.warn("{} {} could not be recorded before shutdown; they are checked again when their leases expire",
          buffer.size(), what);
      return Future.succeededFuture();
    }
    Future<Void> step = flushing ? vertx.timer(5).mapEmpty() : flush().recover(err -> vertx.timer(200).mapEmpty());
    return step.compose(v -> drain(deadlineMs));
  }
}
