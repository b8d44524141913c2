package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.job.JobEvents;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStore;
import io.onboarder.job.NodeState;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;

/**
 * Streamed job submissions on this node: a body (JSON, NDJSON or CSV) goes from the socket into the
 * store in batches, validated item by item, with flat memory whatever its size (see
 * {@link IntakeSession}). The HTTP API hands request bodies here directly: a body stream cannot
 * travel over the event bus without copying every item, and the job service is node-local anyway.
 */
public final class JobIntake {
  /** A streamed job whose node stopped renewing its heartbeat this long ago is deleted by any node. */
  public static final long STALE_INTAKE_MS = 10 * 60_000;

  final Vertx vertx;
  final Settings settings;
  final JobStore store;
  final NodeState node;
  final IntakeLimits limits;
  final JobRequestValidator validator;
  JobEvents events;

  public JobIntake(Vertx vertx, Settings settings, JobStore store, NodeState node, IntakeLimits limits) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.node = node;
    this.limits = limits;
    this.validator = new JobRequestValidator(settings.maxItemsPerJob());
  }

  /** The answer to a submission: the job summary, and whether it was created now (202) or existed (200). */
  public record Accepted(JsonObject summary, boolean created) {}

  /**
   * Takes a job from {@code body} (paused by the caller; resumed here). {@code declaredLength} is the
   * Content-Length, or -1. Fails with a {@link Problem}; whatever was written is deleted first. The
   * body may not have been read to its end when the result fails early.
   */
  public Future<Accepted> submit(ReadStream<Buffer> body, BodyFormat format, String owner, String idempotencyKey,
                                 JsonObject queryFields, long declaredLength) {
    if (events == null) {
      events = new JobEvents(vertx.eventBus(), Metrics.current());
    }
    if (!node.accepting()) {
      return Future.failedFuture(Problem.busy(node.draining() ? "The service is shutting down; submit again shortly."
          : !node.started() ? "The service is starting; submit again shortly."
          : "The job store is unreachable; submit again shortly.", 5));
    }
    if (declaredLength > 0 && !limits.reserveBytes(declaredLength)) {
      return Future.failedFuture(Problem.busy("This node is taking in too many job bodies at once ("
          + limits.bytesInFlight() + " bytes, limit " + settings.maxIntakeBytes() + "); try again shortly.", 10));
    }
    return new IntakeSession(this, body, format, owner, idempotencyKey, queryFields, Math.max(0, declaredLength))
        .start();
  }
}
