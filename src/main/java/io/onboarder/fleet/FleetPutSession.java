package io.onboarder.fleet;

import io.onboarder.bus.Problem;
import io.onboarder.intake.BodyListener;
import io.onboarder.intake.BodyReader;
import io.onboarder.intake.JobQuery;
import io.onboarder.job.ConnectorRef;
import io.onboarder.job.JobRequest;
import io.onboarder.intake.BodyBytes;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.ValidationErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One {@code PUT} of a fleet spec, on one event loop: the body is parsed chunk by chunk by the job
 * body readers, each tenant validated by the job item rules and written to a hidden intake in batches
 * (the caller pauses the body while two batches are being written), then committed in one transaction.
 * Memory holds two batches whatever the number of tenants. Any error deletes what was written.
 */
final class FleetPutSession implements BodyListener {
  static final int BATCH = 4096;
  private static final int WRITES_IN_FLIGHT = 2;

  /** What the session needs from the body's source: flow control. */
  interface Flow {
    void pause();

    void resume();
  }

  private final FleetIntake ctx;
  private final String name;
  private final FleetIntake.Caller caller;
  private final JsonObject query;
  private final Flow flow;
  private final BodyReader reader;
  private final ValidationErrors errors = new ValidationErrors();
  private final JsonObject bodyFields = new JsonObject();
  private final RequestPrint print;
  private final Promise<FleetStore.Put> result = Promise.promise();

  private FleetSpec spec;
  private boolean fieldsDone;
  private ConnectorRef fleetConnector;
  private final List<Integer> connectorless = new ArrayList<>();
  private long connectorlessCount;
  private boolean listError;
  private long count;
  private final BodyBytes bytes;
  private long reservedItems;
  private List<JobRequest.Item> batch = new ArrayList<>();
  private Future<FleetStore.Intake> intake;
  private int writesInFlight;
  private boolean paused;
  private boolean finished;
  private Runnable whenWritten;
  private long heartbeat = -1;

  FleetPutSession(FleetIntake ctx, String name, FleetIntake.Caller caller, io.onboarder.intake.BodyFormat format,
                  JsonObject query, Flow flow, long reservedBytes) {
    this.ctx = ctx;
    this.name = name;
    this.caller = caller;
    this.query = query;
    this.flow = flow;
    this.bytes = new BodyBytes(ctx.admission, ctx.settings.maxBodyBytes(), reservedBytes, ".");
    this.reader = format.reader(this, "tenants");
    this.print = ctx.store.newPrint();
    if (query.getValue("connector") != null) {
      fleetConnector = connectorOf(query);
    }
  }

  Future<FleetStore.Put> result() {
    return result.future();
  }

  // ---- input -------------------------------------------------------------------------------------

  void chunk(Buffer buf) {
    if (finished) {
      return;
    }
    Problem over = bytes.add(buf.length());
    if (over != null) {
      fail(over);
      return;
    }
    try {
      reader.feed(buf);
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  void end() {
    if (finished) {
      return;
    }
    try {
      reader.end();
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    if (finished) {
      return;
    }
    if (!fieldsDone) {
      jobFieldsDone();
    }
    if (fleetConnector == null && connectorlessCount > 0) {
      connectorless.forEach(i -> JobRequestValidator.connectorRequired("/items/" + i, errors));
      errors.addUnlisted(connectorlessCount - connectorless.size());
    }
    if (count == 0 && !listError) {
      errors.add("/tenants", "must not be empty");
    }
    if (!errors.isEmpty()) {
      errors.repoint("/items", "/tenants");
      fail(errors.problem(errors.status()));
      return;
    }
    whenWritten(this::commit);
  }

  /** The client went away before the body ended. */
  void abort() {
    fail(Problem.badRequest("The request body was not received completely."));
  }

  // ---- what the reader finds -----------------------------------------------------------------

  @Override
  public void jobField(String field, Object value) {
    bodyFields.put(field, value);
    if (field.equals("connector") && !query.containsKey("connector")) {
      fleetConnector = connectorOf(new JsonObject().put("connector", value));
    }
  }

  @Override
  public void jobFieldsDone() {
    fieldsDone = true;
    JsonObject merged = JobQuery.merge(bodyFields, query);
    spec = FleetSpec.of(merged, ctx.validator, errors);
    fleetConnector = spec.fields().connector();
  }

  @Override
  public void item(Object raw, Function<String, JsonObject> where) {
    if (finished) {
      return;
    }
    int index = (int) count++;
    if (count > ctx.validator.maxItemsPerJob()) {
      fail(Problem.validation(422, "A fleet may hold at most " + ctx.validator.maxItemsPerJob() + " tenants.",
          new io.vertx.core.json.JsonArray().add(new JsonObject().put("pointer", "/tenants")
              .put("message", "at most " + ctx.validator.maxItemsPerJob() + " tenants"))));
      return;
    }
    long mark = errors.mark();
    JobRequest.Item item = JobRequestValidator.item(raw, index, errors);
    if (item != null && item.connector() == null && fleetConnector == null) {
      if (fieldsDone) {
        JobRequestValidator.connectorRequired(JobRequestValidator.pointer(index, ""), errors);
        item = null;
      } else if (connectorlessCount++ < ValidationErrors.MAX_REPORTED) {
        connectorless.add(index); // the fleet's connector may still come, after the tenants
      }
    }
    if (where != null && errors.mark() != mark) {
      errors.annotate(mark, where);
    }
    if (item == null || !errors.isEmpty()) {
      batch.clear(); // rejected: nothing more is written, only errors are collected
      return;
    }
    print.item(item);
    batch.add(item);
    if (batch.size() >= BATCH) {
      write();
    }
  }

  @Override
  public void badItem(String message, JsonObject where) {
    long mark = errors.mark();
    errors.add("/tenants/" + count++, message);
    if (where != null) {
      errors.annotate(mark, p -> where);
    }
  }

  @Override
  public void error(String pointer, String message, JsonObject where) {
    listError |= pointer.equals("/tenants");
    long mark = errors.mark();
    errors.add(pointer, message);
    if (where != null) {
      errors.annotate(mark, p -> where);
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  private void write() {
    List<JobRequest.Item> items = batch;
    batch = new ArrayList<>(BATCH);
    if (!ctx.admission.reserveItems(items.size())) {
      fail(ctx.admission.tooManyItems());
      return;
    }
    reservedItems += items.size();
    if (intake == null) {
      intake = ctx.store.openIntake(name).onSuccess(i ->
          heartbeat = ctx.vertx.setPeriodic(FleetIntake.HEARTBEAT_MS, t -> i.touch()));
    }
    writesInFlight++;
    if (writesInFlight >= WRITES_IN_FLIGHT && !paused) {
      paused = true;
      flow.pause();
    }
    intake.compose(i -> i.append(items)).onComplete(ar -> {
      writesInFlight--;
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      if (paused && writesInFlight < WRITES_IN_FLIGHT && !finished) {
        paused = false;
        flow.resume();
      }
      if (writesInFlight == 0 && whenWritten != null && !finished) {
        Runnable next = whenWritten;
        whenWritten = null;
        next.run();
      }
    });
  }

  private void whenWritten(Runnable next) {
    if (writesInFlight == 0) {
      next.run();
    } else {
      whenWritten = next;
    }
  }

  private void commit() {
    if (intake == null) {
      intake = ctx.store.openIntake(name);
    }
    List<JobRequest.Item> last = batch;
    batch = List.of();
    String fingerprint = print.finish(spec.toJson());
    intake.compose(i -> (last.isEmpty() ? Future.<Void>succeededFuture() : i.append(last))
            .compose(v -> i.commit(caller.name(), caller.ownerFilter(), caller.ifMatch(), spec, count, fingerprint)))
        .onComplete(ar -> {
          finished = true;
          stop();
          if (ar.succeeded()) {
            result.tryComplete(ar.result());
          } else {
            discardThen(() -> result.tryFail(ctx.admission.problem(ar.cause())));
          }
        });
  }

  private void fail(Throwable err) {
    if (finished) {
      return;
    }
    finished = true;
    stop();
    batch = List.of();
    Problem p = err instanceof Problem problem ? problem : ctx.admission.problem(err);
    discardThen(() -> result.tryFail(p));
  }

  private void discardThen(Runnable then) {
    if (intake == null) {
      then.run();
      return;
    }
    intake.compose(FleetStore.Intake::discard).onComplete(x -> then.run());
  }

  private void stop() {
    if (heartbeat >= 0) {
      ctx.vertx.cancelTimer(heartbeat);
      heartbeat = -1;
    }
    ctx.admission.release(bytes.takeReserved(), reservedItems);
    reservedItems = 0;
  }

  private ConnectorRef connectorOf(JsonObject json) {
    ValidationErrors scratch = new ValidationErrors();
    JobRequest r = ctx.validator.fields(new JsonObject().put("connector", json.getValue("connector")), scratch);
    return scratch.isEmpty() ? r.connector() : null;
  }
}
