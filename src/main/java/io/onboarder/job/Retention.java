package io.onboarder.job;

import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the event log, the webhook outbox and account history from growing without end: deletes the events of
 * jobs finished more than {@link #EVENTS} ago, deliveries delivered more than {@link #DELIVERED} ago, failed ones
 * after {@link #FAILED}, and account-history entries after {@link #HISTORY} (support reads them weeks later, so
 * they outlive the events they came from). Runs on every node (the deletes are idempotent), in small batches.
 */
public final class Retention extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);
  public static final Duration EVENTS = Duration.ofDays(7);
  public static final Duration DELIVERED = Duration.ofDays(7);
  public static final Duration FAILED = Duration.ofDays(30);
  public static final Duration HISTORY = Duration.ofDays(30);
  /** A reconcile of a big fleet may add many entries a day: history is swept in bigger batches. */
  private static final int HISTORY_BATCH = 10_000;
  private static final long EVERY_MS = Duration.ofMinutes(10).toMillis();
  private static final int BATCH = 1_000;

  private final EventLog events;
  private final WebhookOutbox outbox;
  private final BiFunction<String, Integer, Future<Integer>> pruneHistory;
  private long timer;

  /** {@code pruneHistory}: deletes up to n account-history entries older than an ISO-8601 time. */
  public Retention(EventLog events, WebhookOutbox outbox, BiFunction<String, Integer, Future<Integer>> pruneHistory) {
    this.events = events;
    this.outbox = outbox;
    this.pruneHistory = pruneHistory;
  }

  @Override
  public Future<?> start() {
    // Nodes started together sweep at different moments.
    vertx.setTimer(60_000 + ThreadLocalRandom.current().nextLong(60_000), t -> sweep());
    timer = vertx.setPeriodic(EVERY_MS, t -> sweep());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  /** One sweep; public for tests. Returns the rows deleted. */
  public Future<Integer> sweep() {
    Instant now = Instant.now();
    return events.prune(now.minus(EVENTS).toString(), 100)
        .compose(pruned -> outbox.prune("DELIVERED", now.minus(DELIVERED).toString(), BATCH)
            .compose(delivered -> outbox.prune("FAILED", now.minus(FAILED).toString(), BATCH)
                .compose(failed -> pruneHistory.apply(now.minus(HISTORY).toString(), HISTORY_BATCH)
                    .map(history -> pruned + delivered + failed + history))))
        .onSuccess(n -> {
          if (n > 0) {
            log.info("retention: deleted {} old event, delivery and history row(s)", n);
          }
        })
        .onFailure(err -> log.warn("retention sweep failed: {}", err.getMessage()));
  }
}
