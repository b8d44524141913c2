package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * A job as stored: its request spec (without auth values) and lifecycle fields. {@code owner} is the
 * caller (API token name) that created it; {@code stopped} means the failure policy stopped it;
 * {@code traceParent} is the span that submitted it, as W3C {@code traceparent} text (null when untraced): its
 * items' spans continue that trace.
 */
public record JobRecord(String id, JobStatus status, String createdAt, String finishedAt, int total,
                        JsonObject spec, boolean cancelRequested, boolean stopped, String owner, String traceParent) {

  /** No new item starts: cancelled by a user or stopped by the failure policy. Recovered items still finish. */
  public boolean recoveredOnly() {
    return cancelRequested || stopped;
  }

  /** A job with a template: its accounts are onboarded too (the template's cycle, activation). */
  public boolean hasTemplate() {
    return spec.getValue("template") instanceof JsonObject;
  }

  public double toleratedFailurePercent() {
    return spec.getJsonObject("options", new JsonObject()).getDouble("toleratedFailurePercent", 100.0);
  }
}
