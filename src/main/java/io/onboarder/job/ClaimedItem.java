package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * An item just moved to RUNNING, with its decrypted auth value, ready to send to the gateway.
 * {@code authUnreadable} marks a stored auth value that no longer decrypts (the key changed).
 */
public record ClaimedItem(long id, String jobId, String account, String authValue, JsonObject spec, int attempts,
                          boolean authUnreadable) {}
