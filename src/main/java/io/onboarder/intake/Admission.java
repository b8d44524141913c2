package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.job.StoreException;
import io.onboarder.job.StoreProblems;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one admission policy of job submissions, whichever way they come in (HTTP, event bus, TCP
 * bridge): which submissions this node refuses, and the status and problem type each refusal gets.
 * Every entrance asks it; none answers a refusal of its own, so a caller sees the same answer for
 * the same condition on all of them.
 */
public final class Admission {
  private static final Logger log = LoggerFactory.getLogger(Admission.class);
  /** The Idempotency-Key rule: 1 to 200 visible ASCII characters (it is stored and compared as given). */
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7E]{1,200}");
  /** Seconds a caller waits before trying again: a node that is starting or draining. */
  private static final long RETRY_NODE_S = 5;
  /** The node's own intake bounds free up as bodies finish arriving. */
  private static final long RETRY_INTAKE_S = 10;
  /** Pending items drain at the pace of Cyclr: longer. */
  private static final long RETRY_PENDING_S = 30;

  private final Settings settings;
  private final NodeLifecycle node;
  private final IntakeLimits limits;
  /** Items of whole submissions being written on this node now: not in the store's PENDING count yet. */
  private final AtomicLong admitting = new AtomicLong();

  public Admission(Settings settings, NodeLifecycle node, IntakeLimits limits) {
    this.settings = settings;
    this.node = node;
    this.limits = limits;
  }

  /**
   * The caller's idempotency key, checked: null (none) or 1 to 200 visible ASCII characters, whether it
   * came as the {@code Idempotency-Key} header or as {@code idempotencyKey} in an event-bus body.
   *
   * @throws Problem 400 for any other value
   */
  public static String idempotencyKey(Object key) {
    if (key == null) {
      return null;
    }
    if (key instanceof String s && IDEMPOTENCY_KEY.matcher(s).matches()) {
      return s;
    }
    throw Problem.badRequest("The idempotency key (the Idempotency-Key header, or idempotencyKey in an event-bus "
        + "body) must be 1 to 200 visible ASCII characters.");
  }

  /** Null while this node takes submissions; else the refusal (draining, starting, disk full, store unreachable). */
  public Problem refusal() {
    if (node.draining()) {
      return Problem.busy("The service is shutting down; submit again shortly.", RETRY_NODE_S);
    }
    if (!node.started()) {
      return Problem.busy("The service is starting; submit again shortly.", RETRY_NODE_S);
    }
    if (node.diskFull()) {
      return StoreProblems.diskFull();
    }
    if (!node.storeReachable()) {
      return StoreProblems.unreachable();
    }
    return null;
  }

  /**
   * Null if {@code adding} more items (at least one: a job has one) fit beside the {@code pending} ones
   * under {@code jobs.maxPendingItems}; else the refusal. {@code pending} is the store's count plus
   * this node's whole submissions being written ({@link #admitting}).
   */
  Problem pendingBound(long pending, long adding) {
    if (pending + Math.max(1, adding) <= settings.maxPendingItems()) {
      return null;
    }
    return Problem.busy("Too many items are waiting (" + pending + " pending, limit " + settings.maxPendingItems()
        + "); try again later.", RETRY_PENDING_S);
  }

  /** Reserves {@code n} bytes of bodies being received on this node; false past the bound ({@link #tooManyBytes}). */
  public boolean reserveBytes(long n) {
    return limits.reserveBytes(n);
  }

  public Problem tooManyBytes() {
    return Problem.busy("This node is taking in too many job bodies at once (" + limits.bytesInFlight()
        + " bytes, limit " + settings.maxIntakeBytes() + "); try again shortly.", RETRY_INTAKE_S);
  }

  /** Reserves {@code n} items not yet committed on this node; false past the bound ({@link #tooManyItems}). */
  public boolean reserveItems(long n) {
    return limits.reserveItems(n);
  }

  public Problem tooManyItems() {
    return Problem.busy("This node is taking in too many items at once (" + limits.itemsInFlight() + ", limit "
        + settings.maxIntakeItems() + "); try again shortly.", RETRY_INTAKE_S);
  }

  /** Items of whole submissions being written on this node now. */
  long admitting() {
    return admitting.get();
  }

  /**
   * Counts {@code n} items of a whole submission as being written, before the store is asked for its
   * count, so that concurrent submissions cannot overshoot the bound together; returns the others'.
   */
  long startAdmitting(long n) {
    return admitting.getAndAdd(n);
  }

  void doneAdmitting(long n) {
    admitting.addAndGet(-n);
  }

  public void release(long bytes, long items) {
    limits.releaseBytes(bytes);
    limits.releaseItems(items);
  }

  /**
   * Any failure of a submission as the problem its caller gets ({@link StoreProblems}). A full disk is
   * also told to the node, so that the next submissions are refused before a byte is written.
   */
  public Problem problem(Throwable err) {
    Problem p = StoreProblems.of(err);
    if (p == null) {
      log.error("a submission failed: {}", err.toString(), err);
      return StoreProblems.internal();
    }
    if (StoreProblems.kindOf(err) == StoreException.Kind.DISK_FULL && node.diskFullNow()) {
      log.error("the job store's disk is full: a submission was refused (507). Free disk space where the "
          + "database lives.");
    }
    return p;
  }
}
