package io.onboarder.intake;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What this node is taking in across all submissions at once: bytes of bodies being received and
 * items not yet committed (api.maxIntakeBytes, api.maxIntakeItems). Past either bound a submission is
 * answered 503 with Retry-After instead of being queued. Shared by every HTTP API instance and the
 * event-bus job service of the node (thread-safe).
 */
public final class IntakeLimits {
  private final long maxBytes;
  private final long maxItems;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong items = new AtomicLong();

  public IntakeLimits(long maxBytes, long maxItems) {
    this.maxBytes = maxBytes;
    this.maxItems = maxItems;
  }

  public boolean reserveBytes(long n) {
    return reserve(bytes, n, maxBytes);
  }

  public void releaseBytes(long n) {
    bytes.addAndGet(-n);
  }

  public boolean reserveItems(long n) {
    return reserve(items, n, maxItems);
  }

  public void releaseItems(long n) {
    items.addAndGet(-n);
  }

  public long bytesInFlight() {
    return bytes.get();
  }

  public long itemsInFlight() {
    return items.get();
  }

  private static boolean reserve(AtomicLong counter, long n, long max) {
    while (true) {
      long now = counter.get();
      // One submission alone may always use the whole bound, so a legal job never waits forever.
      if (now > 0 && now + n > max) {
        return false;
      }
      if (counter.compareAndSet(now, now + n)) {
        return true;
      }
    }
  }
}
