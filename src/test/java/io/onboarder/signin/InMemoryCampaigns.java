package io.onboarder.signin;

import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The campaign steps of {@link Campaigns} in memory, on a virtual clock, with the SQL store's rules: a claim
 * leases a due step by moving it past the lease; a step is taken only by the node holding it, once; a tenant
 * who signed in (in the {@link InMemoryWatches} beside it) ends the campaign. The funnel and revocation are
 * not here (those run on the real stores).
 */
final class InMemoryCampaigns implements Campaigns {
  /** One relay link's campaign. */
  static final class Link {
    final long itemId;
    final long createdAt;
    final long expiresAt;
    final List<Long> plan;
    int sent;
    Long at;
    String owner;
    boolean expired;
    /** When each reminder was taken (virtual ms), in order. */
    final List<Long> remindedAt = new ArrayList<>();

    Link(long itemId, long createdAt, long expiresAt, List<Long> plan) {
      this.itemId = itemId;
      this.createdAt = createdAt;
      this.expiresAt = expiresAt;
      this.plan = plan;
      this.at = createdAt + (plan.isEmpty() ? expiresAt - createdAt : plan.get(0));
    }
  }

  private final VirtualClock clock;
  private final InMemoryWatches items;
  final Map<Long, Link> links = new LinkedHashMap<>();

  InMemoryCampaigns(VirtualClock clock, InMemoryWatches items) {
    this.clock = clock;
    this.items = items;
  }

  /** A link issued now for a new OAUTH_PENDING item: reminders {@code plan} ms after now, expiry after {@code ttlMs}. */
  Link issue(long itemId, List<Long> plan, long ttlMs) {
    items.install(itemId);
    Link l = new Link(itemId, clock.nowMs(), clock.nowMs() + ttlMs, plan);
    links.put(itemId, l);
    return l;
  }

  private boolean pending(Link l) {
    return items.watches.get(l.itemId).status.equals("OAUTH_PENDING");
  }

  @Override
  public Future<List<Due>> claimDue(String node, int max, long leaseMs) {
    long now = clock.nowMs();
    List<Due> claimed = new ArrayList<>();
    links.values().stream().filter(l -> l.at != null && l.at <= now).sorted(Comparator.comparingLong(l -> l.at))
        .limit(max).forEach(l -> {
          l.owner = node;
          l.at = now + leaseMs;
          int reminder = 0;
          long nextAt = 0;
          if (now < l.expiresAt && l.sent < l.plan.size()) {
            reminder = l.sent + 1;
            while (reminder < l.plan.size() && l.createdAt + l.plan.get(reminder) <= now) {
              reminder++;
            }
            nextAt = reminder < l.plan.size() ? l.createdAt + l.plan.get(reminder) : l.expiresAt;
          }
          claimed.add(new Due(l.itemId, l.itemId, "job", "acct-" + l.itemId, 100 + l.itemId, l.sent, reminder, nextAt));
        });
    return Future.succeededFuture(claimed);
  }

  @Override
  public Future<Stepped> step(String node, Due due) {
    Link l = links.get(due.linkId());
    if (!node.equals(l.owner) || l.at == null) {
      return Future.succeededFuture(Stepped.LOST);
    }
    if (!pending(l)) {
      l.at = null;
      l.owner = null;
      return Future.succeededFuture(Stepped.ENDED);
    }
    if (due.expiry()) {
      if (l.expiresAt > clock.nowMs()) {
        return Future.succeededFuture(Stepped.LOST);
      }
      l.at = null;
      l.owner = null;
      l.expired = true;
      items.watches.get(l.itemId).status = "SIGN_IN_EXPIRED";
      return Future.succeededFuture(Stepped.EXPIRED);
    }
    if (l.sent != due.remindersSent()) {
      return Future.succeededFuture(Stepped.LOST);
    }
    l.sent = due.reminder();
    l.at = due.nextAtMs();
    l.owner = null;
    l.remindedAt.add(clock.nowMs());
    return Future.succeededFuture(Stepped.REMINDED);
  }

  @Override
  public Future<Long> nextDueInMs() {
    return Future.succeededFuture(links.values().stream().filter(l -> l.at != null)
        .map(l -> Math.max(0, l.at - clock.nowMs())).min(Long::compare).orElse(null));
  }

  @Override
  public Future<Boolean> opened(String token) {
    throw new UnsupportedOperationException("the funnel is not kept here");
  }

  @Override
  public Future<Boolean> started(String token) {
    throw new UnsupportedOperationException("the funnel is not kept here");
  }

  @Override
  public Future<Integer> revoke(String jobId, long itemId) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<Funnel> funnel(Collection<String> jobIds) {
    throw new UnsupportedOperationException("the funnel is not kept here");
  }
}
