package io.onboarder.job;

/** Lifecycle of a job. */
public enum JobStatus {
  PENDING, RUNNING, SUCCEEDED, COMPLETED_WITH_ERRORS, CANCELLED;

  public boolean terminal() {
    return this == SUCCEEDED || this == COMPLETED_WITH_ERRORS || this == CANCELLED;
  }
}
