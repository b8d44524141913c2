package io.onboarder.api;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * A page of a job's event log as Server-Sent Events text, formatted once: the shared read of a job
 * hands the same page to every stream of the job, each writing the part after the last event it sent
 * (a slice of the same bytes, never a copy). {@code upTo} is the last event known to exist when it was
 * read; {@code last} says the job is finished and nothing follows {@code upTo}.
 */
record EventPage(Buffer chunk, long[] ids, int[] offsets, long upTo, boolean last, boolean full, boolean gone) {
  /** Events read at most per page. */
  static final int SIZE = 500;
  static final Set<String> FINAL = Set.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");
  /** The job can no longer be read (deleted, or no longer visible): its streams end. */
  static final EventPage GONE = new EventPage(null, new long[0], new int[0], 0, true, false, true);
  /** Not events: a comment that keeps proxies from closing a quiet stream. */
  static final EventPage HEARTBEAT = new EventPage(null, new long[0], new int[0], 0, false, false, false);

  /**
   * A reply of {@code onboarder.jobs.events} read after event {@code after}. A shared page lives in direct
   * memory, so that a network write of it (or of a slice) is never copied per connection.
   */
  static EventPage of(JsonObject reply, long after, boolean shared) {
    JsonArray events = reply.getJsonArray("events");
    boolean full = events.size() >= SIZE;
    boolean last = !full && FINAL.contains(reply.getString("status"));
    if (events.isEmpty()) {
      return new EventPage(null, new long[0], new int[0], after, last, false, false);
    }
    long[] ids = new long[events.size()];
    int[] offsets = new int[events.size()];
    Buffer text = Buffer.buffer(events.size() * 256);
    for (int i = 0; i < ids.length; i++) {
      JsonObject e = events.getJsonObject(i);
      ids[i] = e.getLong("id");
      offsets[i] = text.length();
      text.appendString("id: " + ids[i] + "\nevent: " + e.getString("event") + "\ndata: ", "UTF-8")
          .appendString(e.getJsonObject("data").encode(), "UTF-8")
          .appendString("\n\n");
    }
    Buffer chunk = text;
    if (shared) {
      ByteBuffer direct = ByteBuffer.allocateDirect(text.length());
      direct.put(text.getBytes()).flip();
      // Wrapped JDK memory: freed by the garbage collector once no write holds it, never by a release.
      chunk = BufferInternal.buffer(Unpooled.wrappedBuffer(direct));
    }
    return new EventPage(chunk, ids, offsets, ids[ids.length - 1], last, full, false);
  }

  /** Whether events after {@code sent} are missing from this page (the stream missed a page). */
  boolean gapAfter(long sent) {
    return ids.length == 0 ? upTo > sent : ids[0] > sent + 1;
  }

  /** The events after {@code sent} (the page has no gap after it), or null when there are none. */
  Buffer after(long sent) {
    if (ids.length == 0 || sent >= upTo) {
      return null;
    }
    int from = Arrays.binarySearch(ids, sent + 1);
    from = from >= 0 ? from : -from - 1;
    return from == 0 ? chunk : chunk.slice(offsets[from], chunk.length());
  }
}
