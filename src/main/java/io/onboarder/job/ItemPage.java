package io.onboarder.job;

import io.vertx.core.json.JsonArray;

/** One page of a job's items as API JSON, with the cursor of the next page (null at the end). */
public record ItemPage(JsonArray items, String next) {}
