package io.onboarder.job;

import java.util.function.BooleanSupplier;

/**
 * What this node knows about itself, shared by its verticles (one JVM): started, draining, whether
 * the store answers, and whether its leases are surely still valid. Written by the dispatcher on
 * its event loop, read anywhere.
 */
public final class NodeState {
  private final long leaseMs;
  /** This node's name on its leases (items and account steps), new at every start. */
  private final String nodeId = java.util.UUID.randomUUID().toString();
  private volatile boolean started;
  private volatile boolean draining;
  private volatile boolean storeReachable = true;
  private volatile long leasesConfirmedAt = System.nanoTime();
  private volatile long diskFullUntil;

  public NodeState(long leaseMs) {
    this.leaseMs = leaseMs;
  }

  public String nodeId() {
    return nodeId;
  }

  public boolean accepting() {
    return started && !draining && storeReachable && !diskFull();
  }

  /** A write failed because the database's disk is full, within the last minute. */
  public boolean diskFull() {
    return System.nanoTime() < diskFullUntil;
  }

  /** Returns true when this is news (not already known within the last minute): log it then. */
  public boolean diskFullNow() {
    boolean news = !diskFull();
    diskFullUntil = System.nanoTime() + 60_000_000_000L;
    return news;
  }

  public boolean started() {
    return started;
  }

  public boolean draining() {
    return draining;
  }

  public boolean storeReachable() {
    return storeReachable;
  }

  void started(boolean v) {
    started = v;
  }

  void draining(boolean v) {
    draining = v;
  }

  void storeReachable(boolean v) {
    storeReachable = v;
  }

  /** Every lease this node holds was extended at {@code nanoTime} (taken before the statement was sent). */
  void leasesConfirmed(long nanoTime) {
    leasesConfirmedAt = Math.max(leasesConfirmedAt, nanoTime);
  }

  /**
   * True while this node's leases have at least half their lifetime left. An install is sent only
   * then: a lease that lapses (store unreachable, node cut off) is taken over by another node at
   * expiry, and the POST must have landed at Cyclr well before that node checks the account.
   */
  public boolean holdsLeases() {
    return System.nanoTime() - leasesConfirmedAt < leaseMs * 1_000_000L / 2;
  }

  public BooleanSupplier leaseCheck() {
    return this::holdsLeases;
  }
}
