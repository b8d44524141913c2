package io.onboarder.store;

import io.onboarder.history.HistoryEntry;
import io.onboarder.history.HistoryFromEvents;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobStatus;
import io.onboarder.webhook.WebhookTypes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The events of one transaction: collected while it changes statuses, then written before it commits
 * (event-log rows numbered per job, and webhook outbox rows for the types {@code WEBHOOK_EVENTS} asks
 * for). Numbers come from {@code jobs.event_seq} under the job's row lock, so a job's events commit in
 * the order they are numbered, with no gaps, on any node. Callers lock the jobs they will touch
 * first ({@link #lock}), before any item row: one lock order everywhere, no deadlocks. The account-history
 * entries of the events ({@link HistoryFromEvents}) are inserted with them.
 */
final class EventWriter {
  private record Pending(String jobId, JobEvent.Kind kind, JsonObject body, String webhookType, JsonObject data) {}

  private final SqlDialect dialect;
  private final Set<String> outboxTypes;
  /** Locked jobs: last number used, and owner (deliveries are visible to the job's caller). */
  private final Map<String, Long> seq = new HashMap<>();
  private final Map<String, String> owner = new HashMap<>();
  private final List<Pending> pending = new ArrayList<>();
  private List<JobEvent> written = List.of();

  private final Database db;

  EventWriter(Database db, SqlDialect dialect, Set<String> outboxTypes) {
    this.db = db;
    this.dialect = dialect;
    this.outboxTypes = outboxTypes;
  }

  /** Locks these jobs' rows (sorted, so every transaction takes them in one order); unknown ids are skipped. */
  Future<Void> lock(SqlConnection conn, Collection<String> jobIds) {
    Future<Void> chain = Future.succeededFuture();
    for (String id : new TreeSet<>(jobIds)) {
      if (!seq.containsKey(id)) {
        chain = chain.compose(v -> conn.preparedQuery(dialect.sql(SqlQueries.LOCK_JOB_EVENTS)).execute(Tuple.of(id))
            .map(rows -> {
              if (rows.size() > 0) {
                seq.put(id, rows.iterator().next().getLong("event_seq"));
                owner.put(id, rows.iterator().next().getString("owner"));
              }
              return null;
            }));
      }
    }
    return chain;
  }

  /**
   * Locks every open job's row (PostgreSQL; in the same order as {@link #lock}), before a claim across
   * them: the claim then sees any cancel or stop that committed first, and its events can be numbered.
   */
  Future<Void> lockOpen(SqlConnection conn) {
    return conn.preparedQuery(dialect.sql(SqlQueries.LOCK_OPEN_JOBS)).execute().map(rows -> {
      rows.forEach(r -> {
        seq.put(r.getString("id"), r.getLong("event_seq"));
        owner.put(r.getString("id"), r.getString("owner"));
      });
      return null;
    });
  }

  /**
   * An item event ({@code body} as on {@code onboarder.events.item}); {@code view} is the item as
   * {@code GET …/items} shows it, the data of its webhook if its status has one (may be null otherwise).
   */
  void item(String jobId, JsonObject body, JsonObject view) {
    String type = WebhookTypes.forItemStatus(body.getString("status"));
    pending.add(new Pending(jobId, JobEvent.Kind.ITEM, body, type,
        view == null ? null : view.copy().put("jobId", jobId)));
  }

  /**
   * An account event ({@code body} as on {@code onboarder.events.account}); {@code view} is the account as
   * {@code GET …/accounts} shows it, the data of its webhook if its status has one (WebhookTypes).
   */
  void account(String jobId, JsonObject body, JsonObject view) {
    String type = WebhookTypes.forAccountStatus(body.getString("status"));
    pending.add(new Pending(jobId, JobEvent.Kind.ACCOUNT, body, type,
        view == null ? null : view.copy().put("jobId", jobId)));
  }

  void oauth(String jobId, JsonObject body) {
    pending.add(new Pending(jobId, JobEvent.Kind.OAUTH, body, null, null));
  }

  /** A sign-in reminder: an oauth event ({@code body} with {@code reminder}) and its webhook, {@code data}. */
  void reminder(String jobId, JsonObject body, JsonObject data) {
    pending.add(new Pending(jobId, JobEvent.Kind.OAUTH, body, WebhookTypes.forReminder(),
        data == null ? null : data.copy().put("jobId", jobId)));
  }

  /** Whether a reminder goes into the outbox (so its item view is worth reading). */
  boolean sendsReminders() {
    return outboxTypes.contains(WebhookTypes.forReminder());
  }

  /** A job event: its summary, which is also the data of {@code job.finished}. */
  void job(String jobId, JsonObject summary) {
    String type = WebhookTypes.forJobStatus(JobStatus.valueOf(summary.getString("status")));
    pending.add(new Pending(jobId, JobEvent.Kind.JOB, summary, type, summary));
  }

  /** Whether an item reaching {@code status} goes into the outbox (so its item view is worth reading). */
  boolean sendsWebhook(String status) {
    String type = WebhookTypes.forItemStatus(status);
    return type != null && outboxTypes.contains(type);
  }

  /** The events written, once the transaction committed. */
  List<JobEvent> written() {
    return written;
  }

  /** Numbers and inserts the events, and the outbox rows; call last in the transaction. */
  Future<Void> write(SqlConnection conn) {
    if (pending.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> unlocked = pending.stream().map(Pending::jobId).filter(id -> !seq.containsKey(id)).toList();
    return lock(conn, unlocked).compose(v -> {
      String now = Instant.now().toString();
      List<JobEvent> events = new ArrayList<>(pending.size());
      List<Tuple> eventRows = new ArrayList<>(pending.size());
      List<Tuple> deliveryRows = new ArrayList<>();
      List<HistoryEntry> history = new ArrayList<>();
      for (Pending p : pending) {
        Long last = seq.get(p.jobId());
        if (last == null) {
          continue; // the job does not exist: nothing changed for it either
        }
        long n = last + 1;
        seq.put(p.jobId(), n);
        events.add(new JobEvent(p.jobId(), n, p.kind(), p.body()));
        eventRows.add(Tuple.of(p.jobId(), n, p.kind().wire, p.body().encode(), now));
        history.addAll(HistoryFromEvents.of(p.kind(), p.jobId(), owner.get(p.jobId()), p.body(), now));
        if (p.webhookType() != null && p.data() != null && outboxTypes.contains(p.webhookType())) {
          JsonObject payload = new JsonObject().put("type", p.webhookType()).put("timestamp", now)
              .put("data", p.data());
          deliveryRows.add(Tuple.of("msg_" + UUID.randomUUID().toString().replace("-", ""), p.webhookType(),
              p.jobId(), owner.get(p.jobId()), payload.encode(), now));
        }
      }
      if (events.isEmpty()) {
        return Future.succeededFuture();
      }
      List<Tuple> seqRows = new ArrayList<>();
      events.stream().map(JobEvent::jobId).distinct().forEach(id -> seqRows.add(Tuple.of(seq.get(id), id)));
      Future<?> done = conn.preparedQuery(dialect.sql(SqlQueries.INSERT_EVENT)).executeBatch(eventRows)
          .compose(x -> conn.preparedQuery(dialect.sql(SqlQueries.ADVANCE_EVENT_SEQ)).executeBatch(seqRows));
      if (!deliveryRows.isEmpty()) {
        done = done.compose(x -> conn.preparedQuery(dialect.sql(OutboxSql.INSERT_DELIVERY)).executeBatch(deliveryRows));
      }
      done = done.compose(x -> SqlAccountHistory.insert(db, conn, history));
      return done.map(x -> {
        written = events;
        return (Void) null;
      });
    });
  }
}
