package io.onboarder.intake;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.job.JobService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public {@code onboarder.jobs.submit} address on every node (event-bus clients, and TCP-bridge
 * clients through the bridge): each message goes into the node's {@link JobIntake}, as HTTP bodies do.
 * Also deletes, on a timer, the hidden rows of streamed submissions whose node died mid-upload.
 */
public final class SubmitService extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SubmitService.class);
  private static final long PURGE_EVERY_MS = 60_000;
  /** The message header an event-bus client may name its idempotency key in (as HTTP does). */
  static final String KEY_HEADER = "Idempotency-Key";

  private final JobIntake intake;
  private final IntakeStore store;
  private long purgeTimer = -1;

  public SubmitService(JobIntake intake) {
    this.intake = intake;
    this.store = intake.store;
  }

  @Override
  public Future<?> start() {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.JOBS_SUBMIT, this::submit);
    purgeTimer = vertx.setPeriodic(PURGE_EVERY_MS, t -> {
      if (intake.admission.refusal() == null) {
        store.purgeStaleIntakes(JobIntake.STALE_INTAKE_MS)
            .onSuccess(n -> {
              if (n > 0) {
                log.info("deleted {} abandoned streamed submission(s) (their node stopped mid-upload)", n);
              }
            })
            .onFailure(err -> log.debug("stale intake purge: {}", err.toString()));
      }
    });
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(purgeTimer);
    return Future.succeededFuture();
  }

  /**
   * A job as the body (+ optional {@code idempotencyKey}, which wins over an {@value #KEY_HEADER} header);
   * the reply is its summary, with a {@code created} header (true: new, false: the key's job).
   */
  private void submit(Message<Object> msg) {
    Object body = msg.body();
    String caller = msg.headers().get(JobService.CALLER);
    String owner = caller == null ? JobService.BUS_OWNER : caller;
    String key;
    try {
      Object given = msg.headers().get(KEY_HEADER);
      if (body instanceof JsonObject json && json.getValue("idempotencyKey") != null) {
        given = json.getValue("idempotencyKey");
        json = json.copy();
        json.remove("idempotencyKey");
        body = json;
      }
      key = Admission.idempotencyKey(given);
    } catch (Problem p) {
      msg.fail(p.status(), p.toJson().encode());
      return;
    }
    intake.submit(body, owner, key).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result().summary(), new DeliveryOptions().addHeader("created",
            String.valueOf(ar.result().created())));
      } else {
        Problem p = intake.admission.problem(ar.cause());
        msg.fail(p.status(), p.toJson().encode());
      }
    });
  }
}
