package io.onboarder.job;

import io.vertx.core.Future;
import java.util.List;

/**
 * The durable, numbered events of every job (written by the stores with the change they describe),
 * read for replays and pruned by retention. Failures are {@link StoreException}s.
 */
public interface EventLog {

  /** A job's events after number {@code afterSeq}, in order, at most {@code limit}. */
  Future<List<JobEvent>> events(String jobId, long afterSeq, int limit);

  /** Deletes the events of up to {@code maxJobs} jobs finished before {@code finishedBefore} (ISO-8601); returns rows. */
  Future<Integer> prune(String finishedBefore, int maxJobs);
}
