package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * An item just leased to this node (RUNNING), with its decrypted auth value, ready to send to the
 * gateway. {@code authUnreadable} marks a stored auth value that no longer decrypts (the key
 * changed); {@code halted} marks a recovered item of a cancelled or stopped job: it is checked at
 * Cyclr and finished as it is found, never installed.
 */
public record ClaimedItem(long id, String jobId, String account, String authValue, JsonObject spec, int attempts,
                          boolean authUnreadable, boolean halted) {}
