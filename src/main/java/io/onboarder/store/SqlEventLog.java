package io.onboarder.store;

import io.onboarder.job.EventLog;
import io.onboarder.job.JobEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The event log on the {@link Database}: read back and pruned here, written by {@link EventWriter}. */
final class SqlEventLog implements EventLog {
  private final Database db;

  SqlEventLog(Database db) {
    this.db = db;
  }

  @Override
  public Future<List<JobEvent>> events(String jobId, long afterSeq, int limit) {
    return db.query(SqlQueries.SELECT_EVENTS, Tuple.of(jobId, afterSeq, (long) limit)).map(rows -> {
      List<JobEvent> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(new JobEvent(jobId, r.getLong("seq"), JobEvent.Kind.parse(r.getString("kind")),
          new JsonObject(r.getString("body")))));
      return out;
    });
  }

  @Override
  public Future<Integer> prune(String finishedBefore, int maxJobs) {
    return db.query(SqlQueries.JOBS_WITH_OLD_EVENTS, Tuple.of(finishedBefore, (long) maxJobs)).compose(rows -> {
      List<Future<Integer>> deleted = new ArrayList<>();
      rows.forEach(r -> deleted.add(db.query(SqlQueries.DELETE_EVENTS_OF_JOB, Tuple.of(r.getString(0)))
          .map(RowSet::rowCount)));
      return Future.all(deleted).map(all -> deleted.stream().mapToInt(Future::result).sum());
    });
  }
}
