package io.onboarder.bridge;

import io.onboarder.bus.Addresses;
import io.onboarder.job.JobService;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whether a bridge caller may receive the events of a job: the job service's own rule (the one
 * {@code GET /v1/jobs/{id}} and the SSE stream apply: its owner, or an admin), asked from the store
 * once per caller and job through {@code onboarder.jobs.events} with the caller's name, and kept
 * (a job's owner never changes). Used on the bridge verticle's event loop only.
 */
final class EventVisibility {
  static final int MAX_ENTRIES = 10_000;
  private static final long ASK_TIMEOUT_MS = 10_000;

  private final EventBus bus;
  /** Answers and questions in flight, least recently used first; a failed question is not kept. */
  private final Map<String, Future<Boolean>> known = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Future<Boolean>> eldest) {
      return size() > MAX_ENTRIES;
    }
  };
  private long asked;

  EventVisibility(EventBus bus) {
    this.bus = bus;
  }

  /** The job an event is about: {@code jobId}, or {@code id} for the job events (a job summary). */
  static String jobOf(String address, Object body) {
    if (!(body instanceof JsonObject event)) {
      return null;
    }
    Object id = Addresses.EVENTS_JOB.equals(address) ? event.getValue("id") : event.getValue("jobId");
    return id instanceof String s ? s : null;
  }

  /** True if {@code caller} (not an admin) may see job {@code jobId}; fails if the store could not tell. */
  Future<Boolean> visible(String caller, String jobId) {
    String key = caller + '\n' + jobId;
    Future<Boolean> answer = known.get(key);
    if (answer != null) {
      return answer;
    }
    asked++;
    // The newest possible event number: the job service checks the caller and reads no event.
    JsonObject question = new JsonObject().put("id", jobId).put("after", Long.MAX_VALUE).put("limit", 1);
    answer = bus.request(Addresses.JOBS_EVENTS, question, new DeliveryOptions().setLocalOnly(true)
            .setSendTimeout(ASK_TIMEOUT_MS).addHeader(JobService.CALLER, caller))
        .map(reply -> true)
        .recover(err -> err instanceof ReplyException r && r.failureCode() == 404
            ? Future.succeededFuture(false) : Future.failedFuture(err));
    Future<Boolean> asking = answer;
    known.put(key, asking);
    asking.onFailure(err -> known.remove(key, asking));
    return asking;
  }

  /** Questions sent to the store so far (each caller and job once, while remembered). */
  long asked() {
    return asked;
  }
}
