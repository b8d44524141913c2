package io.onboarder.store;

import io.onboarder.job.EventLog;
import io.onboarder.job.JobEvent;
import io.vertx.core.Future;
import java.util.List;

/** The in-memory store's event log: the events of each job, numbered in their transaction, pruned once old. */
final class MemoryEventLog implements EventLog {
  private final MemoryStores store;

  MemoryEventLog(MemoryStores store) {
    this.store = store;
  }

  @Override
  public Future<List<JobEvent>> events(String jobId, long afterSeq, int limit) {
    return store.read(() -> store.events.getOrDefault(jobId, List.of()).stream().filter(e -> e.seq() > afterSeq)
        .limit(limit).toList());
  }

  @Override
  public Future<Integer> prune(String finishedBefore, int maxJobs) {
    return store.tx(written -> {
      int deleted = 0;
      int pruned = 0;
      for (MemoryStores.MJob j : store.jobs.values()) {
        if (pruned < maxJobs && j.finishedAt != null && j.finishedAt.compareTo(finishedBefore) < 0
            && store.events.containsKey(j.id)) {
          deleted += store.events.remove(j.id).size();
          pruned++;
        }
      }
      return deleted;
    });
  }
}
