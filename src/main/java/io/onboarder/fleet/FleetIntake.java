package io.onboarder.fleet;

import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.intake.Admission;
import io.onboarder.intake.BodyFormat;
import io.onboarder.intake.IntakeLimits;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.lease.NodeLifecycle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import java.util.regex.Pattern;

/**
 * The way in for fleet specs on this node ({@code PUT /v1/fleets/{name}} and the bus's {@code put}): a
 * body streamed over HTTP (JSON, NDJSON or CSV) or whole (an event-bus message) goes through one
 * {@link FleetPutSession}, under the same admission policy and bounds as job submissions, and the
 * store's answer becomes 201 (created), 200 (updated or unchanged), 412 (If-Match) or a problem.
 */
public final class FleetIntake {
  /** The fleet name rule: it is part of URLs and job labels. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  static final long HEARTBEAT_MS = 60_000;

  final Vertx vertx;
  final Settings settings;
  final FleetStore store;
  final Admission admission;
  final JobRequestValidator validator;

  public FleetIntake(Vertx vertx, Settings settings, FleetStore store, NodeLifecycle node, IntakeLimits limits) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.admission = new Admission(settings, node, limits);
    this.validator = new JobRequestValidator(settings.maxItemsPerJob());
  }

  /** Who puts: {@code name} owns a new fleet; {@code ownerFilter} (null: admin) must own an existing one. */
  public record Caller(String name, String ownerFilter, Long ifMatch) {}

  /** The answer: the fleet's view, and whether it was created now (201). */
  public record Stored(JsonObject fleet, boolean created) {}

  /**
   * A spec streamed in {@code body} (paused by the caller; resumed here); {@code query} holds fleet
   * fields given as query parameters (a CSV body's only way). Fails with a {@link Problem}.
   */
  public Future<Stored> put(String name, ReadStream<Buffer> body, BodyFormat format, JsonObject query, Caller caller,
                            long declaredLength) {
    Problem refused = refusal(name);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (declaredLength > 0 && !admission.reserveBytes(declaredLength)) {
      return Future.failedFuture(admission.tooManyBytes());
    }
    FleetPutSession session = new FleetPutSession(this, name, caller, format, query, new FleetPutSession.Flow() {
      @Override
      public void pause() {
        body.pause();
      }

      @Override
      public void resume() {
        body.resume();
      }
    }, Math.max(0, declaredLength));
    body.handler(session::chunk);
    body.endHandler(v -> session.end());
    body.exceptionHandler(err -> session.abort());
    body.resume();
    return answer(session.result());
  }

  /** A spec that arrived whole (an event-bus message): read by the same session as a streamed one. */
  public Future<Stored> put(String name, Object json, Caller caller) {
    Problem refused = refusal(name);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (!(json instanceof JsonObject body)) {
      return Future.failedFuture(Problem.badRequest("The fleet must be a JSON object."));
    }
    FleetPutSession session = new FleetPutSession(this, name, caller, BodyFormat.JSON, new JsonObject(),
        new FleetPutSession.Flow() {
          @Override
          public void pause() {
          }

          @Override
          public void resume() {
          }
        }, 0);
    session.chunk(body.toBuffer());
    session.end();
    return answer(session.result());
  }

  private Problem refusal(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Problem.validation(400, "A fleet name is 1 to 63 characters: lower-case letters, digits and '-', "
          + "starting with a letter or digit.", new JsonArray().add(new JsonObject().put("pointer", "")
          .put("parameter", "name").put("message", "must match [a-z0-9][a-z0-9-]{0,62}")));
    }
    return admission.refusal();
  }

  private Future<Stored> answer(Future<FleetStore.Put> put) {
    return put.compose(p -> switch (p.outcome()) {
      case CREATED, UPDATED, UNCHANGED -> wakeForAutoApply(p).compose(v -> FleetViews.load(store, p.fleet()))
          .map(view -> new Stored(view, p.outcome() == FleetStore.Outcome.CREATED));
      case PRECONDITION_FAILED -> Future.failedFuture(preconditionFailed());
      case TAKEN -> Future.failedFuture(Problem.conflict("A fleet of this name belongs to another caller; choose "
          + "another name."));
      case DELETING -> Future.failedFuture(Problem.conflict("The fleet is being deleted with uninstall=true (status "
          + "DELETING): what it installed is being removed. Put it again once GET /v1/fleets/{name} answers 404."));
      case DUPLICATE_TENANTS -> Future.failedFuture(Problem.validation(400, p.duplicates() + " tenant(s) name an "
          + "account that an earlier tenant names: a fleet has one tenant per account.", new JsonArray()
          .add(new JsonObject().put("pointer", "/tenants").put("message", "each account at most once"))));
    });
  }

  /**
   * A new generation of an {@code autoApply} fleet is due at once: every node's fleet loop is woken (the one that
   * leases it plans and applies it; without the wake-up it is found by the next periodic look).
   */
  private Future<Void> wakeForAutoApply(FleetStore.Put p) {
    if (p.outcome() != FleetStore.Outcome.UNCHANGED
        && p.fleet().spec().getJsonObject("policy", new JsonObject()).getBoolean("autoApply", false)) {
      vertx.eventBus().publish(io.onboarder.bus.Addresses.FLEETS_WAKE, null);
    }
    return Future.succeededFuture();
  }

  public static Problem preconditionFailed() {
    return Problem.of(412, "precondition-failed", "Precondition failed", "The fleet is not at the generation "
        + "If-Match names (it changed, or does not exist): read it again and retry with its generation.");
  }
}
