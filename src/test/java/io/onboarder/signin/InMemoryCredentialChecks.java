package io.onboarder.signin;

import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link CredentialChecks} in memory, on a virtual clock, with the SQL store's rules: a sweep gives each signed-in
 * item a due time hashed within the interval; a claim leases a due check by moving it past the lease; what a check
 * found is written only by the node holding it; a lost sign-in is recorded once and stops the checks.
 */
final class InMemoryCredentialChecks implements CredentialChecks {
  /** One item's checks. */
  static final class Item {
    final long itemId;
    String status = "AUTHENTICATED";
    Long nextAt;
    String owner;
    boolean gone;
    final List<Long> checkedAt = new ArrayList<>();

    Item(long itemId) {
      this.itemId = itemId;
    }
  }

  private final VirtualClock clock;
  final Map<Long, Item> items = new LinkedHashMap<>();
  /** Every sign-in recorded lost, in order. */
  final List<Lost> lost = new ArrayList<>();

  InMemoryCredentialChecks(VirtualClock clock) {
    this.clock = clock;
  }

  Item signIn(long itemId) {
    Item i = items.computeIfAbsent(itemId, Item::new);
    i.status = "AUTHENTICATED";
    i.nextAt = null;
    return i;
  }

  @Override
  public Future<Integer> schedule(long intervalMs, int max) {
    List<Item> due = items.values().stream().filter(i -> i.status.equals("AUTHENTICATED") && i.nextAt == null
        && !i.gone).limit(max).toList();
    due.forEach(i -> i.nextAt = clock.nowMs() + ((i.itemId * 40503) % 65536) * intervalMs / 65536);
    return Future.succeededFuture(due.size());
  }

  @Override
  public Future<List<Due>> claim(String node, int max, long leaseMs) {
    List<Due> out = new ArrayList<>();
    items.values().stream().filter(i -> i.status.equals("AUTHENTICATED") && i.nextAt != null
            && i.nextAt <= clock.nowMs()).sorted(Comparator.comparingLong((Item i) -> i.nextAt)).limit(max)
        .forEach(i -> {
          i.owner = node;
          i.nextAt = clock.nowMs() + leaseMs;
          out.add(new Due(i.itemId, "job", "acct-" + i.itemId, 1000 + i.itemId, 2L));
        });
    return Future.succeededFuture(out);
  }

  private Item held(String node, long itemId) {
    Item i = items.get(itemId);
    return i != null && i.status.equals("AUTHENTICATED") && node.equals(i.owner) ? i : null;
  }

  @Override
  public Future<Boolean> again(String node, long itemId, long delayMs, boolean checked) {
    Item i = held(node, itemId);
    if (i == null) {
      return Future.succeededFuture(false);
    }
    i.owner = null;
    i.nextAt = clock.nowMs() + delayMs;
    if (checked) {
      i.checkedAt.add(clock.nowMs());
    }
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Boolean> gone(String node, long itemId) {
    Item i = held(node, itemId);
    if (i == null) {
      return Future.succeededFuture(false);
    }
    i.owner = null;
    i.nextAt = null;
    i.gone = true;
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Lost> lost(String node, long itemId) {
    Item i = held(node, itemId);
    if (i == null) {
      return Future.succeededFuture(null);
    }
    i.status = "REAUTH_REQUIRED";
    i.owner = null;
    i.nextAt = null;
    Lost l = new Lost(itemId, "job", "acct-" + itemId, 1000 + itemId, 2L, "Salesforce",
        "https://onboard.example.com/connect/fresh-" + itemId, "2030-01-01T00:00:00Z", false, new JsonObject());
    lost.add(l);
    return Future.succeededFuture(l);
  }

  @Override
  public Future<Long> nextDueInMs() {
    return Future.succeededFuture(items.values().stream().filter(i -> i.status.equals("AUTHENTICATED")
        && i.nextAt != null).mapToLong(i -> Math.max(0, i.nextAt - clock.nowMs())).min().stream().boxed()
        .findFirst().orElse(null));
  }
}
