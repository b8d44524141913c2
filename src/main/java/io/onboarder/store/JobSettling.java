package io.onboarder.store;

import io.onboarder.job.AccountOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords.Changed;
import io.onboarder.job.JobRecords.Settled;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settles jobs inside a transaction that already holds their row locks: the failure policy (stop once
 * the failed share is above the tolerance), cancelling what a cancelled or stopped job will never start,
 * and finishing a job that nothing keeps open, so exactly one transaction finishes it and writes its final
 * event. Used where outcomes are recorded and by an explicit finish check.
 */
final class JobSettling {
  /** A job as settling reads it, with what keeps it open. */
  private record State(JobRecord job, long failed, boolean pending, boolean running, boolean blocking,
                       boolean failedAccounts) {
    boolean open() {
      return pending || running || blocking;
    }
  }

  private final Database db;
  private final JobRows rows;

  JobSettling(Database db, JobRows rows) {
    this.db = db;
    this.rows = rows;
  }

  /**
   * After outcomes of {@code jobIds} were written (locked by the caller): stops a job whose failed share
   * passed its tolerance ({@code failedIn}: jobs with a FAILED outcome among them), cancels what a halted
   * job will never start, and finishes the jobs nothing keeps open.
   */
  Future<Settled> settle(SqlConnection conn, EventWriter events, Collection<String> jobIds,
                                   Set<String> failedIn) {
    List<JobRecord> finished = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    boolean[] pending = {false};
    Future<Void> chain = Future.succeededFuture();
    for (String jobId : new TreeSet<>(jobIds)) {
      chain = chain.compose(v -> state(conn, jobId)).compose(s -> {
        if (s == null || s.job().status().terminal()) {
          return Future.succeededFuture();
        }
        JobRecord job = s.job();
        boolean stop = !job.recoveredOnly() && failedIn.contains(jobId) && job.toleratedFailurePercent() < 100
            && job.total() > 0 && s.failed() * 100.0 / job.total() > job.toleratedFailurePercent();
        Future<State> now;
        if (stop) {
          stopped.add(jobId);
          now = conn.preparedQuery(db.sql(SqlQueries.MARK_STOPPED)).execute(Tuple.of(jobId))
              .compose(x -> cancelUnstarted(conn, events, jobId)).compose(x -> state(conn, jobId));
        } else if (job.recoveredOnly() && (s.pending() || s.blocking())) {
          now = cancelUnstarted(conn, events, jobId).compose(x -> state(conn, jobId));
        } else {
          now = Future.succeededFuture(s);
        }
        return now.compose(after -> {
          if (after.open()) {
            pending[0] |= after.pending();
            return Future.succeededFuture();
          }
          return finish(conn, events, after).map(f -> {
            finished.add(f);
            return null;
          });
        });
      });
    }
    return chain.map(v -> new Settled(finished, stopped, pending[0]));
  }

  /** Finishes the locked job if nothing keeps it open: the finished record, or null (NOT_FOUND if none). */
  Future<JobRecord> finishIfDone(SqlConnection conn, EventWriter events, String jobId) {
    return state(conn, jobId).compose(s -> {
      if (s == null) {
        throw new StoreException(StoreException.Kind.NOT_FOUND, "No job with id '" + jobId + "'.");
      }
      return s.job().status().terminal() || s.open() ? Future.succeededFuture((JobRecord) null)
          : finish(conn, events, s);
    });
  }

  /** In a cancelled or stopped job: PENDING items that never reached Cyclr become CANCELLED; waiting accounts halt. */
  Future<List<Changed>> cancelUnstarted(SqlClient conn, EventWriter events, String jobId) {
    String now = Instant.now().toString();
    return conn.preparedQuery(db.sql(SqlQueries.CANCEL_UNSTARTED)).execute(Tuple.of(now, jobId))
        .map(rs -> {
          List<Changed> changed = JobRows.changed(rs, jobId);
          JobRows.itemEvents(events, changed, ItemStatus.CANCELLED);
          return changed;
        })
        // Accounts whose step has not started never will (their status does not change: no event).
        .compose(changed -> conn.preparedQuery(db.sql(AccountSql.HALT_ACCOUNTS))
            .execute(Tuple.of(AccountOutcome.error("CANCELLED", "The job was cancelled or stopped before this "
                + "account got its template.").encode(), now, jobId))
            .map(changed));
  }

  private Future<State> state(SqlClient conn, String jobId) {
    return conn.preparedQuery(db.sql(SqlQueries.SETTLE_STATE)).execute(Tuple.of(jobId)).map(rs -> {
      if (rs.size() == 0) {
        return null;
      }
      Row r = rs.iterator().next();
      return new State(JobRows.job(r), r.getLong("failed"), JobRows.flag(r, "pending"), JobRows.flag(r, "running"),
          JobRows.flag(r, "blocking"), JobRows.flag(r, "failed_accounts"));
    });
  }

  private Future<JobRecord> finish(SqlConnection conn, EventWriter events, State s) {
    JobRecord job = s.job();
    JobStatus status = job.cancelRequested() ? JobStatus.CANCELLED
        : s.failed() > 0 || s.failedAccounts() || job.stopped() ? JobStatus.COMPLETED_WITH_ERRORS
        : JobStatus.SUCCEEDED;
    String finishedAt = Instant.now().toString();
    JobRecord finished = new JobRecord(job.id(), status, job.createdAt(), finishedAt, job.total(), job.spec(),
        job.cancelRequested(), job.stopped(), job.owner(), job.traceParent());
    return conn.preparedQuery(db.sql(SqlQueries.FINISH_JOB)).execute(Tuple.of(status.name(), finishedAt, job.id()))
        .compose(v -> rows.summaryOn(conn, finished))
        .map(summary -> {
          events.job(job.id(), summary);
          return finished;
        });
  }
}
