package io.onboarder.signin;

import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The watch half of {@link SignIns} in memory, on a virtual clock, with the SQL store's rules: a claim
 * leases a due watch by moving its next poll past the lease; "again" applies only for the node holding it;
 * a signed-in item is recorded once. The link half is not here (those tests run on the real stores).
 */
final class InMemoryWatches implements SignIns {
  /** One OAUTH_PENDING (or signed-in) item's watch. */
  static final class Watch {
    final long itemId;
    String status = "OAUTH_PENDING";
    long intervalMs;
    Long nextAt;
    long until;
    String owner;
    int polls;

    Watch(long itemId) {
      this.itemId = itemId;
    }
  }

  private final VirtualClock clock;
  private final SignInPolicy policy;
  final Map<Long, Watch> watches = new LinkedHashMap<>();

  InMemoryWatches(VirtualClock clock, SignInPolicy policy) {
    this.clock = clock;
    this.policy = policy;
  }

  /** An item installed now: first poll after the policy's first interval, watched for the link's lifetime. */
  Watch install(long itemId) {
    Watch w = new Watch(itemId);
    w.intervalMs = policy.watchFirstMs();
    w.nextAt = clock.nowMs() + policy.watchFirstMs();
    w.until = clock.nowMs() + policy.linkTtlMs();
    watches.put(itemId, w);
    return w;
  }

  private boolean due(Watch w) {
    return w.status.equals("OAUTH_PENDING") && w.nextAt != null && w.nextAt <= clock.nowMs()
        && w.until > clock.nowMs();
  }

  @Override
  public Future<List<Watched>> claimWatches(String node, int max, long leaseMs) {
    List<Watched> claimed = new ArrayList<>();
    watches.values().stream().filter(this::due).sorted(Comparator.comparingLong((Watch w) -> w.nextAt)).limit(max)
        .forEach(w -> {
          w.owner = node;
          w.nextAt = clock.nowMs() + leaseMs;
          w.polls++;
          claimed.add(new Watched(w.itemId, "job", "acct-" + w.itemId, 100 + w.itemId, 2L, w.intervalMs));
        });
    return Future.succeededFuture(claimed);
  }

  @Override
  public Future<Boolean> watchAgain(String node, long itemId, long intervalMs, long delayMs) {
    Watch w = watches.get(itemId);
    if (w == null || !w.status.equals("OAUTH_PENDING") || !node.equals(w.owner)) {
      return Future.succeededFuture(false);
    }
    w.intervalMs = intervalMs;
    w.nextAt = clock.nowMs() + delayMs;
    w.owner = null;
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Void> stopWatch(long itemId) {
    Watch w = watches.get(itemId);
    if (w != null && w.status.equals("OAUTH_PENDING")) {
      w.nextAt = null;
      w.owner = null;
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Integer> expireWatches() {
    int n = 0;
    for (Watch w : watches.values()) {
      if (w.status.equals("OAUTH_PENDING") && w.nextAt != null && w.nextAt <= clock.nowMs()
          && w.until <= clock.nowMs()) {
        w.nextAt = null;
        w.owner = null;
        n++;
      }
    }
    return Future.succeededFuture(n);
  }

  @Override
  public Future<Long> nextWatchDueInMs() {
    return Future.succeededFuture(watches.values().stream()
        .filter(w -> w.status.equals("OAUTH_PENDING") && w.nextAt != null && w.until > clock.nowMs())
        .map(w -> Math.max(0, w.nextAt - clock.nowMs())).min(Long::compare).orElse(null));
  }

  @Override
  public Future<Authenticated> markAuthenticated(long itemId) {
    Watch w = watches.get(itemId);
    if (w == null || !w.status.equals("OAUTH_PENDING")) {
      return Future.succeededFuture(null);
    }
    w.status = "AUTHENTICATED";
    w.nextAt = null;
    w.owner = null;
    return Future.succeededFuture(new Authenticated(itemId, "job", "acct-" + itemId, 2L));
  }

  @Override
  public Future<Void> visited(long itemId) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<LinkView> link(String token) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<IssuedLink> reissue(String jobId, long itemId) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<LinkTarget> linkTarget(String jobId, long itemId) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<Void> rawLinkIssued(LinkTarget target, String url, String expiresAt) {
    throw new UnsupportedOperationException("links are not kept here");
  }

  @Override
  public Future<Integer> revokeLinks(String jobId) {
    throw new UnsupportedOperationException("links are not kept here");
  }
}
