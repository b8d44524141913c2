package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns jobs and items: validates and persists submissions, pulls PENDING items from the store only
 * while there is room in flight (pull = back-pressure), sends each to the gateway, records outcomes
 * in batches, publishes events, and finishes jobs. Resumes unfinished jobs at start. One instance.
 */
public final class JobVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(JobVerticle.class);
  private static final int MAX_CLAIM = 256;
  private static final int FLUSH_AT = 64;
  private static final long FLUSH_DELAY_MS = 10;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true)
      .setSendTimeout(TimeUnit.DAYS.toMillis(7));

  private final Settings settings;
  private final JobStore store;
  private final JobRequestValidator validator;
  private final int maxInFlight;
  private final Map<String, ActiveJob> active = new LinkedHashMap<>();
  private final List<ItemOutcome> buffer = new ArrayList<>();
  private Metrics metrics;
  private EventBus bus;
  private long pendingTotal;
  private int inFlightTotal;
  private boolean claiming;
  private boolean flushing;
  private long flushTimer = -1;
  private boolean ready;
  private boolean draining;
  private Promise<Void> drained;

  public JobVerticle(Settings settings, JobStore store) {
    this.settings = settings;
    this.store = store;
    this.validator = new JobRequestValidator(settings.maxItemsPerJob());
    // Three times the gateway's concurrency keeps every request slot busy while items wait for their
    // next call and outcomes are recorded; memory stays bounded by the window, not the job size.
    this.maxInFlight = Math.max(8, settings.maxConcurrency() * 3);
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    metrics = Metrics.current();
    // Read on the scrape thread: plain fields, a slightly stale value is fine for a gauge.
    metrics.gauge("onboarder.items.pending", "Items waiting to be dispatched, all jobs", () -> pendingTotal);
    metrics.gauge("onboarder.items.inflight", "Items being onboarded at Cyclr now", () -> inFlightTotal);
    metrics.gauge("onboarder.jobs.active", "Jobs not finished", active::size);
    List<MessageConsumer<?>> consumers = List.of(
        bus.<Object>consumer(Addresses.JOBS_SUBMIT, this::submit),
        bus.<Object>consumer(Addresses.JOBS_GET, guarded(msg -> reply(msg, summary(id(msg))))),
        bus.<Object>consumer(Addresses.JOBS_LIST, guarded(this::list)),
        bus.<Object>consumer(Addresses.JOBS_ITEMS, guarded(this::items)),
        bus.<Object>consumer(Addresses.JOBS_CANCEL, guarded(msg -> reply(msg, cancel(id(msg))))),
        bus.<Object>consumer(Addresses.JOBS_RETRY, guarded(msg -> reply(msg, retry(id(msg))))),
        bus.<JsonObject>localConsumer(Addresses.JOBS_READY,
            msg -> msg.reply(new JsonObject().put("ready", ready && !draining))),
        bus.<JsonObject>localConsumer(Addresses.JOBS_DRAIN, this::drain));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> resume())
        .onSuccess(v -> ready = true);
  }

  /** Crash recovery: items a dead process left RUNNING are PENDING again; they are checked at Cyclr first. */
  private Future<Void> resume() {
    return store.requeueRunning()
        .compose(requeued -> {
          if (requeued > 0) {
            log.info("recovered {} item(s) that were in flight when the service stopped; they will be checked "
                + "at Cyclr before anything is installed", requeued);
          }
          return store.unfinishedJobs();
        })
        .compose(jobs -> {
          Future<Void> chain = Future.succeededFuture();
          for (JobRecord job : jobs) {
            chain = chain.compose(v -> store.counts(job.id()).map(counts -> {
              activate(job, counts);
              return null;
            }));
          }
          return chain.onSuccess(v -> {
            if (!jobs.isEmpty()) {
              log.info("resuming {} unfinished job(s)", jobs.size());
            }
            // A job cancelled before the restart lets nothing new start: items requeued by the
            // crash recovery are cancelled too.
            List<Future<?>> cancels = new ArrayList<>();
            for (ActiveJob a : new ArrayList<>(active.values())) {
              if (a.cancelRequested && a.count(ItemStatus.PENDING) > 0) {
                cancels.add(cancelPending(a, false));
              }
            }
            Future.join(cancels).onComplete(x -> {
              pump();
              // Jobs whose items all finished before a crash only need their final status.
              new ArrayList<>(active.values()).forEach(this::maybeFinish);
            });
          });
        });
  }

  private void activate(JobRecord job, Map<ItemStatus, Long> counts) {
    ActiveJob a = new ActiveJob(job, counts);
    a.cancelRequested = job.cancelRequested();
    active.put(job.id(), a);
    pendingTotal += a.count(ItemStatus.PENDING);
  }

  // ---- intake ------------------------------------------------------------------------------

  private void submit(Message<Object> msg) {
    Object body = msg.body();
    String key = msg.headers().get("Idempotency-Key");
    if (body instanceof JsonObject json && json.getValue("idempotencyKey") != null) {
      if (!(json.getValue("idempotencyKey") instanceof String k) || k.isBlank() || k.length() > 200) {
        fail(msg, Problem.badRequest("idempotencyKey must be a non-empty string of at most 200 characters"));
        return;
      }
      key = k;
      json = json.copy();
      json.remove("idempotencyKey");
      body = json;
    }
    if (draining || !ready) {
      fail(msg, Problem.busy(draining ? "The service is shutting down; submit again shortly."
          : "The service is starting; submit again shortly.", 5));
      return;
    }
    // Validating (and, in the store, encrypting) 100,000 items takes a while: off the event loop.
    Object toValidate = body;
    String idempotencyKey = key;
    vertx.executeBlocking(() -> validator.validate(toValidate), false)
        .onComplete(ar -> {
          if (ar.failed()) {
            fail(msg, ar.cause());
          } else {
            accept(msg, ar.result(), idempotencyKey);
          }
        });
  }

  private void accept(Message<Object> msg, JobRequest request, String key) {
    if (draining) {
      fail(msg, Problem.busy("The service is shutting down; submit again shortly.", 5));
      return;
    }
    int n = request.items().size();
    if (pendingTotal + n > settings.maxPendingItems()) {
      fail(msg, Problem.busy("Too many items are waiting (" + pendingTotal + " pending, limit "
          + settings.maxPendingItems() + "); try again later.", 30));
      return;
    }
    // Reserve room now: concurrent submissions must not overshoot the bound while this one commits.
    pendingTotal += n;
    store.create(request, key).onComplete(ar -> {
      pendingTotal -= n;
      if (ar.failed()) {
        fail(msg, ar.cause());
        return;
      }
      JobStore.Created created = ar.result();
      if (!created.existing()) {
        JobRecord job = created.job();
        activate(job, Map.of(ItemStatus.PENDING, (long) n));
        metrics.job(JobStatus.PENDING.name());
        JsonObject summary = summaryOf(active.get(job.id()));
        bus.publish(Addresses.EVENTS_JOB, summary);
        msg.reply(summary, new DeliveryOptions().addHeader("created", "true"));
        log.info("job {} accepted: {} item(s)", job.id(), n);
        pump();
      } else {
        summary(created.job().id()).onComplete(s -> {
          if (s.succeeded()) {
            msg.reply(s.result(), new DeliveryOptions().addHeader("created", "false"));
          } else {
            fail(msg, s.cause());
          }
        });
      }
    });
  }

  // ---- dispatch ----------------------------------------------------------------------------

  /** Claims more items while there is room in flight; one claim at a time, round-robin over jobs. */
  private void pump() {
    if (claiming || draining) {
      return;
    }
    int room = maxInFlight - inFlightTotal;
    // Claim in batches: wait until a quarter of the window is free (unless nothing is in flight).
    if (room <= 0 || (inFlightTotal > 0 && room < Math.max(1, maxInFlight / 4))) {
      return;
    }
    ActiveJob job = nextDispatchable();
    if (job == null) {
      return;
    }
    claiming = true;
    store.claim(job.id(), Math.min(room, MAX_CLAIM), job.recoveredOnly()).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        log.error("could not claim items of job {}; retrying in 1 s", job.id(), ar.cause());
        vertx.setTimer(1000, t -> pump());
        return;
      }
      List<ClaimedItem> items = ar.result();
      if (items.isEmpty() && job.recoveredOnly()) {
        // Cancelled or stopped: whatever is still PENDING was not in flight, so it is cancelled.
        cancelPending(job, false).onComplete(x -> {
          // Nothing recovered is left and the rest is cancelled: no PENDING item remains.
          pendingTotal -= job.count(ItemStatus.PENDING);
          job.counts.put(ItemStatus.PENDING, 0L);
          maybeFinish(job);
        });
      } else if (items.isEmpty()) {
        pendingTotal -= job.count(ItemStatus.PENDING);
        job.counts.put(ItemStatus.PENDING, 0L);
        maybeFinish(job);
      } else {
        if (job.status == JobStatus.PENDING) {
          setStatus(job, JobStatus.RUNNING);
        }
        for (ClaimedItem item : items) {
          dispatch(job, item);
        }
      }
      pump();
    });
  }

  private ActiveJob nextDispatchable() {
    for (Map.Entry<String, ActiveJob> e : active.entrySet()) {
      if (e.getValue().dispatchable()) {
        // Rotate: the job served now goes to the back, so big jobs do not starve small ones.
        ActiveJob job = active.remove(e.getKey());
        active.put(job.id(), job);
        return job;
      }
    }
    return null;
  }

  private void dispatch(ActiveJob job, ClaimedItem item) {
    job.add(ItemStatus.PENDING, -1);
    job.add(ItemStatus.RUNNING, 1);
    pendingTotal--;
    publishItem(item.jobId(), item.id(), item.account(), null, ItemStatus.RUNNING, null);
    if (item.authUnreadable()) {
      buffer.add(ItemOutcome.failed(item, "AUTH_VALUE_UNREADABLE", "The stored auth value cannot be decrypted: "
          + "STORE_SECRET_KEY (or the key file beside the database) changed since the job was accepted. "
          + "Submit the item again."));
      scheduleFlush();
      return;
    }
    job.inFlight++;
    inFlightTotal++;
    bus.<JsonObject>request(Addresses.GATEWAY_ONBOARD, gatewayRequest(job.record.spec(), item), TO_GATEWAY)
        .onComplete(ar -> {
          job.inFlight--;
          inFlightTotal--;
          ItemOutcome outcome;
          if (ar.succeeded()) {
            outcome = outcome(item, ar.result().body());
          } else {
            log.warn("gateway did not take item {}: {}", item.id(), ar.cause().getMessage());
            outcome = ItemOutcome.handBack(item);
          }
          buffer.add(outcome);
          scheduleFlush();
          checkDrained();
          pump();
        });
  }

  private static JsonObject gatewayRequest(JsonObject spec, ClaimedItem item) {
    JsonObject itemSpec = item.spec() == null ? new JsonObject() : item.spec();
    JsonObject oauth = spec.getJsonObject("oauth", new JsonObject());
    JsonObject options = spec.getJsonObject("options", new JsonObject());
    return new JsonObject()
        .put("itemId", item.id())
        .put("account", item.account())
        .put("authValue", item.authValue())
        .put("properties", itemSpec.getJsonArray("properties"))
        .put("connector", itemSpec.getJsonObject("connector", spec.getJsonObject("connector")))
        .put("installName", itemSpec.getString("installName", spec.getString("installName")))
        .put("description", spec.getString("description"))
        .put("targetOrigin", oauth.getString("targetOrigin"))
        .put("callbackMessage", oauth.getString("callbackMessage"))
        .put("username", oauth.getString("username"))
        .put("createAccounts", options.getBoolean("createAccounts", false))
        .put("dryRun", options.getBoolean("dryRun", false));
  }

  private static ItemOutcome outcome(ClaimedItem item, JsonObject r) {
    ItemStatus status = ItemStatus.parse(r.getString("status"));
    if (status == ItemStatus.PENDING && r.getBoolean("recovered", false)) {
      return ItemOutcome.handBackRecovered(item);
    }
    if (status == null || !ItemStatus.RUNNING.canMoveTo(status)) {
      return ItemOutcome.failed(item, "INTERNAL", "gateway replied with status " + r.getString("status"));
    }
    return new ItemOutcome(item.id(), item.jobId(), item.account(), status, r.getLong("connectorId"),
        r.getString("connectorName"), r.getLong("accountConnectorId"), r.getString("oauthUrl"),
        r.getString("oauthExpiresAt"), r.getJsonObject("error"), false);
  }

  // ---- recording ---------------------------------------------------------------------------

  private void scheduleFlush() {
    if (buffer.size() >= FLUSH_AT || draining) {
      flush();
    } else if (flushTimer < 0) {
      flushTimer = vertx.setTimer(FLUSH_DELAY_MS, t -> {
        flushTimer = -1;
        flush();
      });
    }
  }

  private void flush() {
    if (flushing || buffer.isEmpty()) {
      return;
    }
    flushing = true;
    List<ItemOutcome> batch = new ArrayList<>(buffer);
    buffer.clear();
    store.record(batch).onComplete(ar -> {
      flushing = false;
      if (ar.failed()) {
        log.error("could not record {} outcome(s); retrying", batch.size(), ar.cause());
        buffer.addAll(0, batch);
        vertx.setTimer(500, t -> flush());
        return;
      }
      Set<ActiveJob> touched = new HashSet<>();
      for (ItemOutcome o : batch) {
        ActiveJob job = active.get(o.jobId());
        if (job != null) {
          job.add(ItemStatus.RUNNING, -1);
          job.add(o.status(), 1);
          touched.add(job);
        }
        if (o.status() == ItemStatus.PENDING) {
          pendingTotal++; // handed back untried (shutdown): it will run again
        }
        publishItem(o.jobId(), o.itemId(), o.account(), o.connectorId(), o.status(), o.error());
        if (o.status() == ItemStatus.OAUTH_PENDING && o.oauthUrl() != null) {
          bus.publish(Addresses.EVENTS_OAUTH, new JsonObject()
              .put("jobId", o.jobId())
              .put("itemId", String.valueOf(o.itemId()))
              .put("account", o.account())
              .put("connectorId", o.connectorId())
              .put("connectorName", o.connectorName())
              .put("accountConnectorId", o.accountConnectorId())
              .put("url", o.oauthUrl())
              .put("expiresAt", o.oauthExpiresAt()));
        }
      }
      for (ActiveJob job : touched) {
        applyFailurePolicy(job);
        maybeFinish(job);
      }
      if (!buffer.isEmpty()) {
        scheduleFlush();
      }
      checkDrained();
      pump();
    });
  }

  private void publishItem(String jobId, long itemId, String account, Long connectorId, ItemStatus status,
                           JsonObject error) {
    metrics.item(status.name());
    bus.publish(Addresses.EVENTS_ITEM, new JsonObject()
        .put("jobId", jobId)
        .put("itemId", String.valueOf(itemId))
        .put("account", account)
        .put("connectorId", connectorId)
        .put("status", status.name())
        .put("error", error));
  }

  /** Once the share of failed items exceeds the tolerance, stop dispatching and cancel what is left. */
  private void applyFailurePolicy(ActiveJob job) {
    if (job.stoppedByPolicy || job.cancelRequested || job.finishing != null) {
      return;
    }
    double tolerated = job.toleratedFailurePercent;
    if (tolerated >= 100 || job.count(ItemStatus.FAILED) * 100.0 / job.record.total() <= tolerated) {
      return;
    }
    job.stoppedByPolicy = true;
    log.warn("job {}: {} of {} items failed, above the tolerated {} %; cancelling the rest", job.id(),
        job.count(ItemStatus.FAILED), job.record.total(), tolerated);
    cancelPending(job, false).onComplete(ar -> maybeFinish(job));
  }

  private Future<Integer> cancelPending(ActiveJob job, boolean requested) {
    job.cancelling = true;
    return store.cancelPending(job.id(), requested).eventually(() -> {
      job.cancelling = false;
      return Future.succeededFuture();
    }).map(changed -> {
      pendingTotal -= changed.size();
      job.add(ItemStatus.PENDING, -changed.size());
      job.add(ItemStatus.CANCELLED, changed.size());
      for (JobStore.Changed c : changed) {
        publishItem(job.id(), c.itemId(), c.account(), null, ItemStatus.CANCELLED, null);
      }
      pump(); // recovered items, if any, still need finishing
      return changed.size();
    });
  }

  private void maybeFinish(ActiveJob job) {
    if (job.finishing != null || job.retrying > 0 || !job.idle() || draining) {
      return;
    }
    if (job.count(ItemStatus.PENDING) == 0 && buffer.stream().anyMatch(o -> o.jobId().equals(job.id()))) {
      return;
    }
    JobStatus status = job.finalStatus();
    String finishedAt = Instant.now().toString();
    job.finishing = store.setJobStatus(job.id(), status, finishedAt).onComplete(ar -> {
      if (ar.failed()) {
        log.error("could not finish job {}; trying again in 1 s", job.id(), ar.cause());
        job.finishing = null;
        vertx.setTimer(1000, t -> maybeFinish(job));
        return;
      }
      job.status = status;
      active.remove(job.id());
      metrics.job(status.name());
      log.info("job {} finished: {} {}", job.id(), status, job.counts);
      bus.publish(Addresses.EVENTS_JOB, JobSummaries.of(job.record, status, finishedAt, job.counts));
    });
  }

  /** A status change of a job still running (finishing goes through maybeFinish). */
  private void setStatus(ActiveJob job, JobStatus status) {
    job.status = status;
    metrics.job(status.name());
    store.setJobStatus(job.id(), status, null)
        .onFailure(err -> log.error("could not set job {} to {}", job.id(), status, err));
    bus.publish(Addresses.EVENTS_JOB, summaryOf(job));
  }

  // ---- queries and control -----------------------------------------------------------------

  private static String id(Message<JsonObject> msg) {
    Object id = msg.body().getValue("id");
    if (!(id instanceof String s) || s.isBlank()) {
      throw Problem.badRequest("\"id\" must be a job id (a string)");
    }
    return s;
  }

  /** Public addresses answer bad input with a 400 failure instead of leaving the caller waiting. */
  @SuppressWarnings("unchecked")
  private static io.vertx.core.Handler<Message<Object>> guarded(io.vertx.core.Handler<Message<JsonObject>> h) {
    return msg -> {
      if (!(msg.body() instanceof JsonObject)) {
        fail(msg, Problem.badRequest("The message body must be a JSON object."));
        return;
      }
      try {
        h.handle((Message<JsonObject>) (Message<?>) msg);
      } catch (Problem p) {
        fail(msg, p);
      } catch (ClassCastException | NullPointerException e) {
        fail(msg, Problem.badRequest("The message has a field of the wrong type."));
      }
    };
  }

  private JsonObject summaryOf(ActiveJob job) {
    return JobSummaries.of(job.record, job.status, null, job.counts);
  }

  private Future<JsonObject> summary(String id) {
    if (id == null) {
      return Future.failedFuture(Problem.badRequest("id is required"));
    }
    ActiveJob job = active.get(id);
    if (job != null && job.finishing == null) {
      return Future.succeededFuture(summaryOf(job));
    }
    return storedJob(id).compose(rec -> store.counts(id)
        .map(counts -> JobSummaries.of(rec, rec.status(), rec.finishedAt(), counts)));
  }

  /** The job as stored, once a finish in progress has been written; a 404 problem if there is none. */
  private Future<JobRecord> storedJob(String id) {
    ActiveJob job = id == null ? null : active.get(id);
    Future<Void> settled = job != null && job.finishing != null
        ? job.finishing.transform(x -> Future.succeededFuture()) : Future.succeededFuture();
    return settled.compose(v -> store.job(id)).compose(rec -> rec == null
        ? Future.failedFuture(Problem.notFound("No job with id '" + id + "'.")) : Future.succeededFuture(rec));
  }

  private static <T> Future<T> nothingToRetry(String id) {
    return Future.failedFuture(Problem.conflict("Job '" + id + "' has no FAILED items to retry."));
  }

  private void list(Message<JsonObject> msg) {
    int limit = Math.max(1, Math.min(200, msg.body().getInteger("limit", 20)));
    reply(msg, store.recentJobs(limit).compose(jobs -> {
      List<Future<JsonObject>> summaries = jobs.stream().map(j -> summary(j.id())).toList();
      return Future.all(summaries).map(all -> new JsonObject().put("jobs",
          new JsonArray(summaries.stream().map(Future::result).toList())));
    }));
  }

  private void items(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    String id = id(msg);
    ItemStatus status = q.getString("status") == null ? null : ItemStatus.parse(q.getString("status"));
    if (q.getString("status") != null && status == null) {
      fail(msg, Problem.badRequest("status must be one of PENDING, RUNNING, INSTALLED, ALREADY_INSTALLED, "
          + "OAUTH_PENDING, FAILED, CANCELLED"));
      return;
    }
    int limit = Math.max(1, Math.min(1000, q.getInteger("limit", 100)));
    reply(msg, storedJob(id).compose(job -> store.items(id, status, limit, q.getString("cursor"))
        .map(page -> new JsonObject().put("items", page.items()).put("next", page.next()))));
  }

  private Future<JsonObject> cancel(String id) {
    ActiveJob job = id == null ? null : active.get(id);
    if (job == null || job.finishing != null) {
      return summary(id).compose(s -> Future.failedFuture(Problem.conflict("Job '" + id + "' already finished "
          + "with status " + s.getString("status") + "; there is nothing to cancel.")));
    }
    job.cancelRequested = true;
    return cancelPending(job, true).map(n -> {
      log.info("job {}: cancelled {} pending item(s); {} in flight will finish", id, n, job.inFlight);
      maybeFinish(job);
      return summaryOf(job);
    });
  }

  private Future<JsonObject> retry(String id) {
    if (draining) {
      return Future.failedFuture(Problem.busy("The service is shutting down; retry again shortly.", 5));
    }
    ActiveJob job = id == null ? null : active.get(id);
    if (job != null && job.finishing == null) {
      if (job.cancelRequested) {
        return Future.failedFuture(Problem.conflict("Job '" + id + "' is being cancelled."));
      }
      if (job.stoppedByPolicy) {
        return Future.failedFuture(Problem.conflict("Job '" + id + "' is stopping: too many items failed "
            + "(options.toleratedFailurePercent). Retry it once it has finished."));
      }
      // While the retry is being written, the job must not finish under it.
      job.retrying++;
      return store.retryFailed(id).eventually(() -> {
        job.retrying--;
        maybeFinish(job);
        return Future.succeededFuture();
      }).compose(changed -> {
        int n = changed.size();
        if (n == 0) {
          return nothingToRetry(id);
        }
        job.add(ItemStatus.FAILED, -n);
        job.add(ItemStatus.PENDING, n);
        pendingTotal += n;
        changed.forEach(c -> publishItem(id, c.itemId(), c.account(), null, ItemStatus.PENDING, null));
        pump();
        return Future.succeededFuture(summaryOf(job));
      });
    }
    // A finished job (or one finishing now): re-open it if it has failed items.
    return storedJob(id).compose(rec -> {
      if (active.containsKey(id) && active.get(id).finishing == null) {
        return retry(id); // re-activated by a concurrent retry
      }
      return store.retryFailed(id).compose(changed -> {
        int n = changed.size();
        if (n == 0) {
          return nothingToRetry(id);
        }
        // retryFailed re-opened the job (RUNNING, not finished) in the same transaction.
        return store.counts(id)
            .map(counts -> {
              JobRecord reopened = new JobRecord(rec.id(), JobStatus.RUNNING, rec.createdAt(), null, rec.total(),
                  rec.spec(), false);
              changed.forEach(c -> publishItem(id, c.itemId(), c.account(), null, ItemStatus.PENDING, null));
              activate(reopened, counts);
              ActiveJob a = active.get(id);
              metrics.job(JobStatus.RUNNING.name());
              bus.publish(Addresses.EVENTS_JOB, summaryOf(a));
              log.info("job {}: retrying {} failed item(s)", id, n);
              pump();
              return summaryOf(a);
            });
      });
    });
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /** Stops claiming, lets in-flight items finish within the grace period, flushes, then replies. */
  private void drain(Message<JsonObject> msg) {
    long graceMs = msg.body() == null ? settings.shutdownGraceMs() : msg.body().getLong("graceMs",
        settings.shutdownGraceMs());
    draining = true;
    if (drained == null) {
      drained = Promise.promise();
      log.info("draining: {} item(s) in flight, up to {} ms", inFlightTotal, graceMs);
      // Requests not yet sent to Cyclr come back untried (PENDING); requests on the wire may finish.
      bus.request(Addresses.GATEWAY_DRAIN, new JsonObject());
      long timer = vertx.setTimer(Math.max(1, graceMs), t -> {
        // Out of time: what is still RUNNING is checked at Cyclr on the next start.
        log.warn("drain grace period over with {} item(s) still in flight", inFlightTotal);
        flushAndComplete();
      });
      drained.future().onComplete(x -> vertx.cancelTimer(timer));
      checkDrained();
    }
    drained.future().onComplete(x -> msg.reply(new JsonObject().put("inFlight", inFlightTotal)));
  }

  private void checkDrained() {
    if (draining && drained != null && inFlightTotal == 0 && !drained.future().isComplete()) {
      flushAndComplete();
    }
  }

  private void flushAndComplete() {
    if (flushTimer >= 0) {
      vertx.cancelTimer(flushTimer);
      flushTimer = -1;
    }
    Future<Void> done = buffer.isEmpty() && !flushing ? Future.succeededFuture() : flushAll();
    done.onComplete(x -> drained.tryComplete());
  }

  private Future<Void> flushAll() {
    if (flushing) {
      return vertx.timer(5).compose(x -> flushAll());
    }
    if (buffer.isEmpty()) {
      return Future.succeededFuture();
    }
    List<ItemOutcome> batch = new ArrayList<>(buffer);
    buffer.clear();
    return store.record(batch);
  }

  // ---- replies -----------------------------------------------------------------------------

  private static void reply(Message<?> msg, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        fail(msg, ar.cause());
      }
    });
  }

  private static void fail(Message<?> msg, Throwable err) {
    if (err instanceof Problem p) {
      msg.fail(p.status(), p.toJson().encode());
    } else {
      log.error("request on {} failed", msg.address(), err);
      msg.fail(500, Problem.of(500, "internal", "Internal error", "The request could not be completed; "
          + "it was not accepted.").toJson().encode());
    }
  }
}
