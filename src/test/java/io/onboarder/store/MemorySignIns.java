package io.onboarder.store;

import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.StoreException;
import io.onboarder.job.StoreException.Kind;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.signin.WatchSchedule;
import io.onboarder.store.MemoryStores.MItem;
import io.onboarder.store.MemoryStores.MJob;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Relay links and the sign-in watch of a {@link MemoryStores}, with the rules of {@code SqlSignIns}:
 * a link's token is derived from a random salt with the store key and only its SHA-256 is kept; expiry
 * and watch leases are decided on the store's clock; a due watch is claimed by one node at a time; a
 * sign-in is recorded once. Every method runs in one of the store's transactions.
 */
final class MemorySignIns implements SignIns {
  private static final int SALT_BYTES = 32;

  /** A row of the links table. */
  static final class MLink {
    final long id;
    final String tokenHash;
    final byte[] salt;
    final long itemId;
    final String jobId;
    final Long accountConnectorId;
    final long expiresAt;
    boolean revoked;
    int mints;
    long mintWindowAt;

    MLink(long id, String tokenHash, byte[] salt, long itemId, String jobId, Long accountConnectorId, long expiresAt) {
      this.id = id;
      this.tokenHash = tokenHash;
      this.salt = salt;
      this.itemId = itemId;
      this.jobId = jobId;
      this.accountConnectorId = accountConnectorId;
      this.expiresAt = expiresAt;
    }
  }

  private final MemoryStores store;

  MemorySignIns(MemoryStores store) {
    this.store = store;
  }

  private long now() {
    return store.nowMs.getAsLong();
  }

  private static long jittered(long ms) {
    return WatchSchedule.jittered(ms, ThreadLocalRandom.current()::nextDouble);
  }

  private static String iso(long epochMs) {
    return Instant.ofEpochMilli(epochMs).toString();
  }

  // ---- inside the store's transactions (called under its lock) --------------------------------

  /**
   * An outcome just applied to {@code i}: an OAUTH_PENDING item starts its watch and, with relay links,
   * gets its link; not in a cancelled job (cancelling revokes links).
   */
  ItemOutcome started(MItem i, ItemOutcome o) {
    MJob j = store.jobs.get(o.jobId());
    if (o.status() != ItemStatus.OAUTH_PENDING || j == null || j.cancelRequested) {
      return o;
    }
    startWatch(i, o.connectorName());
    if (!store.policy.relayLinks()) {
      return o;
    }
    String[] link = newLink(i, o.accountConnectorId());
    return o.withRelay(link[0], link[1]);
  }

  private void startWatch(MItem i, String connectorName) {
    if (i.status != ItemStatus.OAUTH_PENDING) {
      return;
    }
    long first = store.policy.watchFirstMs();
    i.connectorName = connectorName != null ? connectorName : i.connectorName;
    i.watchInterval = first;
    i.watchNextAt = now() + jittered(first);
    i.watchUntil = now() + store.policy.linkTtlMs();
    i.watchOwner = null;
  }

  /** Revokes the item's links and adds a new one; returns {url, expiresAt}. */
  private String[] newLink(MItem i, Long accountConnectorId) {
    SignInPolicy p = store.policy;
    store.links.values().stream().filter(l -> l.itemId == i.id && !l.revoked).forEach(l -> l.revoked = true);
    byte[] salt = SecretBox.randomBytes(SALT_BYTES);
    String token = store.box.linkToken(salt);
    MLink link = new MLink(++store.nextLinkId, SecretBox.sha256Hex(token), salt, i.id, i.jobId, accountConnectorId,
        now() + p.linkTtlMs());
    store.links.put(link.id, link);
    return new String[] {p.linkUrl(token), iso(link.expiresAt)};
  }

  /** Cancel: links that still work are revoked and watches end; returns how many links were revoked. */
  int revoke(String jobId) {
    int revoked = 0;
    for (MLink l : store.links.values()) {
      if (l.jobId.equals(jobId) && !l.revoked && l.expiresAt > now()) {
        l.revoked = true;
        revoked++;
      }
    }
    for (MItem i : store.items.values()) {
      if (i.jobId.equals(jobId) && i.status == ItemStatus.OAUTH_PENDING && i.watchNextAt != null) {
        i.watchNextAt = null;
        i.watchOwner = null;
      }
    }
    return revoked;
  }

  /** The item's live link as {url, expiresAt} (the newest one not revoked), or null. */
  JsonObject liveLink(long itemId) {
    if (!store.policy.relayLinks()) {
      return null;
    }
    JsonObject found = null;
    for (MLink l : store.links.values()) {
      if (l.itemId == itemId && !l.revoked) {
        String token = store.box.linkToken(l.salt);
        if (SecretBox.sha256Hex(token).equals(l.tokenHash)) {
          found = new JsonObject().put("url", store.policy.linkUrl(token)).put("expiresAt", iso(l.expiresAt));
        }
      }
    }
    return found;
  }

  MLink byToken(String token) {
    String hash = SecretBox.sha256Hex(token);
    return store.links.values().stream().filter(l -> l.tokenHash.equals(hash)).findFirst().orElse(null);
  }

  private boolean watchRuns(MItem i) {
    return i.status == ItemStatus.OAUTH_PENDING && i.watchNextAt != null && i.watchUntil > now();
  }

  // ---- watch ---------------------------------------------------------------------------------

  @Override
  public Future<List<Watched>> claimWatches(String node, int max, long leaseMs) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    return store.tx(written -> {
      List<MItem> due = store.items.values().stream().filter(i -> watchRuns(i) && i.watchNextAt <= now())
          .sorted(Comparator.comparingLong((MItem i) -> i.watchNextAt)).limit(max).toList();
      List<Watched> out = new ArrayList<>(due.size());
      for (MItem i : due) {
        i.watchOwner = node;
        i.watchNextAt = now() + leaseMs;
        out.add(new Watched(i.id, i.jobId, i.account, i.accountConnectorId, i.connectorId, i.watchInterval));
      }
      return out;
    });
  }

  @Override
  public Future<Boolean> watchAgain(String node, long itemId, long intervalMs, long delayMs) {
    return store.tx(written -> {
      MItem i = store.items.get(itemId);
      if (i == null || i.status != ItemStatus.OAUTH_PENDING || !node.equals(i.watchOwner)) {
        return false;
      }
      i.watchInterval = intervalMs;
      i.watchNextAt = now() + delayMs;
      i.watchOwner = null;
      return true;
    });
  }

  @Override
  public Future<Void> stopWatch(long itemId) {
    return store.tx(written -> {
      MItem i = store.items.get(itemId);
      if (i != null && i.status == ItemStatus.OAUTH_PENDING) {
        i.watchNextAt = null;
        i.watchOwner = null;
      }
      return null;
    });
  }

  @Override
  public Future<Integer> expireWatches() {
    return store.tx(written -> {
      int n = 0;
      for (MItem i : store.items.values()) {
        if (i.status == ItemStatus.OAUTH_PENDING && i.watchNextAt != null && i.watchNextAt <= now()
            && i.watchUntil <= now()) {
          i.watchNextAt = null;
          i.watchOwner = null;
          n++;
        }
      }
      return n;
    });
  }

  @Override
  public Future<Long> nextWatchDueInMs() {
    return store.read(() -> store.items.values().stream().filter(this::watchRuns)
        .map(i -> Math.max(0, i.watchNextAt - now())).min(Long::compare).orElse(null));
  }

  @Override
  public Future<Authenticated> markAuthenticated(long itemId) {
    return store.tx(written -> {
      MItem i = store.items.get(itemId);
      if (i == null || i.status != ItemStatus.OAUTH_PENDING) {
        return null;
      }
      i.status = ItemStatus.AUTHENTICATED;
      i.watchNextAt = null;
      i.watchOwner = null;
      written.item(MemoryStores.event(i.jobId, JobEvent.Kind.ITEM, EventBodies.item(i.jobId, i.id, i.account,
          i.connectorId, ItemStatus.AUTHENTICATED, null)), store.view(i));
      return new Authenticated(i.id, i.jobId, i.account, i.connectorId);
    });
  }

  @Override
  public Future<Void> visited(long itemId) {
    return store.tx(written -> {
      MItem i = store.items.get(itemId);
      if (i != null && watchRuns(i)) {
        long first = store.policy.watchFirstMs();
        i.watchInterval = first;
        i.watchNextAt = now() + jittered(first);
        i.watchOwner = null;
      }
      return null;
    });
  }

  // ---- links ---------------------------------------------------------------------------------

  @Override
  public Future<LinkView> link(String token) {
    return store.read(() -> {
      MLink l = byToken(token);
      MItem i = l == null ? null : store.items.get(l.itemId);
      MJob j = l == null ? null : store.jobs.get(l.jobId);
      if (i == null || j == null) {
        return null;
      }
      return new LinkView(l.itemId, l.jobId, i.account, l.accountConnectorId, i.connectorId, i.connectorName,
          i.status, l.expiresAt <= now(), l.revoked, iso(l.expiresAt), j.spec.copy());
    });
  }

  /** The item, checked: in this job (404), the job not cancelled and the item waiting for a sign-in (409). */
  private LinkTarget target(String jobId, long itemId) {
    MJob j = store.jobs.get(jobId);
    boolean cancelled = j != null && j.cancelRequested;
    MItem i = store.items.get(itemId);
    if (i == null || !i.jobId.equals(jobId)) {
      throw new StoreException(Kind.NOT_FOUND, "Job '" + jobId + "' has no item '" + itemId + "'.");
    }
    if (cancelled) {
      throw new StoreException(Kind.CONFLICT, "Job '" + jobId + "' was cancelled: its links were revoked and no new "
          + "one is issued.");
    }
    if (i.status != ItemStatus.OAUTH_PENDING) {
      throw new StoreException(Kind.CONFLICT, "Item '" + itemId + "' is " + i.status + (i.status == ItemStatus.AUTHENTICATED
          ? ": the tenant has signed in already." : ": it needs no sign-in link."));
    }
    return new LinkTarget(i.id, i.jobId, i.account, i.accountConnectorId, i.connectorId, i.connectorName);
  }

  @Override
  public Future<IssuedLink> reissue(String jobId, long itemId) {
    if (!store.policy.relayLinks()) {
      return Future.failedFuture(new IllegalStateException("relay links are off (PUBLIC_URL is not set)"));
    }
    return store.tx(written -> {
      LinkTarget t = target(jobId, itemId);
      MItem i = store.items.get(itemId);
      startWatch(i, null);
      String[] link = newLink(i, t.accountConnectorId());
      written.add(MemoryStores.event(jobId, JobEvent.Kind.OAUTH, oauthEvent(t, link[0], null, link[1])));
      return new IssuedLink(t, link[0], null, link[1]);
    });
  }

  @Override
  public Future<LinkTarget> linkTarget(String jobId, long itemId) {
    return store.read(() -> target(jobId, itemId));
  }

  @Override
  public Future<Void> rawLinkIssued(LinkTarget t, String url, String expiresAt) {
    return store.tx(written -> {
      MItem i = store.items.get(t.itemId());
      if (i != null) {
        i.oauthUrl = url;
        i.oauthExpiresAt = expiresAt;
        startWatch(i, null);
      }
      written.add(MemoryStores.event(t.jobId(), JobEvent.Kind.OAUTH, oauthEvent(t, url, url, expiresAt)));
      return null;
    });
  }

  private static JsonObject oauthEvent(LinkTarget t, String url, String cyclrUrl, String expiresAt) {
    return EventBodies.oauth(t.jobId(), t.itemId(), t.account(), t.connectorId(), t.connectorName(),
        t.accountConnectorId(), url, cyclrUrl, expiresAt);
  }

  @Override
  public Future<Integer> revokeLinks(String jobId) {
    return store.tx(written -> revoke(jobId));
  }

  /** Every text the links and items hold, to prove what is not stored (the tokens). */
  String storedText() {
    StringBuilder all = new StringBuilder();
    synchronized (store) {
      for (MLink l : store.links.values()) {
        all.append(l.tokenHash).append('|').append(java.util.Base64.getEncoder().encodeToString(l.salt)).append('|')
            .append(l.jobId).append('|');
      }
      for (MItem i : store.items.values()) {
        all.append(i.account).append('|').append(i.authValue).append('|').append(i.oauthUrl).append('|')
            .append(i.spec).append('|').append(i.error).append('|');
      }
    }
    return all.toString();
  }
}
