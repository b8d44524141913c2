package io.onboarder.store;

import io.onboarder.fleet.FleetApplies;
import io.onboarder.fleet.FleetLeases;
import io.onboarder.fleet.FleetInstalls;
import io.onboarder.fleet.FleetPlans;
import io.onboarder.fleet.FleetStore;
import io.onboarder.intake.IntakeStore;
import io.onboarder.history.AccountHistory;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.EventLog;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecords;
import io.onboarder.metrics.StoreCounts;
import io.onboarder.signin.CredentialChecks;
import io.onboarder.signin.LinkMints;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.Campaigns;
import io.onboarder.signin.SignIns;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Every store port of one back end, composed over one {@link Database}: what the application wires
 * into the parts that use them. Start it before any port is used; close it last.
 */
public final class Stores {
  private final Database db;
  private final JobRecords jobs;
  private final IntakeStore intake;
  private final ItemQueue items;
  private final AccountQueue accounts;
  private final EventLog events;
  private final SignIns signIns;
  private final LinkMints mints;
  private final Campaigns campaigns;
  private final WebhookOutbox outbox;
  private final WebhookEndpoints endpoints;
  private final FleetStore fleets;
  private final FleetPlans plans;
  private final SqlFleetApplies applies;
  private final FleetInstalls installs;
  private final AccountHistory history;
  private final CredentialChecks credentialChecks;
  private final StoreCounts counts;

  private Stores(Database db, SignInPolicy policy) {
    this.db = db;
    JobRows rows = new JobRows(db);
    SqlSignIns links = new SqlSignIns(db, policy);
    this.signIns = links;
    this.mints = new SqlLinkMints(db);
    this.campaigns = new SqlCampaigns(db, links, policy);
    JobSettling settling = new JobSettling(db, rows);
    this.jobs = new SqlJobRecords(db, rows, links, settling);
    this.intake = new SqlIntakeStore(db, rows);
    this.items = new SqlItemQueue(db, rows, links, settling);
    this.accounts = new SqlAccountQueue(db, rows, links, settling);
    this.events = new SqlEventLog(db);
    this.outbox = new SqlWebhookOutbox(db);
    this.endpoints = new SqlWebhookEndpoints(db);
    this.fleets = new SqlFleetStore(db);
    SqlFleetPlans fleetPlans = new SqlFleetPlans(db);
    this.plans = fleetPlans;
    this.applies = new SqlFleetApplies(db, fleetPlans);
    this.installs = new SqlFleetInstalls(db);
    this.history = new SqlAccountHistory(db);
    this.credentialChecks = new SqlCredentialChecks(db, links);
    this.counts = new SqlStoreCounts(db);
  }

  /** The embedded store: one SQLite file, owned by this process alone (its key beside it unless configured). */
  public static Stores sqlite(Vertx vertx, Path dbFile, byte[] configuredKey, SignInPolicy policy) {
    return sqlite(vertx, dbFile, configuredKey, List.of(), policy);
  }

  /** As above; {@code oldKeys} open values sealed before a key rotation (STORE_SECRET_KEYS_OLD). */
  public static Stores sqlite(Vertx vertx, Path dbFile, byte[] configuredKey, List<byte[]> oldKeys,
                              SignInPolicy policy) {
    return new Stores(new Database(vertx, new SqliteBackend(dbFile, configuredKey, oldKeys)), policy);
  }

  /** The shared store of cluster mode: PostgreSQL at {@code url} (a libpq URI). */
  public static Stores postgres(Vertx vertx, String url, byte[] secretKey, int poolSize, SignInPolicy policy) {
    return postgres(vertx, url, secretKey, List.of(), poolSize, policy);
  }

  /** As above; {@code oldKeys} open values sealed before a key rotation (STORE_SECRET_KEYS_OLD). */
  public static Stores postgres(Vertx vertx, String url, byte[] secretKey, List<byte[]> oldKeys, int poolSize,
                                SignInPolicy policy) {
    return new Stores(new Database(vertx, new PgBackend(url, secretKey, oldKeys, poolSize)), policy);
  }

  /** Migrates the schema (refusing a newer one: {@code StoreException} REFUSED) and opens the pool. */
  public Future<Void> start() {
    return db.start();
  }

  /** A write that needs new pages: fails with {@code DISK_FULL} while the database's disk is full. */
  public Future<Void> probeWrite() {
    return db.probeWrite();
  }

  public Future<Void> close() {
    return db.close();
  }

  /**
   * Receives, on the committing node right after each commit, the events that transaction wrote, in
   * order (the service publishes them on the event bus). Set before {@link #start}.
   */
  public void onCommitted(Consumer<List<JobEvent>> listener) {
    db.onCommitted(listener);
  }

  /** Webhook event types that also go into the outbox with their event ({@code WEBHOOK_EVENTS}); empty = off. */
  public void outboxTypes(Set<String> types) {
    db.outboxTypes(types);
  }

  /** Transactions and single statements run since start (store work: compare it per install). */
  public long transactions() {
    return db.transactions();
  }

  /** The database under the ports (tests make it fail under a running service). */
  Database database() {
    return db;
  }

  /** The counts behind the store's gauges. */
  public StoreCounts counts() {
    return counts;
  }

  public AccountHistory history() {
    return history;
  }

  public JobRecords jobs() {
    return jobs;
  }

  public IntakeStore intake() {
    return intake;
  }

  public ItemQueue items() {
    return items;
  }

  public AccountQueue accounts() {
    return accounts;
  }

  public EventLog events() {
    return events;
  }

  public SignIns signIns() {
    return signIns;
  }

  public LinkMints mints() {
    return mints;
  }

  public Campaigns campaigns() {
    return campaigns;
  }

  public WebhookOutbox outbox() {
    return outbox;
  }

  public WebhookEndpoints endpoints() {
    return endpoints;
  }

  public FleetStore fleets() {
    return fleets;
  }

  public FleetPlans plans() {
    return plans;
  }

  public FleetApplies applies() {
    return applies;
  }

  public FleetLeases fleetLeases() {
    return applies;
  }

  public FleetInstalls installs() {
    return installs;
  }

  public CredentialChecks credentialChecks() {
    return credentialChecks;
  }
}
