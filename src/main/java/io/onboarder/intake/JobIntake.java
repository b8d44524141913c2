package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvents;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobSummaries;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way in for job submissions on this node. A body streamed over HTTP (JSON, NDJSON or CSV)
 * goes from the socket into the store in batches, validated item by item, with flat memory whatever
 * its size (see {@link IntakeSession}); a job that arrives whole (an event-bus or TCP-bridge message,
 * see {@link SubmitService}) is validated and written in one transaction. Both are admitted by the
 * same {@link Admission} policy and fail with the problems it decides.
 */
public final class JobIntake {
  private static final Logger log = LoggerFactory.getLogger(JobIntake.class);
  /** A streamed job whose node stopped renewing its heartbeat this long ago is deleted by any node. */
  public static final long STALE_INTAKE_MS = 10 * 60_000;

  final Vertx vertx;
  final Settings settings;
  final IntakeStore store;
  /** For the summary of a job a submission names. */
  final JobRecords jobs;
  final Admission admission;
  final JobRequestValidator validator;
  final JobEvents events;

  public JobIntake(Vertx vertx, Settings settings, IntakeStore store, JobRecords jobs, NodeLifecycle node,
                   IntakeLimits limits) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.jobs = jobs;
    this.admission = new Admission(settings, node, limits);
    this.validator = new JobRequestValidator(settings.maxItemsPerJob());
    this.events = new JobEvents(vertx.eventBus(), Metrics.current());
  }

  /** The answer to a submission: the job summary, and whether it was created now (202) or existed (200). */
  public record Accepted(JsonObject summary, boolean created) {}

  /**
   * Takes a job from {@code body} (paused by the caller; resumed here). {@code declaredLength} is the
   * Content-Length, or -1; {@code idempotencyKey} has passed {@link Admission#idempotencyKey}. Fails with
   * a {@link Problem}; whatever was written is deleted first. The body may not have been read to its end
   * when the result fails early.
   */
  public Future<Accepted> submit(ReadStream<Buffer> body, BodyFormat format, String owner, String idempotencyKey,
                                 JsonObject queryFields, long declaredLength) {
    Problem refused = admission.refusal();
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (declaredLength > 0 && !admission.reserveBytes(declaredLength)) {
      return Future.failedFuture(admission.tooManyBytes());
    }
    return new IntakeSession(this, body, format, owner, idempotencyKey, queryFields, Math.max(0, declaredLength))
        .start()
        .recover(err -> Future.failedFuture(admission.problem(err)));
  }

  /**
   * Takes a job that arrived whole: {@code body} is the job's JSON (any value: anything else is a 400),
   * {@code idempotencyKey} has passed {@link Admission#idempotencyKey}. Fails with a {@link Problem}.
   */
  public Future<Accepted> submit(Object body, String owner, String idempotencyKey) {
    Problem refused = admission.refusal();
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    // Validating (and, in the store, encrypting) 100,000 items takes a while: off the event loop.
    return vertx.executeBlocking(() -> validator.validate(body), false)
        .compose(request -> admit(request, owner, idempotencyKey))
        .recover(err -> Future.failedFuture(admission.problem(err)));
  }

  /**
   * Takes a job the service itself made and validated (a step of a fleet's apply), admitted like any
   * other; {@code idempotencyKey} makes a second submission of the same step (after a crash) answer the
   * first job. Fails with a {@link Problem}.
   */
  public Future<Accepted> submit(JobRequest request, String owner, String idempotencyKey) {
    Problem refused = admission.refusal();
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    return admit(request, owner, idempotencyKey).recover(err -> Future.failedFuture(admission.problem(err)));
  }

  private Future<Accepted> admit(JobRequest request, String owner, String key) {
    int n = request.items().size();
    if (!admission.reserveItems(n)) {
      return Future.failedFuture(admission.tooManyItems());
    }
    long others = admission.startAdmitting(n);
    return store.pendingItems()
        .compose(pending -> {
          Problem full = admission.pendingBound(pending + others, n);
          return full != null ? Future.<IntakeStore.Created>failedFuture(full) : store.create(request, owner, key);
        })
        .eventually(() -> {
          admission.doneAdmitting(n);
          admission.release(0, n);
          return Future.succeededFuture();
        })
        .compose(created -> {
          JobRecord job = created.job();
          if (created.existing()) {
            return JobSummaries.load(jobs, job).map(s -> new Accepted(s, false));
          }
          JsonObject summary = EventBodies.job(job, Map.of(ItemStatus.PENDING, (long) n),
              request.template() == null ? null : Map.of(AccountStatus.WAITING, request.items().stream()
                  .map(JobRequest.Item::account).distinct().count()));
          events.accepted(job.id(), n);
          LogKeys.job(log.atInfo(), job.id(), owner).log("job {} accepted from {}: {} item(s)", job.id(), owner, n);
          return Future.succeededFuture(new Accepted(summary, true));
        });
  }
}
