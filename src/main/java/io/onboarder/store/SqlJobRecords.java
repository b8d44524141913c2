package io.onboarder.store;

import io.onboarder.job.AccountStatus;
import io.onboarder.job.EventBodies;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Jobs on the {@link Database}: reads, and the changes of a whole job (run, cancel, stop, retry,
 * finish), each in one transaction that writes its events, with the job row locked first.
 */
final class SqlJobRecords implements JobRecords {
  private final Database db;
  private final JobRows rows;
  private final SqlSignIns signIns;
  private final JobSettling settling;

  SqlJobRecords(Database db, JobRows rows, SqlSignIns signIns, JobSettling settling) {
    this.db = db;
    this.rows = rows;
    this.signIns = signIns;
    this.settling = settling;
  }

  @Override
  public Future<Void> ping() {
    return db.ping();
  }

  @Override
  public Future<JobRecord> job(String jobId) {
    return db.query(SqlQueries.SELECT_JOB, Tuple.of(jobId))
        .map(rs -> rs.size() == 0 ? null : JobRows.job(rs.iterator().next()));
  }

  @Override
  public Future<List<JobRecord>> recentJobs(String owner, int limit) {
    return (owner == null ? db.query(SqlQueries.SELECT_RECENT_JOBS, Tuple.of((long) limit))
        : db.query(SqlQueries.SELECT_RECENT_JOBS_OF, Tuple.of(owner, (long) limit))).map(JobRows::jobs);
  }

  @Override
  public Future<List<JobRecord>> unfinishedJobs() {
    return db.query(SqlQueries.SELECT_UNFINISHED_JOBS).map(JobRows::jobs);
  }

  @Override
  public Future<Map<ItemStatus, Long>> counts(String jobId) {
    return Database.classified(rows.countsOn(db.pool(), jobId));
  }

  @Override
  public Future<Map<AccountStatus, Long>> accountCounts(String jobId) {
    return Database.classified(rows.accountCountsOn(db.pool(), jobId));
  }

  @Override
  public Future<List<Changed>> cancel(String jobId) {
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> rows.lockJob(conn, jobId)).compose(job -> {
          if (job.status().terminal()) {
            throw new StoreException(StoreException.Kind.CONFLICT, "Job '" + jobId + "' already finished with status "
                + job.status() + "; there is nothing to cancel.");
          }
          return conn.preparedQuery(db.sql(SqlQueries.MARK_CANCEL_REQUESTED)).execute(Tuple.of(jobId))
              .compose(v -> signIns.revoke(conn, jobId)) // a cancelled job's sign-in links stop working
              .compose(v -> settling.cancelUnstarted(conn, events, jobId));
        }));
  }

  @Override
  public Future<Retried> retry(String jobId) {
    // A retry re-opens the job in the same transaction (RUNNING, not finished, no longer stopped),
    // so a crash cannot leave PENDING items inside a finished job.
    String now = Instant.now().toString();
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> rows.lockJob(conn, jobId)).compose(job -> {
          if (job.cancelRequested()) {
            throw new StoreException(StoreException.Kind.CONFLICT, "Job '" + jobId + "' was cancelled; a cancelled "
                + "job stays cancelled. Submit the failed items as a new job.");
          }
          return conn.preparedQuery(db.sql(SqlQueries.RETRY_FAILED)).execute(Tuple.of(now, jobId))
              .map(rs -> JobRows.changed(rs, jobId))
              // Items first: an account whose items were retried waits for them.
              .compose(items -> conn.preparedQuery(db.sql(AccountSql.RETRY_ACCOUNTS)).execute(Tuple.of(now, jobId))
                  .map(rs -> new Retried(items, JobRows.accountsChanged(rs, jobId))))
              .compose(retried -> retried.isEmpty() ? Future.succeededFuture(retried)
                  : reopen(conn, events, job, retried));
        }));
  }

  private Future<Retried> reopen(SqlConnection conn, EventWriter events, JobRecord job, Retried retried) {
    String jobId = job.id();
    JobRows.itemEvents(events, retried.items(), ItemStatus.PENDING);
    // FAILED accounts run again: WAITING (a re-checked SETUP_REQUIRED one keeps its status).
    retried.accounts().stream().filter(a -> a.status() == AccountStatus.WAITING).forEach(a ->
        events.account(jobId, EventBodies.account(jobId, a.account(), a.status(), null, null, null), null));
    return conn.preparedQuery(db.sql(SqlQueries.REOPEN_JOB)).execute(Tuple.of(jobId))
        // A finished job re-opens (a job event); a running one just has more to do.
        .compose(x -> job.status() == JobStatus.RUNNING ? Future.succeededFuture(retried)
            : rows.jobOn(conn, jobId).compose(reopened -> rows.summaryOn(conn, reopened).map(summary -> {
              events.job(jobId, summary);
              return retried;
            })));
  }

  @Override
  public Future<JobRecord> finishIfDone(String jobId) {
    // The job row is locked first, so a concurrent retry (which locks it too) is either wholly
    // before this check or wholly after the finish.
    return db.withEvents(false, (conn, events) -> events.lock(conn, List.of(jobId))
        .compose(v -> settling.finishIfDone(conn, events, jobId)));
  }
}
