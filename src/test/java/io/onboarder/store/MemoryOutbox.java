package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The webhook outbox of a {@link MemoryStores}, with the rules of {@code SqlWebhookOutbox}: rows are
 * written with the events they carry (by the store's transaction); each delivery is leased to one sender
 * at a time and only the holder settles it; the lease, the due time and the retry window run on the
 * store's clock.
 */
final class MemoryOutbox implements WebhookOutbox {

  /** A row of the webhook_deliveries table. */
  static final class MDelivery {
    final long seq;
    final String id;
    final String type;
    final String jobId;
    final String owner;
    final String payload;
    final String createdAt;
    String status = "PENDING";
    int attempts;
    long windowStartMs;
    long nextAttemptMs;
    String leaseOwner;
    Long leaseUntil;
    String lastAttemptAt;
    Integer lastHttpStatus;
    String lastError;
    String finishedAt;

    MDelivery(long seq, String type, String jobId, String owner, String payload, String createdAt, long nowMs) {
      this.seq = seq;
      this.id = "msg_" + UUID.randomUUID().toString().replace("-", "");
      this.type = type;
      this.jobId = jobId;
      this.owner = owner;
      this.payload = payload;
      this.createdAt = createdAt;
      this.windowStartMs = nowMs;
      this.nextAttemptMs = nowMs;
    }

    /** As the API shows it: never the secret nor a signature, and the payload holds no auth value. */
    JsonObject json() {
      return new JsonObject()
          .put("id", id)
          .put("type", type)
          .put("jobId", jobId)
          .put("fleet", null)
          .put("status", status)
          .put("attempts", attempts)
          .put("createdAt", createdAt)
          .put("nextAttemptAt", "PENDING".equals(status) ? Instant.ofEpochMilli(nextAttemptMs).toString() : null)
          .put("lastAttemptAt", lastAttemptAt)
          .put("lastResult", lastAttemptAt == null ? null
              : new JsonObject().put("httpStatus", lastHttpStatus).put("error", lastError))
          .put("finishedAt", finishedAt)
          .put("payload", new JsonObject(payload));
    }
  }

  private final MemoryStores store;

  MemoryOutbox(MemoryStores store) {
    this.store = store;
  }

  private long now() {
    return store.nowMs.getAsLong();
  }

  private MDelivery byId(String id) {
    return store.deliveries.values().stream().filter(d -> d.id.equals(id)).findFirst().orElse(null);
  }

  /** The delivery {@code node} holds now, or null. */
  private MDelivery held(String id, String node) {
    MDelivery d = byId(id);
    return d != null && "PENDING".equals(d.status) && node.equals(d.leaseOwner) ? d : null;
  }

  @Override
  public Future<List<Due>> claimDue(String node, int max, long leaseMs) {
    return store.tx(written -> {
      List<MDelivery> due = store.deliveries.values().stream().filter(d -> "PENDING".equals(d.status)
          && d.nextAttemptMs <= now() && (d.leaseUntil == null || d.leaseUntil < now()))
          .sorted(Comparator.comparingLong((MDelivery d) -> d.nextAttemptMs)).limit(max).toList();
      List<Due> out = new ArrayList<>(due.size());
      for (MDelivery d : due) {
        d.leaseOwner = node;
        d.leaseUntil = now() + leaseMs;
        out.add(new Due(d.id, d.type, d.payload, d.attempts));
      }
      return out;
    });
  }

  @Override
  public Future<Boolean> delivered(String id, String node, int httpStatus) {
    return store.tx(written -> {
      MDelivery d = held(id, node);
      if (d == null) {
        return false;
      }
      d.status = "DELIVERED";
      d.attempts++;
      d.lastAttemptAt = store.now();
      d.lastHttpStatus = httpStatus;
      d.lastError = null;
      d.finishedAt = store.now();
      d.leaseOwner = null;
      d.leaseUntil = null;
      return true;
    });
  }

  @Override
  public Future<String> attemptFailed(String id, String node, Integer httpStatus, String error, long retryInMs,
                                      long giveUpAfterMs) {
    return store.tx(written -> {
      MDelivery d = held(id, node);
      if (d == null) {
        return null;
      }
      boolean past = now() - d.windowStartMs >= giveUpAfterMs;
      d.attempts++;
      d.lastAttemptAt = store.now();
      d.lastHttpStatus = httpStatus;
      d.lastError = error;
      d.status = past ? "FAILED" : "PENDING";
      d.finishedAt = past ? store.now() : null;
      d.nextAttemptMs = now() + retryInMs;
      d.leaseOwner = null;
      d.leaseUntil = null;
      return d.status;
    });
  }

  @Override
  public Future<Integer> release(String node) {
    return store.tx(written -> releaseWhere(d -> node.equals(d.leaseOwner) && "PENDING".equals(d.status)));
  }

  @Override
  public Future<Integer> releaseAll() {
    return store.tx(written -> releaseWhere(d -> d.leaseOwner != null));
  }

  private int releaseWhere(java.util.function.Predicate<MDelivery> which) {
    int n = 0;
    for (MDelivery d : store.deliveries.values()) {
      if (which.test(d)) {
        d.leaseOwner = null;
        d.leaseUntil = null;
        n++;
      }
    }
    return n;
  }

  @Override
  public Future<JsonObject> delivery(String id, String owner) {
    return store.read(() -> {
      MDelivery d = byId(id);
      return d == null || (owner != null && !owner.equals(d.owner)) ? null : d.json();
    });
  }

  @Override
  public Future<Page> list(String status, String owner, int limit, String cursor) {
    long before;
    try {
      before = cursor == null || cursor.isEmpty() ? Long.MAX_VALUE : Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, "cursor is not one this service issued"));
    }
    return store.read(() -> {
      List<JsonObject> out = new ArrayList<>();
      String next = null;
      long last = 0;
      for (MDelivery d : store.deliveries.headMap(before, false).descendingMap().values()) {
        if ((status != null && !status.equals(d.status)) || (owner != null && !owner.equals(d.owner))) {
          continue;
        }
        if (out.size() == limit) {
          next = String.valueOf(last);
          break;
        }
        last = d.seq;
        out.add(d.json());
      }
      return new Page(out, next);
    });
  }

  @Override
  public Future<JsonObject> replay(String id, String owner) {
    return store.tx(written -> {
      MDelivery d = byId(id);
      if (d == null || (owner != null && !owner.equals(d.owner))) {
        return null;
      }
      d.status = "PENDING";
      d.nextAttemptMs = now();
      d.windowStartMs = now();
      d.finishedAt = null;
      return d.json();
    });
  }

  @Override
  public Future<Integer> prune(String status, String before, int max) {
    return store.tx(written -> {
      List<Long> gone = store.deliveries.values().stream().filter(d -> d.status.equals(status)
          && d.finishedAt != null && d.finishedAt.compareTo(before) < 0).limit(max).map(d -> d.seq).toList();
      gone.forEach(store.deliveries::remove);
      return gone.size();
    });
  }

  @Override
  public Future<JsonObject> counts() {
    return store.read(() -> {
      JsonObject c = new JsonObject().put("PENDING", 0L).put("DELIVERED", 0L).put("FAILED", 0L);
      store.deliveries.values().forEach(d -> c.put(d.status, c.getLong(d.status) + 1));
      return c;
    });
  }
}
