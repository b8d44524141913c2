package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.onboarder.job.ConnectorRef;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobSummaries;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.ValidationErrors;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed submission, on the event loop of its request. Each chunk is parsed as it arrives, each
 * item validated by the shared rules and added to a batch; full batches are written to a hidden
 * (INTAKE) job while the next is parsed, and the body is paused while three batches are being written
 * (back-pressure to the client). At the end the job is committed in one statement, so it is visible
 * and dispatchable only once the whole body is accepted. Any error, and a client that goes away,
 * deletes what was written. A job smaller than one batch is committed in one transaction instead.
 */
final class IntakeSession implements BodyListener {
  private static final Logger log = LoggerFactory.getLogger(IntakeSession.class);
  /**
   * Items per write: short transactions, so other writers (the dispatchers' outcomes) keep their turn. Three
   * writes of 2,048 in flight (one parsed, one encrypted, one written) kept SQLite's writer busier than two of
   * 4,096, with fewer items held at once (docs/benchmarks.md).
   */
  static final int BATCH = 2048;
  private static final int WRITES_IN_FLIGHT = 3;

  private final JobIntake ctx;
  private final ReadStream<Buffer> body;
  private final BodyFormat format;
  private final String owner;
  private final String key;
  private final JsonObject query;
  private final BodyReader reader;
  private final Promise<JobIntake.Accepted> result = Promise.promise();
  private final ValidationErrors errors = new ValidationErrors();
  private final JsonObject bodyFields = new JsonObject();
  private final RequestPrint print;

  private final BodyBytes bytes;
  private long reservedItems;
  private long pendingAtStart;
  private boolean compareOnly;

  private JobRequest fields;
  private boolean fieldsDone;
  /** The job's connector as far as known (query, or the body's so far): items without one need it. */
  private ConnectorRef jobConnector;
  private final List<Integer> connectorless = new ArrayList<>();
  private long connectorlessCount;
  private boolean itemsError;

  private int count;
  private List<JobRequest.Item> batch = new ArrayList<>();
  /** The item before, whose non-secret part the next one shares when it is the same. */
  private JobRequest.Item previous;
  private Future<IntakeStore.Intake> intake;
  private IntakeStore.Intake opened;
  private int writesInFlight;
  private boolean paused;
  private boolean ended;
  private boolean finished;
  private long heartbeat = -1;

  IntakeSession(JobIntake ctx, ReadStream<Buffer> body, BodyFormat format, String owner, String key,
                JsonObject query, long reservedBytes) {
    this.ctx = ctx;
    this.body = body;
    this.format = format;
    this.owner = owner;
    this.key = key;
    this.query = query == null ? new JsonObject() : query;
    this.bytes = new BodyBytes(ctx.admission, ctx.settings.maxBodyBytes(), reservedBytes, "; split the job.");
    this.reader = format.reader(this);
    this.print = key == null ? null : ctx.store.newPrint();
    if (this.query.getValue("connector") instanceof JsonObject) {
      jobConnector = connectorOf(this.query.getValue("connector"));
    }
  }

  Future<JobIntake.Accepted> start() {
    // A key already used: nothing is written; the body is read to compare it with that job's.
    Future<Boolean> keyUsed = key == null ? Future.succeededFuture(false)
        : ctx.store.existing(owner, key, null).map(found -> found != null);
    keyUsed.compose(used -> {
      compareOnly = used;
      return used ? Future.succeededFuture(0L) : ctx.store.pendingItems();
    }).onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      pendingAtStart = ar.result();
      Problem full = compareOnly ? null : ctx.admission.pendingBound(pendingAtStart + ctx.admission.admitting(), 0);
      if (full != null) {
        fail(full);
        return;
      }
      body.handler(this::chunk);
      body.endHandler(v -> end());
      body.exceptionHandler(this::abort);
      body.resume();
    });
    return result.future();
  }

  // ---- input -------------------------------------------------------------------------------------

  private void chunk(Buffer buf) {
    if (finished) {
      return;
    }
    // Without a Content-Length (chunked), bytes are counted against the node's intake bound as they come.
    Problem over = bytes.add(buf.length());
    if (over != null) {
      fail(over);
      return;
    }
    try {
      reader.feed(buf);
    } catch (Problem p) {
      fail(p);
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  private void end() {
    if (finished) {
      return;
    }
    ended = true;
    try {
      reader.end();
    } catch (Problem p) {
      fail(p);
      return;
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
    if (jobConnector == null && connectorlessCount > 0) {
      connectorless.forEach(i -> JobRequestValidator.connectorRequired("/items/" + i, errors));
      errors.addUnlisted(connectorlessCount - connectorless.size());
    }
    if (count == 0 && !itemsError) {
      errors.add("/items", format == BodyFormat.JSON ? "must not be empty" : "must not be empty: no item follows "
          + (format == BodyFormat.CSV ? "the header row" : "the job object on line 1"));
    }
    if (!errors.isEmpty()) {
      fail(errors.problem(errors.status()));
      return;
    }
    whenWritten(this::complete);
  }

  /** The client went away (or the connection failed) before the body ended. */
  private void abort(Throwable err) {
    if (!finished) {
      log.atInfo().addKeyValue(LogKeys.CALLER, owner)
          .log("submission from {} abandoned after {} item(s): {}", owner, count, err.toString());
      fail(Problem.badRequest("The request body was not received completely."));
    }
  }

  // ---- what the reader finds -----------------------------------------------------------------

  @Override
  public void jobField(String name, Object value) {
    bodyFields.put(name, value);
    if (name.equals("connector") && !query.containsKey("connector")) {
      jobConnector = connectorOf(value);
    }
  }

  @Override
  public void jobFieldsDone() {
    fieldsDone = true;
    JsonObject merged = JobQuery.merge(bodyFields, query);
    long mark = errors.mark();
    fields = ctx.validator.fields(merged, errors);
    errors.annotate(mark, pointer -> {
      String parameter = JobQuery.parameterFor(pointer, query);
      return parameter == null ? null : new JsonObject().put("parameter", parameter);
    });
    jobConnector = fields.connector();
  }

  @Override
  public void item(Object raw, Function<String, JsonObject> where) {
    if (finished) {
      return;
    }
    int index = count++;
    if (count > ctx.validator.maxItemsPerJob()) {
      fail(ctx.validator.tooManyItems(null));
      return;
    }
    long mark = errors.mark();
    JobRequest.Item item = JobRequestValidator.item(raw, index, errors);
    if (item != null && item.connector() == null && jobConnector == null) {
      if (fieldsDone) {
        JobRequestValidator.connectorRequired(JobRequestValidator.pointer(index, ""), errors);
        item = null;
      } else if (connectorlessCount++ < ValidationErrors.MAX_REPORTED) {
        connectorless.add(index); // the job's connector may still come, after the items
      }
    }
    if (where != null && errors.mark() != mark) {
      errors.annotate(mark, where);
    }
    if (item == null || !errors.isEmpty()) {
      batch.clear(); // the job is rejected: nothing more is written, only errors are collected
      return;
    }
    if (print != null) {
      print.item(item);
    }
    if (compareOnly) {
      return;
    }
    Problem full = ctx.admission.pendingBound(pendingAtStart + ctx.admission.admitting(), count);
    if (full != null) {
      fail(full);
      return;
    }
    item = item.sharingSpecWith(previous);
    previous = item;
    batch.add(item);
    if (batch.size() >= BATCH) {
      write();
    }
  }

  @Override
  public void badItem(String message, JsonObject where) {
    if (finished) {
      return;
    }
    int index = count++;
    if (count > ctx.validator.maxItemsPerJob()) {
      fail(ctx.validator.tooManyItems(null));
      return;
    }
    long mark = errors.mark();
    errors.add("/items/" + index, message);
    if (where != null) {
      errors.annotate(mark, p -> where);
    }
  }

  @Override
  public void error(String pointer, String message, JsonObject where) {
    if (pointer.equals("/items")) {
      itemsError = true;
    }
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
      intake = ctx.store.openIntake(owner).onSuccess(i -> {
        opened = i;
        // Appends renew the heartbeat; this covers a client that is slow to send the next batch.
        heartbeat = ctx.vertx.setPeriodic(JobIntake.STALE_INTAKE_MS / 5, t -> i.touch());
      });
    }
    writesInFlight++;
    if (writesInFlight >= WRITES_IN_FLIGHT && !paused) {
      paused = true;
      body.pause();
    }
    intake.compose(i -> i.append(items)).onComplete(ar -> {
      writesInFlight--;
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      if (paused && writesInFlight < WRITES_IN_FLIGHT && !finished) {
        paused = false;
        body.resume();
      }
      if (ended && writesInFlight == 0 && !finished && whenWritten != null) {
        Runnable next = whenWritten;
        whenWritten = null;
        next.run();
      }
    });
  }

  private Runnable whenWritten;

  private void whenWritten(Runnable next) {
    if (writesInFlight == 0) {
      next.run();
    } else {
      whenWritten = next;
    }
  }

  private void complete() {
    Future<IntakeStore.Created> created;
    if (compareOnly) {
      created = ctx.store.existing(owner, key, print.finish(fields.specJson())).compose(found -> found != null
          ? Future.succeededFuture(found)
          : Future.failedFuture(Problem.unavailable("The job of this Idempotency-Key could not be read; try again.")));
    } else if (intake == null) {
      // Smaller than one batch: one transaction, as for the event bus.
      created = ctx.store.create(fields.withItems(List.copyOf(batch)), owner, key);
    } else {
      List<JobRequest.Item> last = batch;
      batch = List.of();
      String p = print == null ? null : print.finish(fields.specJson());
      created = intake.compose(i -> (last.isEmpty() ? Future.<Void>succeededFuture() : i.append(last))
          .compose(v -> i.commit(fields, count, key, p)));
    }
    created.compose(c -> {
      if (c.existing()) {
        return JobSummaries.load(ctx.jobs, c.job()).map(summary -> new JobIntake.Accepted(summary, false));
      }
      LogKeys.job(log.atInfo(), c.job().id(), owner).log("job {} accepted from {}: {} item(s) ({}, {} bytes)",
          c.job().id(), owner, count, format, bytes.received());
      // The store wrote the job's first event with the commit; the dispatchers are told now.
      ctx.events.accepted(c.job().id(), count);
      // (A job with a template also shows its accounts, all WAITING: read back, as the store counted them.)
      return (c.job().hasTemplate() ? JobSummaries.load(ctx.jobs, c.job())
          : Future.succeededFuture(EventBodies.job(c.job(), Map.of(ItemStatus.PENDING, (long) count))))
          .map(summary -> new JobIntake.Accepted(summary, true));
    }).onComplete(ar -> {
      finished = true;
      stopHeartbeat();
      release();
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        // A commit that failed wrote nothing visible; the hidden rows go (a stale intake at worst).
        discardThen(() -> result.tryFail(ar.cause()));
      }
    });
  }

  /** Rejects the submission: stops reading and writing, deletes what was written, then answers. */
  private void fail(Throwable err) {
    if (finished) {
      return;
    }
    finished = true;
    stopHeartbeat();
    batch = List.of();
    release();
    discardThen(() -> result.tryFail(err));
  }

  private void discardThen(Runnable then) {
    if (intake == null) {
      then.run();
      return;
    }
    intake.compose(IntakeStore.Intake::discard)
        .onFailure(e -> log.warn("could not delete an abandoned submission now ({}); it is removed when it goes "
            + "stale", e.toString()))
        .onComplete(x -> then.run());
  }

  private void stopHeartbeat() {
    if (heartbeat >= 0) {
      ctx.vertx.cancelTimer(heartbeat);
      heartbeat = -1;
    }
  }

  private void release() {
    ctx.admission.release(bytes.takeReserved(), reservedItems);
    reservedItems = 0;
  }

  /** The job connector {@code value} names, if it is a valid one. */
  private ConnectorRef connectorOf(Object value) {
    ValidationErrors scratch = new ValidationErrors();
    JobRequest r = ctx.validator.fields(new JsonObject().put("connector", value), scratch);
    return scratch.isEmpty() ? r.connector() : null;
  }
}
