package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.EventBodies;
import io.onboarder.job.EventLog;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.ItemQueue.Recorded;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobStatus;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.StoreException;
import io.onboarder.job.StoreException.Kind;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.LinkMints;
import io.onboarder.signin.SignIns;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.onboarder.webhook.WebhookTypes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The store ports in memory (jobs, intake, item queue, event log, relay links and the sign-in watch,
 * the webhook outbox and its endpoints), for tests that need no database: one lock stands for a
 * transaction, one clock ({@code nowMs}, epoch milliseconds) for the database's, and the rules are the
 * SQL stores' as the store contract tests ({@link StoreContract}) state them, run on all three back ends.
 * Every call completes at once. Kept in the tests: nothing in the service runs without a database. The
 * account queue (jobs with a template) is {@link MemoryAccounts}, over the same jobs and items.
 */
public final class MemoryStores {
  final LongSupplier nowMs;
  final SignInPolicy policy;
  /** The store key as the SQL stores' tests use it (relay link tokens are derived with it). */
  final SecretBox box = new SecretBox(new byte[32]);
  final Map<String, MJob> jobs = new LinkedHashMap<>();
  final TreeMap<Long, MItem> items = new TreeMap<>();
  final Map<String, List<JobEvent>> events = new HashMap<>();
  /** Relay links by id (the links table); the outbox by seq (the webhook_deliveries table). */
  final TreeMap<Long, MemorySignIns.MLink> links = new TreeMap<>();
  final TreeMap<Long, MemoryOutbox.MDelivery> deliveries = new TreeMap<>();
  private volatile Set<String> outboxTypes = Set.of();
  private volatile Consumer<List<JobEvent>> committed = e -> { };
  private long nextJobSeq;
  private long nextItemId;
  long nextLinkId;
  long nextDeliverySeq;
  /** When set, every call fails with this kind (an unreachable store, a full disk). */
  private volatile Kind failing;

  private final JobRecords jobRecords = new Jobs();
  private final IntakeStore intake = new Intake();
  private final ItemQueue itemQueue = new Items();
  private final EventLog eventLog = new MemoryEventLog(this);
  private final WebhookEndpoints endpoints = new MemoryEndpoints(this);
  private final MemorySignIns signIns = new MemorySignIns(this);
  private final LinkMints mints = new MemoryLinkMints(this, signIns);
  private final WebhookOutbox outbox = new MemoryOutbox(this);
  final MemoryAccounts accounts = new MemoryAccounts(this);

  /** A store on the clock {@code nowMs} (epoch milliseconds), issuing sign-in links under {@code policy}. */
  public MemoryStores(LongSupplier nowMs, SignInPolicy policy) {
    this.nowMs = nowMs;
    this.policy = policy;
  }

  public MemoryStores(LongSupplier nowMs) {
    this(nowMs, SignInPolicy.DEFAULT);
  }

  public MemoryStores() {
    this(System::currentTimeMillis);
  }

  public JobRecords jobs() {
    return jobRecords;
  }

  public IntakeStore intake() {
    return intake;
  }

  public ItemQueue items() {
    return itemQueue;
  }

  public EventLog events() {
    return eventLog;
  }

  public WebhookEndpoints endpoints() {
    return endpoints;
  }

  public AccountQueue accounts() {
    return accounts;
  }

  public SignIns signIns() {
    return signIns;
  }

  public LinkMints mints() {
    return mints;
  }

  public WebhookOutbox outbox() {
    return outbox;
  }

  /** The webhook types the outbox takes (WEBHOOK_EVENTS); none until set. */
  public void outboxTypes(Set<String> types) {
    this.outboxTypes = Set.copyOf(types);
  }

  public void onCommitted(Consumer<List<JobEvent>> listener) {
    this.committed = listener;
  }

  /** From now on every call fails with {@code kind}; null: the store works again. */
  public void failWith(Kind kind) {
    this.failing = kind;
  }

  // ---- one transaction -----------------------------------------------------------------------

  final class MJob {
    final String id;
    final long seq;
    final String owner;
    String status;
    String createdAt;
    String finishedAt;
    int total;
    JsonObject spec;
    boolean cancelRequested;
    boolean stopped;
    String key;
    String print;
    long heartbeat;
    /** The submitting span, as the SQL stores keep it. */
    final String traceParent = io.onboarder.trace.TraceParent.current();

    MJob(String id, String owner, String status, String createdAt) {
      this.id = id;
      this.seq = ++nextJobSeq;
      this.owner = owner;
      this.status = status;
      this.createdAt = createdAt;
      this.spec = new JsonObject();
      this.heartbeat = nowMs.getAsLong();
    }

    JobRecord record() {
      return new JobRecord(id, JobStatus.valueOf(status), createdAt, finishedAt, total, spec, cancelRequested, stopped,
          owner, traceParent);
    }

    boolean visible() {
      return !"INTAKE".equals(status);
    }
  }

  static final class MItem {
    final long id;
    final String jobId;
    final String account;
    final JsonObject spec;
    String authValue;
    ItemStatus status = ItemStatus.PENDING;
    int attempts;
    Long connectorId;
    Long accountConnectorId;
    String oauthUrl;
    String oauthExpiresAt;
    JsonObject error;
    boolean recovered;
    String leaseOwner;
    long leaseUntil;
    /** The sign-in watch: the connector's name, the poll interval, the next poll, the end, its holder. */
    String connectorName;
    long watchInterval;
    Long watchNextAt;
    long watchUntil;
    String watchOwner;

    MItem(long id, String jobId, JobRequest.Item item) {
      this(id, jobId, item.account(), item.specText() == null ? null : new JsonObject(item.specText()));
      this.authValue = item.authValue();
    }

    MItem(long id, String jobId, String account, JsonObject spec) {
      this.id = id;
      this.jobId = jobId;
      this.account = account;
      this.spec = spec;
    }

    /** The item as GET …/items shows it; {@code link} its live relay link ({url, expiresAt}) or null. */
    JsonObject json(JsonObject link) {
      JsonObject oauth = link != null
          ? new JsonObject().put("url", link.getString("url")).put("cyclrUrl", oauthUrl)
              .put("expiresAt", link.getString("expiresAt"))
          : oauthUrl == null ? null : new JsonObject().put("url", oauthUrl).put("cyclrUrl", oauthUrl)
              .put("expiresAt", oauthExpiresAt);
      JsonObject item = new JsonObject().put("id", String.valueOf(id)).put("account", account)
          .put("connectorId", connectorId).put("status", status.name()).put("attempts", attempts)
          .put("accountConnectorId", accountConnectorId).put("oauth", oauth).put("error", error);
      if (spec != null && spec.containsKey("installName")) {
        item.put("installName", spec.getString("installName"));
      }
      return item;
    }
  }

  /**
   * The events one transaction writes, in order; an item event may carry its item as GET …/items shows
   * it, the data of its webhook (as the SQL stores read it after the update, in the transaction).
   */
  static final class Written extends ArrayList<JobEvent> {
    private final Map<JobEvent, JsonObject> views = new java.util.IdentityHashMap<>();

    void item(JobEvent event, JsonObject view) {
      add(event);
      views.put(event, view);
    }
  }

  /**
   * Runs {@code work} under the store's one lock, then numbers the events it wrote and puts the ones
   * whose webhook type the outbox takes into it, in the same "transaction"; the events go to the
   * listener after it.
   */
  <T> Future<T> tx(java.util.function.Function<Written, T> work) {
    Kind kind = failing;
    if (kind != null) {
      return Future.failedFuture(new StoreException(kind, "the in-memory store fails with " + kind));
    }
    Written written = new Written();
    T result;
    try {
      synchronized (this) {
        result = work.apply(written);
        List<JobEvent> numbered = new ArrayList<>(written.size());
        for (JobEvent e : written) {
          MJob j = jobs.get(e.jobId());
          if (j == null) {
            continue; // the job does not exist: nothing changed for it either
          }
          List<JobEvent> log = events.computeIfAbsent(e.jobId(), id -> new ArrayList<>());
          JobEvent n = new JobEvent(e.jobId(), log.size() + 1L, e.kind(), e.body());
          log.add(n);
          numbered.add(n);
          deliver(j, e, written.views.get(e));
        }
        written.clear();
        written.addAll(numbered);
      }
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    if (!written.isEmpty()) {
      committed.accept(List.copyOf(written));
    }
    return Future.succeededFuture(result);
  }

  /** An outbox row for the event, if its type notifies and the outbox takes that type. */
  private void deliver(MJob j, JobEvent e, JsonObject itemView) {
    String type;
    JsonObject data;
    switch (e.kind()) {
      case JOB -> {
        type = WebhookTypes.forJobStatus(JobStatus.valueOf(e.body().getString("status")));
        data = e.body();
      }
      case ITEM -> {
        type = WebhookTypes.forItemStatus(e.body().getString("status"));
        data = itemView == null ? null : itemView.copy().put("jobId", j.id);
      }
      case ACCOUNT -> {
        type = WebhookTypes.forAccountStatus(e.body().getString("status"));
        data = itemView == null ? null : itemView.copy().put("jobId", j.id);
      }
      default -> {
        type = null;
        data = null;
      }
    }
    if (type != null && data != null && outboxTypes.contains(type)) {
      MemoryOutbox.MDelivery d = new MemoryOutbox.MDelivery(++nextDeliverySeq, type, j.id, j.owner,
          new JsonObject().put("type", type).put("timestamp", now()).put("data", data).encode(), now(),
          nowMs.getAsLong());
      deliveries.put(d.seq, d);
    }
  }

  /** The item as GET …/items shows it, with its live relay link. */
  JsonObject view(MItem i) {
    return i.json(signIns.liveLink(i.id));
  }

  /** A new item of the job (a sign-in its template brought), under the lock. */
  MItem newItem(String jobId, String account, JsonObject spec) {
    long id = ++nextItemId;
    MItem i = new MItem(id, jobId, account, spec);
    items.put(id, i);
    return i;
  }

  /** An OAUTH_PENDING item starts its watch and, with relay links, gets its link. */
  ItemOutcome signInsStarted(MItem i, ItemOutcome o) {
    return signIns.started(i, o);
  }

  /** The item and oauth events of an outcome just applied to {@code i} (its webhook data: the item as shown). */
  void itemRecorded(MItem i, ItemOutcome started, Written written) {
    JsonObject view = WebhookTypes.forItemStatus(started.status().name()) == null ? null
        : i.json(started.relayUrl() == null ? null
            : new JsonObject().put("url", started.relayUrl()).put("expiresAt", started.relayExpiresAt()));
    written.item(event(started.jobId(), JobEvent.Kind.ITEM, EventBodies.item(started)), view);
    JsonObject oauth = EventBodies.oauth(started);
    if (oauth != null) {
      written.add(event(started.jobId(), JobEvent.Kind.OAUTH, oauth));
    }
  }

  <T> Future<T> read(Supplier<T> work) {
    return tx(written -> work.get());
  }

  static JobEvent event(String jobId, JobEvent.Kind kind, JsonObject body) {
    return new JobEvent(jobId, 0, kind, body);
  }

  MJob visibleJob(String jobId) {
    MJob j = jobs.get(jobId);
    return j == null || !j.visible() ? null : j;
  }

  private Map<ItemStatus, Long> countsOf(String jobId) {
    Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
    for (ItemStatus s : ItemStatus.values()) {
      counts.put(s, 0L);
    }
    items.values().stream().filter(i -> i.jobId.equals(jobId)).forEach(i -> counts.merge(i.status, 1L, Long::sum));
    return counts;
  }

  private JobEvent jobEvent(MJob j) {
    JobRecord job = j.record();
    return event(j.id, JobEvent.Kind.JOB, job.hasTemplate()
        ? EventBodies.job(job, countsOf(j.id), accounts.counts(j.id)) : EventBodies.job(job, countsOf(j.id)));
  }

  private static JobEvent itemEvent(MItem i, ItemStatus status) {
    return event(i.jobId, JobEvent.Kind.ITEM, EventBodies.item(i.jobId, i.id, i.account, null, status, null));
  }

  private List<JobRecords.Changed> cancelUnstartedOf(MJob j, List<JobEvent> written) {
    List<JobRecords.Changed> changed = new ArrayList<>();
    if (!j.cancelRequested && !j.stopped) {
      return changed;
    }
    for (MItem i : items.values()) {
      if (i.jobId.equals(j.id) && i.status == ItemStatus.PENDING && !i.recovered) {
        i.status = ItemStatus.CANCELLED;
        i.authValue = null;
        changed.add(new JobRecords.Changed(i.id, j.id, i.account));
        written.add(itemEvent(i, ItemStatus.CANCELLED));
      }
    }
    accounts.halt(j); // accounts whose step never started never will
    return changed;
  }

  /** Finishes the job if nothing keeps it open (as the SQL stores' settling does); the record, or null. */
  private JobRecord finishOf(MJob j, List<JobEvent> written) {
    if (j.record().status().terminal()) {
      return null;
    }
    boolean unfinished = false;
    boolean failed = false;
    for (MItem i : items.values()) {
      if (i.jobId.equals(j.id)) {
        unfinished |= i.status == ItemStatus.PENDING || i.status == ItemStatus.RUNNING;
        failed |= i.status == ItemStatus.FAILED;
      }
    }
    if (unfinished || accounts.blocking(j.id)) {
      return null;
    }
    JobStatus status = j.cancelRequested ? JobStatus.CANCELLED
        : failed || accounts.failed(j.id) || j.stopped ? JobStatus.COMPLETED_WITH_ERRORS : JobStatus.SUCCEEDED;
    j.status = status.name();
    j.finishedAt = now();
    written.add(jobEvent(j));
    return j.record();
  }

  /** After outcomes of these jobs were recorded: the failure policy, cancelling what a halted job never starts, finishing. */
  JobRecords.Settled settle(Set<String> jobIds, Set<String> failedIn, List<JobEvent> written) {
    List<JobRecord> finished = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    boolean pending = false;
    for (String jobId : new TreeSet<>(jobIds)) {
      MJob j = visibleJob(jobId);
      if (j == null || j.record().status().terminal()) {
        continue;
      }
      JobRecord job = j.record();
      long failed = items.values().stream().filter(i -> i.jobId.equals(jobId) && i.status == ItemStatus.FAILED)
          .count();
      if (!job.recoveredOnly() && failedIn.contains(jobId) && job.toleratedFailurePercent() < 100 && job.total() > 0
          && failed * 100.0 / job.total() > job.toleratedFailurePercent()) {
        j.stopped = true;
        stopped.add(jobId);
      }
      cancelUnstartedOf(j, written);
      JobRecord done = finishOf(j, written);
      if (done != null) {
        finished.add(done);
      } else {
        pending |= items.values().stream().anyMatch(i -> i.jobId.equals(jobId) && i.status == ItemStatus.PENDING);
      }
    }
    return new JobRecords.Settled(finished, stopped, pending);
  }

  /** Now on the store's clock, as the ISO-8601 text the SQL stores write. */
  String now() {
    return Instant.ofEpochMilli(nowMs.getAsLong()).toString();
  }

  // ---- ports ---------------------------------------------------------------------------------

  private final class Jobs implements JobRecords {
    @Override
    public Future<Void> ping() {
      return read(() -> null);
    }

    @Override
    public Future<JobRecord> job(String jobId) {
      return read(() -> {
        MJob j = visibleJob(jobId);
        return j == null ? null : j.record();
      });
    }

    @Override
    public Future<List<JobRecord>> recentJobs(String owner, int limit) {
      return read(() -> {
        List<JobRecord> out = new ArrayList<>();
        List<MJob> all = new ArrayList<>(jobs.values());
        for (int n = all.size() - 1; n >= 0 && out.size() < limit; n--) {
          MJob j = all.get(n);
          if (j.visible() && (owner == null || owner.equals(j.owner))) {
            out.add(j.record());
          }
        }
        return out;
      });
    }

    @Override
    public Future<List<JobRecord>> unfinishedJobs() {
      return read(() -> jobs.values().stream().filter(j -> j.status.equals("PENDING") || j.status.equals("RUNNING"))
          .map(MJob::record).toList());
    }

    @Override
    public Future<Map<ItemStatus, Long>> counts(String jobId) {
      return read(() -> countsOf(jobId));
    }

    @Override
    public Future<Map<AccountStatus, Long>> accountCounts(String jobId) {
      return read(() -> accounts.counts(jobId));
    }

    private MJob locked(String jobId) {
      MJob j = visibleJob(jobId);
      if (j == null) {
        throw new StoreException(Kind.NOT_FOUND, "No job with id '" + jobId + "'.");
      }
      return j;
    }

    @Override
    public Future<List<Changed>> cancel(String jobId) {
      return tx(written -> {
        MJob j = locked(jobId);
        if (j.record().status().terminal()) {
          throw new StoreException(Kind.CONFLICT, "Job '" + jobId + "' already finished with status " + j.status
              + "; there is nothing to cancel.");
        }
        j.cancelRequested = true;
        signIns.revoke(jobId); // a cancelled job's sign-in links stop working
        return cancelUnstartedOf(j, written);
      });
    }

    @Override
    public Future<Retried> retry(String jobId) {
      return tx(written -> {
        MJob j = locked(jobId);
        if (j.cancelRequested) {
          throw new StoreException(Kind.CONFLICT, "Job '" + jobId + "' was cancelled; a cancelled job stays "
              + "cancelled. Submit the failed items as a new job.");
        }
        List<Changed> retried = new ArrayList<>();
        for (MItem i : items.values()) {
          if (i.jobId.equals(jobId) && i.status == ItemStatus.FAILED) {
            i.status = ItemStatus.PENDING;
            i.error = null;
            retried.add(new Changed(i.id, jobId, i.account));
            written.add(itemEvent(i, ItemStatus.PENDING));
          }
        }
        // Items first: an account whose items were retried waits for them.
        List<AccountChanged> retriedAccounts = accounts.retry(jobId);
        retriedAccounts.stream().filter(a -> a.status() == AccountStatus.WAITING).forEach(a -> written.add(
            event(jobId, JobEvent.Kind.ACCOUNT, EventBodies.account(jobId, a.account(), a.status(), null, null, null))));
        if (!retried.isEmpty() || !retriedAccounts.isEmpty()) {
          boolean wasRunning = j.status.equals("RUNNING");
          j.status = "RUNNING";
          j.finishedAt = null;
          j.stopped = false;
          if (!wasRunning) {
            written.add(jobEvent(j));
          }
        }
        return new Retried(retried, retriedAccounts);
      });
    }

    @Override
    public Future<JobRecord> finishIfDone(String jobId) {
      return tx(written -> finishOf(locked(jobId), written));
    }
  }

  private final class Intake implements IntakeStore {
    /** Request prints keyed as the SQL stores key them (a fixed test key). */
    private static final SecretBox PRINTS = new SecretBox(new byte[32]);

    @Override
    public Future<Long> pendingItems() {
      return read(() -> items.values().stream().filter(i -> i.status == ItemStatus.PENDING)
          .filter(i -> {
            String s = jobs.get(i.jobId).status;
            return s.equals("INTAKE") || s.equals("PENDING") || s.equals("RUNNING");
          }).count());
    }

    private static String keyOf(String owner, String key) {
      return key == null ? null : owner + "\u001f" + key;
    }

    @Override
    public RequestPrint newPrint() {
      return PRINTS.newPrint();
    }

    /** The job a key names, or null; CONFLICT when its request had another print. */
    private Created byKey(String key, String print) {
      if (key == null) {
        return null;
      }
      for (MJob j : jobs.values()) {
        if (key.equals(j.key)) {
          if (print != null && !print.equals(j.print)) {
            throw new StoreException(Kind.CONFLICT, "This Idempotency-Key was already used with a different "
                + "request body.");
          }
          return new Created(j.record(), true);
        }
      }
      return null;
    }

    @Override
    public Future<Created> create(JobRequest request, String owner, String idempotencyKey) {
      String key = keyOf(owner, idempotencyKey);
      String print = null;
      if (key != null) {
        RequestPrint rp = newPrint();
        request.items().forEach(rp::item);
        print = rp.finish(request.specJson());
      }
      String p = print;
      return tx(written -> {
        Created found = byKey(key, p);
        if (found != null) {
          return found;
        }
        MJob j = new MJob(UUID.randomUUID().toString(), owner, "PENDING", now());
        j.total = request.items().size();
        j.spec = request.specJson();
        j.key = key;
        j.print = p;
        jobs.put(j.id, j);
        request.items().forEach(item -> add(j.id, item));
        accounts.insert(j);
        written.add(jobEvent(j));
        return new Created(j.record(), false);
      });
    }

    private void add(String jobId, JobRequest.Item item) {
      long id = ++nextItemId;
      items.put(id, new MItem(id, jobId, item));
    }

    @Override
    public Future<Created> existing(String owner, String idempotencyKey, String print) {
      return read(() -> byKey(keyOf(owner, idempotencyKey), print));
    }

    @Override
    public Future<Intake> openIntake(String owner) {
      return tx(written -> {
        MJob j = new MJob(UUID.randomUUID().toString(), owner, "INTAKE", now());
        jobs.put(j.id, j);
        return new Streamed(j.id, owner);
      });
    }

    @Override
    public Future<Integer> purgeStaleIntakes(long idleMs) {
      return tx(written -> {
        List<String> stale = jobs.values().stream().filter(j -> j.status.equals("INTAKE")
            && j.heartbeat < nowMs.getAsLong() - idleMs).map(j -> j.id).toList();
        stale.forEach(this::delete);
        return stale.size();
      });
    }

    private void delete(String jobId) {
      items.values().removeIf(i -> i.jobId.equals(jobId));
      jobs.remove(jobId);
    }

    private MJob open(String jobId) {
      MJob j = jobs.get(jobId);
      if (j == null || !j.status.equals("INTAKE")) {
        throw new StoreException(Kind.ABANDONED, "The upload took too long and was abandoned; submit the job again.");
      }
      return j;
    }

    private final class Streamed implements IntakeStore.Intake {
      private final String id;
      private final String owner;

      Streamed(String id, String owner) {
        this.id = id;
        this.owner = owner;
      }

      @Override
      public String jobId() {
        return id;
      }

      @Override
      public Future<Void> append(List<JobRequest.Item> batch) {
        return tx(written -> {
          open(id).heartbeat = nowMs.getAsLong();
          batch.forEach(item -> add(id, item));
          return null;
        });
      }

      @Override
      public Future<Void> touch() {
        return tx(written -> {
          MJob j = jobs.get(id);
          if (j != null && j.status.equals("INTAKE")) {
            j.heartbeat = nowMs.getAsLong();
          }
          return null;
        });
      }

      @Override
      public Future<Created> commit(JobRequest fields, int total, String idempotencyKey, String print) {
        String key = keyOf(owner, idempotencyKey);
        return tx(written -> {
          MJob j = open(id);
          Created found = byKey(key, null);
          if (found != null) {
            // A concurrent request with the same key committed first: this one goes, that job is the answer.
            delete(id);
            return byKey(key, print);
          }
          j.status = "PENDING";
          j.createdAt = now();
          j.total = total;
          j.spec = fields.specJson();
          j.key = key;
          j.print = print;
          accounts.insert(j);
          written.add(jobEvent(j));
          return new Created(j.record(), false);
        });
      }

      @Override
      public Future<Void> discard() {
        return tx(written -> {
          MJob j = jobs.get(id);
          if (j != null && j.status.equals("INTAKE")) {
            delete(id);
          }
          return null;
        });
      }
    }
  }

  private final class Items implements ItemQueue {
    /**
     * Across open jobs, as the SQL claim: one item per account (of the oldest job), none of a busy account;
     * an item's turn is its rank in its job plus the items its job runs now; ties go to the oldest job.
     */
    @Override
    public Future<List<ClaimedItem>> claim(String node, int max, long leaseMs) {
      return tx(written -> {
        Set<String> busy = new HashSet<>();
        Map<String, Integer> running = new HashMap<>();
        items.values().stream().filter(i -> i.status == ItemStatus.RUNNING).forEach(i -> {
          busy.add(i.account);
          running.merge(i.jobId, 1, Integer::sum);
        });
        record Candidate(MItem item, MJob job, int turn) {}
        List<Candidate> candidates = new ArrayList<>();
        for (MItem i : items.values()) {
          MJob j = visibleJob(i.jobId);
          if (j == null || !(j.status.equals("PENDING") || j.status.equals("RUNNING")) || i.status != ItemStatus.PENDING
              || ((j.cancelRequested || j.stopped) && !i.recovered) || busy.contains(i.account)
              || accounts.leased(i.account)) {
            continue;
          }
          candidates.add(new Candidate(i, j, 0));
        }
        // One per account: the oldest job's item (then the lowest id); then its turn in its job.
        candidates.sort(Comparator.comparingLong((Candidate c) -> c.job().seq).thenComparingLong(c -> c.item().id));
        Set<String> picked = new HashSet<>();
        Map<String, Integer> rank = new HashMap<>();
        List<Candidate> one = new ArrayList<>();
        for (Candidate c : candidates) {
          if (picked.add(c.item().account)) {
            int r = rank.merge(c.item().jobId, 1, Integer::sum);
            one.add(new Candidate(c.item(), c.job(), r + running.getOrDefault(c.item().jobId, 0)));
          }
        }
        one.sort(Comparator.comparingInt(Candidate::turn).thenComparingLong(c -> c.job().seq)
            .thenComparingLong(c -> c.item().id));
        List<ClaimedItem> out = new ArrayList<>();
        long until = nowMs.getAsLong() + leaseMs;
        for (Candidate c : one.subList(0, Math.min(max, one.size()))) {
          MItem i = c.item();
          MJob j = c.job();
          if (j.status.equals("PENDING")) {
            j.status = "RUNNING";
            written.add(jobEvent(j));
          }
          i.status = ItemStatus.RUNNING;
          i.attempts++;
          i.leaseOwner = node;
          i.leaseUntil = until;
          out.add(new ClaimedItem(i.id, i.jobId, i.account, i.authValue, i.spec, i.attempts, false,
              j.cancelRequested || j.stopped));
          written.add(itemEvent(i, ItemStatus.RUNNING));
        }
        out.sort(Comparator.comparingLong(ClaimedItem::id));
        return out;
      });
    }

    @Override
    public Future<Integer> renew(String node, long leaseMs) {
      return tx(written -> {
        int n = 0;
        for (MItem i : items.values()) {
          if (i.status == ItemStatus.RUNNING && node.equals(i.leaseOwner)) {
            i.leaseUntil = nowMs.getAsLong() + leaseMs;
            n++;
          }
        }
        return n;
      });
    }

    private List<JobRecords.Changed> release(boolean expiredOnly, List<JobEvent> written) {
      List<JobRecords.Changed> out = new ArrayList<>();
      long now = nowMs.getAsLong();
      for (MItem i : items.values()) {
        if (i.status == ItemStatus.RUNNING && (!expiredOnly || i.leaseUntil < now)) {
          i.status = ItemStatus.PENDING;
          i.recovered = true;
          i.leaseOwner = null;
          out.add(new JobRecords.Changed(i.id, i.jobId, i.account));
          written.add(itemEvent(i, ItemStatus.PENDING));
        }
      }
      return out;
    }

    @Override
    public Future<List<JobRecords.Changed>> releaseExpired() {
      return tx(written -> release(true, written));
    }

    @Override
    public Future<Integer> releaseAll() {
      return tx(written -> release(false, written).size());
    }

    @Override
    public Future<Recorded> record(String node, List<ItemOutcome> outcomes) {
      return tx(written -> {
        List<ItemOutcome> applied = new ArrayList<>();
        for (ItemOutcome o : outcomes) {
          MItem i = items.get(o.itemId());
          if (i == null || i.status != ItemStatus.RUNNING || !node.equals(i.leaseOwner)) {
            continue; // the lease was lost: the new owner checks the item at Cyclr
          }
          i.status = o.status();
          i.connectorId = o.connectorId() != null ? o.connectorId() : i.connectorId;
          i.accountConnectorId = o.accountConnectorId() != null ? o.accountConnectorId() : i.accountConnectorId;
          i.oauthUrl = o.oauthUrl();
          i.oauthExpiresAt = o.oauthExpiresAt();
          i.error = o.error();
          i.authValue = o.wipesAuthValue() ? null : i.authValue;
          i.attempts = o.status() == ItemStatus.PENDING ? i.attempts - 1 : i.attempts;
          i.recovered = i.recovered || o.recovered();
          i.leaseOwner = null;
          if (o.status().terminal()) {
            accounts.itemsDone(o.jobId(), i.account); // its account may now go on to its template
          }
          ItemOutcome started = signIns.started(i, o); // OAUTH_PENDING: watch and relay link
          applied.add(started);
          itemRecorded(i, started, written);
        }
        Set<String> jobIds = new TreeSet<>();
        Set<String> failedIn = new TreeSet<>();
        applied.forEach(o -> {
          jobIds.add(o.jobId());
          if (o.status() == ItemStatus.FAILED) {
            failedIn.add(o.jobId());
          }
        });
        return new Recorded(applied, settle(jobIds, failedIn, written));
      });
    }

    @Override
    public Future<ItemPage> page(String jobId, ItemStatus status, int limit, String cursor) {
      long after;
      try {
        after = JobRows.after(cursor);
      } catch (StoreException e) {
        return Future.failedFuture(e);
      }
      return read(() -> {
        JsonArray page = new JsonArray();
        String next = null;
        long last = 0;
        for (MItem i : items.tailMap(after, false).values()) {
          if (!i.jobId.equals(jobId) || (status != null && i.status != status)) {
            continue;
          }
          if (page.size() == limit) {
            next = String.valueOf(last);
            break;
          }
          page.add(view(i));
          last = i.id;
        }
        return new ItemPage(page, next);
      });
    }
  }
}
