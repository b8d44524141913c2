package io.onboarder.bridge;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Splits a TCP bridge byte stream into frames (a 4-byte big-endian length, then that many bytes of
 * JSON) without ever holding more than one frame of at most {@code maxFrameBytes}. A length that is
 * negative or over the limit cannot be skipped safely: {@code oversized} is called and nothing more is
 * read from that stream.
 */
final class FrameReader implements Handler<Buffer> {
  private final int maxFrameBytes;
  private final Handler<Buffer> frame;
  private final Handler<Integer> oversized;
  private Buffer pending = Buffer.buffer();
  private boolean broken;

  FrameReader(int maxFrameBytes, Handler<Buffer> frame, Handler<Integer> oversized) {
    this.maxFrameBytes = maxFrameBytes;
    this.frame = frame;
    this.oversized = oversized;
  }

  @Override
  public void handle(Buffer data) {
    if (broken) {
      return;
    }
    pending.appendBuffer(data);
    int offset = 0;
    while (pending.length() - offset >= 4) {
      int length = pending.getInt(offset);
      if (length < 0 || length > maxFrameBytes) {
        broken = true;
        pending = Buffer.buffer();
        oversized.handle(length);
        return;
      }
      if (pending.length() - offset - 4 < length) {
        break;
      }
      frame.handle(pending.getBuffer(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset > 0) {
      pending = pending.getBuffer(offset, pending.length());
    }
  }
}
