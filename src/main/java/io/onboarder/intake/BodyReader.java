package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * Reads a job body incrementally, chunk by chunk as it arrives, and tells a {@link BodyListener} what
 * it finds; it never holds more than one item. A body it cannot read on (bad syntax) throws a 400
 * {@link Problem} naming the line and column.
 */
public interface BodyReader {
  void feed(Buffer chunk);

  /** No more input: finishes the last item, or throws if the body ended in the middle of one. */
  void end();

  /**
   * The chunk's bytes, without a copy when they are a heap array: the server's chunks are its own copies, and
   * a reader is done with them before {@link #feed} returns.
   */
  static java.nio.ByteBuffer bytes(Buffer chunk) {
    if (chunk instanceof io.vertx.core.internal.buffer.BufferInternal internal) {
      io.netty.buffer.ByteBuf b = internal.getByteBuf();
      if (b.hasArray()) {
        return java.nio.ByteBuffer.wrap(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
      }
    }
    return java.nio.ByteBuffer.wrap(chunk.getBytes());
  }

  static Problem syntax(String message, long line, long column) {
    JsonObject where = new JsonObject().put("pointer", "").put("line", line);
    if (column > 0) {
      where.put("column", column);
    }
    String at = "line " + line + (column > 0 ? ", column " + column : "");
    return Problem.validation(400, "The request body cannot be read: " + at + ": " + message,
        new io.vertx.core.json.JsonArray().add(where.put("message", message)));
  }
}
