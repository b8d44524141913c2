package io.onboarder.job;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;

/** What the dispatcher keeps in memory about a job that is not finished: counters, never items. */
final class ActiveJob {
  final JobRecord record;
  final EnumMap<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
  JobStatus status;
  int inFlight;
  boolean cancelRequested;
  boolean stoppedByPolicy;
  boolean cancelling;
  int retrying;
  Future<Void> finishing;

  final double toleratedFailurePercent;

  ActiveJob(JobRecord record, Map<ItemStatus, Long> counts) {
    this.record = record;
    this.toleratedFailurePercent = record.spec().getJsonObject("options", new JsonObject())
        .getDouble("toleratedFailurePercent", 100.0);
    this.status = record.status();
    for (ItemStatus s : ItemStatus.values()) {
      this.counts.put(s, counts.getOrDefault(s, 0L));
    }
  }

  String id() {
    return record.id();
  }

  long count(ItemStatus s) {
    return counts.get(s);
  }

  void add(ItemStatus s, long delta) {
    counts.merge(s, delta, Long::sum);
  }

  /** After a cancel, the only PENDING items left are recovered ones, which must still be finished. */
  boolean dispatchable() {
    return finishing == null && !cancelling && count(ItemStatus.PENDING) > 0;
  }

  boolean recoveredOnly() {
    return cancelRequested || stoppedByPolicy;
  }

  boolean idle() {
    return inFlight == 0 && count(ItemStatus.PENDING) == 0 && count(ItemStatus.RUNNING) == 0;
  }

  JobStatus finalStatus() {
    if (cancelRequested) {
      return JobStatus.CANCELLED;
    }
    return count(ItemStatus.FAILED) > 0 || stoppedByPolicy ? JobStatus.COMPLETED_WITH_ERRORS : JobStatus.SUCCEEDED;
  }
}
