package io.onboarder.store;

import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemPage;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecords;
import io.onboarder.job.StoreException;
import io.onboarder.store.MemoryStores.MItem;
import io.onboarder.store.MemoryStores.MJob;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The account queue of jobs with a template in memory, over the {@link MemoryStores}' jobs and items: the
 * rules of {@code SqlAccountQueue} and {@code AccountSql} (one step per Cyclr account, never beside its running
 * items, outcomes applied only while the lease is held, sign-in items the template brought, settling the jobs).
 */
final class MemoryAccounts implements AccountQueue {
  /** One row of the accounts table. */
  static final class MAccount {
    final long id;
    final String jobId;
    final String account;
    AccountStatus status = AccountStatus.WAITING;
    AccountPhase phase = AccountPhase.ITEMS;
    String cycleId;
    JsonArray prerequisites;
    JsonArray signIns;
    JsonObject error;
    Long nextAt;
    Long watchInterval;
    Long watchUntil;
    boolean recovered;
    int attempts;
    String leaseOwner;
    Long leaseUntil;

    MAccount(long id, String jobId, String account) {
      this.id = id;
      this.jobId = jobId;
      this.account = account;
    }

    JsonObject json() {
      return new JsonObject().put("account", account).put("status", status.name()).put("cycleId", cycleId)
          .put("prerequisites", prerequisites == null ? new JsonArray() : prerequisites.copy())
          .put("signIns", signIns == null ? new JsonArray() : signIns.copy())
          .put("error", error == null ? null : error.copy());
    }
  }

  private final MemoryStores store;
  final TreeMap<Long, MAccount> rows = new TreeMap<>();
  private long nextId;

  MemoryAccounts(MemoryStores store) {
    this.store = store;
  }

  // ---- what the other in-memory ports do to accounts (under the store's lock) ----------------------------

  /** A job with a template gets one account per account of its items, in the order they first appear. */
  void insert(MJob j) {
    if (!j.record().hasTemplate()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (MItem i : store.items.values()) {
      if (i.jobId.equals(j.id) && seen.add(i.account)) {
        long id = ++nextId;
        rows.put(id, new MAccount(id, j.id, i.account));
      }
    }
  }

  private boolean itemsUnfinished(String jobId, String account, boolean orSignIn) {
    return store.items.values().stream().anyMatch(i -> i.jobId.equals(jobId) && i.account.equals(account)
        && (i.status == ItemStatus.PENDING || i.status == ItemStatus.RUNNING
        || (orSignIn && i.status == ItemStatus.OAUTH_PENDING)));
  }

  /** After an item's final outcome: its account is due once none of its items in the job is unfinished. */
  void itemsDone(String jobId, String account) {
    long now = store.nowMs.getAsLong();
    for (MAccount a : rows.values()) {
      if (a.jobId.equals(jobId) && a.account.equals(account) && a.phase == AccountPhase.ITEMS && a.nextAt == null
          && !itemsUnfinished(jobId, account, false)) {
        a.nextAt = now;
      }
    }
  }

  /** An account step of this Cyclr account is leased (no item of it may run beside it). */
  boolean leased(String account) {
    return rows.values().stream().anyMatch(a -> a.account.equals(account) && a.leaseOwner != null);
  }

  /** Accounts of the job keep it open: waiting for their items, or leased. */
  boolean blocking(String jobId) {
    return rows.values().stream().anyMatch(a -> a.jobId.equals(jobId)
        && (a.phase == AccountPhase.ITEMS || a.leaseOwner != null));
  }

  boolean failed(String jobId) {
    return rows.values().stream().anyMatch(a -> a.jobId.equals(jobId) && a.status == AccountStatus.FAILED);
  }

  Map<AccountStatus, Long> counts(String jobId) {
    Map<AccountStatus, Long> counts = new EnumMap<>(AccountStatus.class);
    for (AccountStatus s : AccountStatus.values()) {
      counts.put(s, 0L);
    }
    rows.values().stream().filter(a -> a.jobId.equals(jobId)).forEach(a -> counts.merge(a.status, 1L, Long::sum));
    return counts;
  }

  /** In a cancelled or stopped job, accounts whose step never started halt for good (no status change). */
  void halt(MJob j) {
    if (!j.cancelRequested && !j.stopped) {
      return;
    }
    for (MAccount a : rows.values()) {
      if (a.jobId.equals(j.id) && (a.phase == AccountPhase.ITEMS || a.phase == AccountPhase.SIGN_IN
          || a.phase == AccountPhase.WATCH) && a.leaseOwner == null && !a.recovered) {
        a.phase = AccountPhase.HALTED;
        a.nextAt = null;
        a.error = AccountOutcome.error("CANCELLED", "The job was cancelled or stopped before this account got its "
            + "template.");
      }
    }
  }

  /** Retry (after the items'): FAILED accounts run again, SETUP_REQUIRED and ran-out ones are checked again. */
  List<JobRecords.AccountChanged> retry(String jobId) {
    List<JobRecords.AccountChanged> out = new ArrayList<>();
    long now = store.nowMs.getAsLong();
    for (MAccount a : rows.values()) {
      if (!a.jobId.equals(jobId) || a.leaseOwner != null) {
        continue;
      }
      boolean ranOut = a.phase == AccountPhase.DONE && a.status == AccountStatus.WAITING;
      if (!(a.status == AccountStatus.FAILED || a.status == AccountStatus.SETUP_REQUIRED || ranOut
          || a.phase == AccountPhase.HALTED)) {
        continue;
      }
      a.error = a.status == AccountStatus.SETUP_REQUIRED ? a.error : null;
      a.status = a.status == AccountStatus.FAILED ? AccountStatus.WAITING : a.status;
      a.signIns = ranOut ? null : a.signIns;
      a.phase = AccountPhase.ITEMS;
      a.watchInterval = null;
      a.watchUntil = null;
      a.nextAt = itemsUnfinished(jobId, a.account, false) ? null : now;
      out.add(new JobRecords.AccountChanged(jobId, a.account, a.status));
    }
    return out;
  }

  // ---- the port ------------------------------------------------------------------------------------

  private boolean due(MAccount a, long now) {
    return a.nextAt != null && a.nextAt <= now && a.leaseOwner == null
        && !(a.phase == AccountPhase.ITEMS && itemsUnfinished(a.jobId, a.account, false))
        && store.items.values().stream().noneMatch(i -> i.account.equals(a.account) && i.status == ItemStatus.RUNNING)
        && !leased(a.account);
  }

  @Override
  public Future<List<ClaimedAccount>> claim(String node, int max, long leaseMs) {
    return store.tx(written -> {
      long now = store.nowMs.getAsLong();
      List<MAccount> candidates = new ArrayList<>(rows.values().stream().filter(a -> due(a, now)).toList());
      candidates.sort(Comparator.comparingLong((MAccount a) -> a.nextAt).thenComparingLong(a -> a.id));
      if (candidates.size() > max * 4) {
        candidates = candidates.subList(0, max * 4);
      }
      Set<String> picked = new HashSet<>();
      List<ClaimedAccount> out = new ArrayList<>();
      for (MAccount a : candidates) {
        if (out.size() == max || !picked.add(a.account)) {
          continue;
        }
        a.leaseOwner = node;
        a.leaseUntil = now + leaseMs;
        a.attempts++;
        a.nextAt = null;
        MJob j = store.jobs.get(a.jobId);
        List<ClaimedAccount.ItemState> states = new ArrayList<>();
        for (MItem i : store.items.values()) {
          if (i.jobId.equals(a.jobId) && i.account.equals(a.account)) {
            states.add(new ClaimedAccount.ItemState(i.status.name(),
                i.status == ItemStatus.CANCELLED && i.error != null ? i.error.getString("code") : null,
                i.accountConnectorId));
          }
        }
        out.add(new ClaimedAccount(a.id, a.jobId, a.account, a.status, a.phase, a.cycleId,
            a.signIns == null ? null : a.signIns.copy(), a.attempts, a.recovered,
            j != null && (j.cancelRequested || j.stopped), a.watchInterval, a.watchUntil, now, states));
      }
      out.sort(Comparator.comparingLong(ClaimedAccount::id));
      return out;
    });
  }

  @Override
  public Future<Integer> renew(String node, long leaseMs) {
    return store.tx(written -> {
      int n = 0;
      for (MAccount a : rows.values()) {
        if (node.equals(a.leaseOwner)) {
          a.leaseUntil = store.nowMs.getAsLong() + leaseMs;
          n++;
        }
      }
      return n;
    });
  }

  @Override
  public Future<Recorded> record(String node, List<AccountOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new Recorded(List.of(), List.of(), JobRecords.Settled.NOTHING));
    }
    return store.tx(written -> {
      List<AccountOutcome> applied = new ArrayList<>();
      List<ItemOutcome> signInItems = new ArrayList<>();
      for (AccountOutcome o : outcomes) {
        MAccount a = rows.get(o.id());
        if (a == null || !node.equals(a.leaseOwner)) {
          continue; // the lease was lost: the new owner checks the account at Cyclr
        }
        List<ItemOutcome> added = !o.handBack() && o.newSignIns() != null && !o.newSignIns().isEmpty()
            ? insertSignIns(o, written) : List.of();
        apply(a, o, added);
        applied.add(o);
        signInItems.addAll(added);
        if (o.statusChanged()) {
          JsonObject body = EventBodies.account(o.jobId(), o.account(), o.status(), o.cycleId(), o.prerequisites(),
              o.error());
          written.item(MemoryStores.event(o.jobId(), JobEvent.Kind.ACCOUNT, body), body);
        }
      }
      Set<String> touched = new TreeSet<>();
      applied.forEach(o -> touched.add(o.jobId()));
      return new Recorded(applied, signInItems, store.settle(touched, Set.of(), written));
    });
  }

  private void apply(MAccount a, AccountOutcome o, List<ItemOutcome> added) {
    boolean keep = o.handBack();
    long now = store.nowMs.getAsLong();
    JsonArray links = o.signIns() == null ? new JsonArray() : o.signIns().copy();
    added.forEach(i -> links.add(new JsonObject().put("itemId", String.valueOf(i.itemId()))
        .put("accountConnectorId", i.accountConnectorId()).put("connectorId", i.connectorId())
        .put("connectorName", i.connectorName())));
    a.status = o.status();
    a.phase = o.phase();
    a.cycleId = o.cycleId() != null ? o.cycleId() : a.cycleId;
    if (!keep) {
      a.prerequisites = o.prerequisites() == null ? null : o.prerequisites().copy();
      a.signIns = links.isEmpty() ? null : links;
      a.error = o.error() == null ? null : o.error().copy();
    }
    // A waiting phase whose wait is already over is due at once: an item may have finished while it ran.
    if (o.phase() == AccountPhase.ITEMS && !itemsUnfinished(a.jobId, a.account, false)
        || o.phase() == AccountPhase.SIGN_IN && !itemsUnfinished(a.jobId, a.account, true)) {
      a.nextAt = now;
    } else {
      a.nextAt = o.nextCheckMs() == null ? null : now + o.nextCheckMs();
    }
    if (!keep) {
      a.watchInterval = o.watchInterval();
      a.watchUntil = o.watchForMs() != null ? (a.watchUntil != null ? a.watchUntil : now + o.watchForMs()) : null;
      a.recovered = false;
    } else {
      a.recovered = a.recovered || o.recovered();
      a.attempts--;
    }
    a.leaseOwner = null;
    a.leaseUntil = null;
  }

  /** The template's sign-ins that no item of the job stands for yet become OAUTH_PENDING items, watched and linked. */
  private List<ItemOutcome> insertSignIns(AccountOutcome o, MemoryStores.Written written) {
    List<ItemOutcome> added = new ArrayList<>();
    JsonObject spec = new JsonObject().put("cycleId", o.cycleId());
    for (Object entry : o.newSignIns()) {
      JsonObject l = (JsonObject) entry;
      Long acId = l.getLong("accountConnectorId");
      boolean exists = store.items.values().stream().anyMatch(i -> i.jobId.equals(o.jobId())
          && i.account.equals(o.account()) && acId != null && acId.equals(i.accountConnectorId));
      if (exists) {
        continue;
      }
      MItem i = store.newItem(o.jobId(), o.account(), spec);
      i.status = ItemStatus.OAUTH_PENDING;
      i.connectorId = l.getLong("connectorId");
      i.accountConnectorId = acId;
      i.connectorName = l.getString("connectorName");
      i.oauthUrl = l.getString("url");
      i.oauthExpiresAt = l.getString("expiresAt");
      ItemOutcome started = store.signInsStarted(i, new ItemOutcome(i.id, o.jobId(), o.account(),
          ItemStatus.OAUTH_PENDING, i.connectorId, i.connectorName, acId, i.oauthUrl, i.oauthExpiresAt, null, false));
      added.add(started);
      store.itemRecorded(i, started, written);
    }
    if (!added.isEmpty()) {
      store.jobs.get(o.jobId()).total += added.size();
    }
    return added;
  }

  private List<MAccount> release(boolean expiredOnly) {
    long now = store.nowMs.getAsLong();
    List<MAccount> out = new ArrayList<>();
    for (MAccount a : rows.values()) {
      if (a.leaseOwner != null && (!expiredOnly || a.leaseUntil < now)) {
        a.leaseOwner = null;
        a.leaseUntil = null;
        a.recovered = true;
        a.nextAt = now;
        out.add(a);
      }
    }
    return out;
  }

  @Override
  public Future<List<JobRecords.AccountChanged>> releaseExpired() {
    return store.tx(written -> release(true).stream()
        .map(a -> new JobRecords.AccountChanged(a.jobId, a.account, null)).toList());
  }

  @Override
  public Future<Integer> releaseAll() {
    return store.tx(written -> release(false).size());
  }

  private int makeDue(String jobId, String account, Set<AccountPhase> phases) {
    long now = store.nowMs.getAsLong();
    int n = 0;
    for (MAccount a : rows.values()) {
      if ((jobId == null || (a.jobId.equals(jobId) && a.account.equals(account))) && phases.contains(a.phase)
          && a.nextAt == null && a.leaseOwner == null
          && !itemsUnfinished(a.jobId, a.account, jobId != null || a.phase == AccountPhase.SIGN_IN)) {
        a.nextAt = now;
        n++;
      }
    }
    return n;
  }

  @Override
  public Future<Integer> sweep(boolean itemsToo) {
    return store.tx(written -> makeDue(null, null, Set.of(AccountPhase.SIGN_IN))
        + (itemsToo ? makeDue(null, null, Set.of(AccountPhase.ITEMS)) : 0));
  }

  @Override
  public Future<Void> nudge(String jobId, String account) {
    return store.tx(written -> {
      makeDue(jobId, account, Set.of(AccountPhase.ITEMS, AccountPhase.SIGN_IN));
      return null;
    });
  }

  @Override
  public Future<ItemPage> page(String jobId, AccountStatus status, int limit, String cursor) {
    long after;
    try {
      after = JobRows.after(cursor);
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    return store.read(() -> {
      JsonArray page = new JsonArray();
      String next = null;
      long last = 0;
      for (MAccount a : rows.tailMap(after, false).values()) {
        if (!a.jobId.equals(jobId) || (status != null && a.status != status)) {
          continue;
        }
        if (page.size() == limit) {
          next = String.valueOf(last);
          break;
        }
        page.add(a.json());
        last = a.id;
      }
      return new ItemPage(page, next);
    });
  }
}
