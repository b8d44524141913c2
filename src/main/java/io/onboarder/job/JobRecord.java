package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/** A job as stored: its request spec (without auth values) and lifecycle fields. */
public record JobRecord(String id, JobStatus status, String createdAt, String finishedAt, int total,
                        JsonObject spec, boolean cancelRequested) {}
