package io.onboarder.intake;

import io.onboarder.bus.Problem;

/**
 * One streamed request body's bytes as they arrive: bounded by {@code api.maxBodyBytes}, and counted against
 * the node's intake bound ({@link Admission}) ahead of use, a MiB at a time when no Content-Length reserved
 * them up front. Shared by job and fleet uploads, so both refuse a body at the same point.
 */
public final class BodyBytes {
  private final Admission admission;
  private final long maxBodyBytes;
  /** Said after the limit in a 413, e.g. how to get under it. */
  private final String hint;
  private long received;
  private long reserved;

  public BodyBytes(Admission admission, long maxBodyBytes, long reserved, String hint) {
    this.admission = admission;
    this.maxBodyBytes = maxBodyBytes;
    this.reserved = reserved;
    this.hint = hint;
  }

  /** Counts {@code n} more bytes; the problem that ends the body, or null while it may go on. */
  public Problem add(int n) {
    received += n;
    if (received > maxBodyBytes) {
      return Problem.of(413, "payload-too-large", "Payload too large", "The request body exceeds the limit of "
          + maxBodyBytes + " bytes (api.maxBodyBytes)" + hint);
    }
    if (received > reserved) {
      long more = Math.max(received - reserved, 1 << 20);
      if (!admission.reserveBytes(more)) {
        return admission.tooManyBytes();
      }
      reserved += more;
    }
    return null;
  }

  public long received() {
    return received;
  }

  /** The bytes reserved so far, handed over once for release: later calls answer 0. */
  public long takeReserved() {
    long r = reserved;
    reserved = 0;
    return r;
  }
}
