package io.onboarder.bridge;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Splits a TCP bridge byte stream into frames (a 4-byte big-endian length, then that many bytes of
 * JSON). The length is checked as soon as its 4 bytes are in, before any of the frame is kept, so it
 * never holds more than one frame of at most {@code maxFrameBytes} plus what the socket delivered while
 * paused. A length that is negative or over the limit cannot be skipped safely: {@code oversized} is
 * called and nothing more is read from that stream. While paused it keeps what arrives but hands out no
 * frame, so the connection decides how fast frames are served (back-pressure).
 */
final class FrameReader implements Handler<Buffer> {
  private final int maxFrameBytes;
  private final Handler<Buffer> frame;
  private final Handler<Integer> oversized;
  private Buffer pending = Buffer.buffer();
  private int offset;
  private boolean paused;
  private boolean stopped;

  FrameReader(int maxFrameBytes, Handler<Buffer> frame, Handler<Integer> oversized) {
    this.maxFrameBytes = maxFrameBytes;
    this.frame = frame;
    this.oversized = oversized;
  }

  @Override
  public void handle(Buffer data) {
    if (stopped) {
      return;
    }
    pending.appendBuffer(data);
    serve();
  }

  /** No frame is handed out until {@link #resume()}. */
  void pause() {
    paused = true;
  }

  /** Hands out the frames already received, then the next ones as they come. */
  void resume() {
    if (paused) {
      paused = false;
      serve();
    }
  }

  /** Nothing more is read or handed out (the connection is closing). */
  void stop() {
    stopped = true;
    pending = Buffer.buffer();
    offset = 0;
  }

  /** Bytes received and not yet handed out as a frame. */
  int buffered() {
    return pending.length() - offset;
  }

  private void serve() {
    while (!paused && !stopped && pending.length() - offset >= 4) {
      int length = pending.getInt(offset);
      if (length < 0 || length > maxFrameBytes) {
        stop();
        oversized.handle(length);
        return;
      }
      if (pending.length() - offset - 4 < length) {
        break;
      }
      Buffer next = pending.getBuffer(offset + 4, offset + 4 + length);
      offset += 4 + length;
      frame.handle(next);
    }
    if (!stopped && offset > 0 && (offset == pending.length() || offset > 64 * 1024)) {
      pending = pending.getBuffer(offset, pending.length());
      offset = 0;
    }
  }
}
