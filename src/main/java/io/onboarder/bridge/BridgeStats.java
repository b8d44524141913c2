package io.onboarder.bridge;

import io.onboarder.metrics.Metrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the bridge's bounds did, for metrics, logs and the tests that attack it: connections open
 * with and without a token, connections closed by reason, back-pressure pauses, and the most bytes one connection ever held
 * unread or unwritten. Written on the bridge's event loop, read from anywhere.
 */
public final class BridgeStats {
  private volatile int authenticated;
  private volatile int unauthenticated;
  private final AtomicLong maxUnauthenticatedBytes = new AtomicLong();
  private final AtomicLong maxBufferedBytes = new AtomicLong();
  private final AtomicLong readPauses = new AtomicLong();
  private final AtomicLong maxQueuedBytes = new AtomicLong();
  private final Map<String, AtomicLong> closed = new ConcurrentHashMap<>();
  private final Metrics metrics;

  BridgeStats(Metrics metrics) {
    this.metrics = metrics;
  }

  void open(int authenticated, int unauthenticated) {
    this.authenticated = authenticated;
    this.unauthenticated = unauthenticated;
  }

  void heldUnauthenticated(long bytes) {
    maxUnauthenticatedBytes.accumulateAndGet(bytes, Math::max);
  }

  void buffered(long bytes) {
    maxBufferedBytes.accumulateAndGet(bytes, Math::max);
  }

  void queued(long bytes) {
    maxQueuedBytes.accumulateAndGet(bytes, Math::max);
  }

  void readPaused() {
    readPauses.incrementAndGet();
  }

  void countClose(String reason) {
    closed.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
    metrics.bridgeClosed(reason);
  }

  /** Connections that presented a valid token. */
  public int authenticated() {
    return authenticated;
  }

  /** Connections that have not presented a valid token yet. */
  public int unauthenticated() {
    return unauthenticated;
  }

  /** The most bytes all connections without a valid token held together. */
  public long maxUnauthenticatedBytes() {
    return maxUnauthenticatedBytes.get();
  }

  /** The most bytes one connection held received and not yet handed out as a frame. */
  public long maxBufferedBytes() {
    return maxBufferedBytes.get();
  }

  /**
   * The most bytes of answers and events one connection held waiting to be handed to its socket (which
   * itself takes at most {@code maxQueuedBytes} and one more frame).
   */
  public long maxQueuedBytes() {
    return maxQueuedBytes.get();
  }

  /** How often reading from a client paused because its answers could not be written (back-pressure). */
  public long readPauses() {
    return readPauses.get();
  }

  /**
   * Connections the bridge closed for {@code reason}: {@code oversized}, {@code refused} (too many frames
   * refused before a valid token), {@code auth-timeout}, {@code evicted}, {@code full}, {@code slow}, {@code unauthenticated-bytes} (over
   * the bytes all connections without a valid token may hold together).
   */
  public long closes(String reason) {
    AtomicLong n = closed.get(reason);
    return n == null ? 0 : n.get();
  }
}
