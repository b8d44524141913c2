package io.onboarder.signin;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.NodeState;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: notices tenants signing in. Claims OAUTH_PENDING items whose next poll is due (leased in
 * the store, so each is polled by one node at a time, and a dead node's claims come due again), asks
 * Cyclr through this node's gateway whether the account connector is {@code Authenticated}, and either
 * records AUTHENTICATED (publishing the item event) or schedules the next poll with backoff. It keeps at
 * most a quarter of the gateway's concurrency busy, so install work keeps the rest; its calls share the
 * gateway's rate limit. Nothing here is remembered across restarts but what the store holds.
 */
public final class SignInWatch extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SignInWatch.class);
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.MINUTES.toMillis(10));

  private final SignInStore store;
  private final NodeState node;
  private final SignInPolicy policy;
  private final WatchSchedule schedule;
  private final String nodeId = UUID.randomUUID().toString();
  private final int maxInFlight;
  private final long leaseMs;
  /** Longest sleep between looks at the store while nothing is due (new watches start at least this far out). */
  private final long idleMs;
  private int inFlight;
  private boolean claiming;
  private long timer = -1;
  private long timerDue;
  private long storeErrorLoggedAt;
  private long expiredAt;

  public SignInWatch(Settings settings, SignInStore store, NodeState node) {
    this.store = store;
    this.node = node;
    this.policy = store.policy();
    this.schedule = policy.schedule();
    this.maxInFlight = Math.max(1, settings.maxConcurrency() / 4);
    // A claim outlives a poll's worst case (every attempt timing out) so two nodes do not poll one item at once.
    this.leaseMs = Math.max(settings.leaseMs(), settings.cyclrRequestTimeoutMs() * Math.min(3, settings.maxAttempts()));
    this.idleMs = Math.max(10, Math.min(5_000, policy.watchFirstMs()));
  }

  @Override
  public Future<?> start() {
    Metrics.current().gauge("onboarder.signins.polling", "Sign-in checks this node has at Cyclr now", () -> inFlight);
    schedule(ThreadLocalRandom.current().nextLong(Math.min(1_000, idleMs) + 1));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    cancelTimer();
    return Future.succeededFuture();
  }

  private void schedule(long delayMs) {
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
    if (timer >= 0) {
      if (timerDue <= due) {
        return;
      }
      cancelTimer();
    }
    timerDue = due;
    timer = vertx.setTimer(Math.max(1, delayMs), t -> {
      timer = -1;
      tick();
    });
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Ends expired watches, claims what is due (as much as there is room for), then sleeps until the next is due. */
  private void tick() {
    if (claiming || node.draining()) {
      return;
    }
    int room = maxInFlight - inFlight;
    if (room <= 0) {
      return; // a finished poll ticks again
    }
    claiming = true;
    // Ending expired watches is housekeeping (claims skip them anyway): every few seconds is enough.
    long now = System.nanoTime();
    Future<Integer> expired = Future.succeededFuture(0);
    if (now - expiredAt > TimeUnit.SECONDS.toNanos(5)) {
      expiredAt = now;
      expired = store.expireWatches();
    }
    expired.compose(n -> store.claimWatches(nodeId, room, leaseMs))
        .onComplete(ar -> {
          claiming = false;
          if (ar.failed()) {
            storeError(ar.cause());
            schedule(idleMs);
            return;
          }
          List<SignInStore.Watched> due = ar.result();
          due.forEach(this::poll);
          if (due.size() < room) {
            store.nextWatchDueInMs().onComplete(next -> schedule(next.succeeded() && next.result() != null
                ? Math.max(20, Math.min(idleMs, next.result())) : idleMs));
          }
        });
  }

  private void poll(SignInStore.Watched w) {
    inFlight++;
    Future<Void> done;
    if (w.accountConnectorId() == null) {
      done = store.stopWatch(w.itemId());
    } else {
      JsonObject check = new JsonObject().put("op", "check").put("account", w.account())
          .put("accountConnectorId", w.accountConnectorId());
      done = vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_SIGNIN, check, TO_GATEWAY).compose(reply -> {
        if (node.draining()) {
          return Future.succeededFuture(); // the claim lapses; whoever runs next polls it again
        }
        JsonObject state = reply.body();
        if (!state.getBoolean("found", true)) {
          log.warn("item {}: account connector {} no longer exists at Cyclr; its sign-in is no longer watched",
              w.itemId(), w.accountConnectorId());
          return store.stopWatch(w.itemId());
        }
        if (state.getBoolean("authenticated", false)) {
          return store.markAuthenticated(w.itemId()).map(a -> {
            SignedIn.noted(a, "the sign-in watch");
            return null;
          });
        }
        long next = schedule.after(w.intervalMs());
        return store.watchAgain(nodeId, w.itemId(), next, jittered(next)).mapEmpty();
      }, err -> node.draining() ? Future.succeededFuture()
          // Cyclr did not answer: try again at the same pace, without backing off further.
          : store.watchAgain(nodeId, w.itemId(), w.intervalMs(), jittered(w.intervalMs())).mapEmpty());
    }
    done.onComplete(ar -> {
      inFlight--;
      if (ar.failed()) {
        storeError(ar.cause());
      }
      schedule(0);
    });
  }

  private static long jittered(long ms) {
    return WatchSchedule.jittered(ms, ThreadLocalRandom.current()::nextDouble);
  }

  private void storeError(Throwable err) {
    if (node.draining()) {
      return;
    }
    long now = System.currentTimeMillis();
    if (now - storeErrorLoggedAt > 10_000) {
      storeErrorLoggedAt = now;
      log.warn("sign-in watch: store operation failed: {}", err.getMessage());
    }
  }
}
