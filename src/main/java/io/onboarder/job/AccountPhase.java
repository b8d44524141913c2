package io.onboarder.job;

/**
 * Where an account's onboarding stands inside the service (never shown): what it waits for, and so
 * when it is claimed next and whether it keeps its job from finishing.
 *
 * <ul>
 *   <li>{@code ITEMS}: waits for its items to end; due once none is PENDING or RUNNING. Blocks the job.</li>
 *   <li>{@code SIGN_IN}: an item of it is OAUTH_PENDING; due once none is. Does not block the job: like an
 *       OAUTH_PENDING item, it goes on after the job finished, when the tenant signs in.</li>
 *   <li>{@code WATCH}: the template brought a connector the tenant must sign in to; re-checked at Cyclr on a
 *       backing-off schedule. Does not block the job either.</li>
 *   <li>{@code DONE}: settled (retry may re-open FAILED and SETUP_REQUIRED ones, and a watch that ran out).</li>
 *   <li>{@code HALTED}: never onboarded, because the job was cancelled or stopped. Final.</li>
 * </ul>
 */
public enum AccountPhase {
  ITEMS, SIGN_IN, WATCH, DONE, HALTED;

  /** The job is not finished while one of its accounts is in this phase (or leased to a node). */
  public boolean blocksJob() {
    return this == ITEMS;
  }
}
