package io.onboarder.fleet;

import io.onboarder.job.JobRequest;
import io.onboarder.job.RequestPrint;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Where fleet specs and their tenants are kept. A spec is written like a streamed job: tenants in
 * batches under a hidden intake, then one transaction that checks the expected generation, raises it
 * (unless nothing changed), and replaces the fleet's tenants (keeping what is known of those that stay,
 * and of those that leave but had something installed by the fleet). Auth values are stored encrypted.
 * Failures are {@link io.onboarder.job.StoreException}s.
 */
public interface FleetStore {

  /** What a commit did. */
  enum Outcome {
    /** A new fleet (generation 1). */
    CREATED,
    /** The spec changed: generation raised. */
    UPDATED,
    /** The same spec and tenants as stored: nothing written, generation kept. */
    UNCHANGED,
    /** {@code If-Match} named another generation (or a fleet that does not exist). */
    PRECONDITION_FAILED,
    /** The name belongs to another caller's fleet. */
    TAKEN,
    /** The fleet is being deleted with {@code uninstall=true}: nothing is written until it is gone. */
    DELETING,
    /** Some account appears more than once among the tenants ({@code duplicates} of them). */
    DUPLICATE_TENANTS
  }

  /** The result of a commit: the fleet as it now is (null for PRECONDITION_FAILED, TAKEN, DELETING, DUPLICATE_TENANTS). */
  record Put(Outcome outcome, FleetRecord fleet, long duplicates) {}

  /** A page of tenants; {@code next} is the cursor of the next page, or null. */
  record TenantPage(List<FleetTenant> tenants, String next) {}

  /** A fresh keyed fingerprint, of the kind {@link Intake#commit} compares. */
  RequestPrint newPrint();

  /** Starts writing a spec of fleet {@code name} (deleting, first, intakes whose node stopped writing them). */
  Future<Intake> openIntake(String name);

  /** The fleet named {@code name}, or null. */
  Future<FleetRecord> fleet(String name);

  /** Fleets by name, those of {@code owner} only unless it is null, at most {@code limit}. */
  Future<List<FleetRecord>> fleets(String owner, int limit);

  /** The fleet's tenants in the spec, counted by state. */
  Future<Map<TenantState, Long>> tenantCounts(String name);

  /** Tenants by account (those in the spec and those left to prune), optionally of one state, after {@code cursor}. */
  Future<TenantPage> tenants(String name, TenantState state, String cursor, int limit);

  /** Deletes the fleet and its tenants (their auth values with them); false if it did not exist. */
  Future<Boolean> delete(String name);

  /** One spec being written. Calls are made in order, from one event loop. */
  interface Intake {
    /** Appends tenants (their encryption starts at once, off the event loop). */
    Future<Void> append(List<JobRequest.Item> tenants);

    /** Renews the heartbeat while the client is slow to send the next batch. */
    Future<Void> touch();

    /**
     * After every append: the spec becomes the fleet's, in one transaction. {@code owner} owns a new
     * fleet; {@code ownerFilter} (null for an admin) must own an existing one. {@code ifMatch} (null: no
     * condition) must be the current generation. {@code print} is the fingerprint of spec and tenants.
     * The intake is gone afterwards, whatever the outcome.
     */
    Future<Put> commit(String owner, String ownerFilter, Long ifMatch, FleetSpec spec, long total, String print);

    /** Deletes what was written. */
    Future<Void> discard();
  }
}
