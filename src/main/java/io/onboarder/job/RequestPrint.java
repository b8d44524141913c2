package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/**
 * A keyed fingerprint of a job request, built incrementally: items as they stream in, then the job
 * fields. Two requests with the same job fields and the same items in the same order have the same
 * print, whatever format (JSON object, JSON stream, NDJSON, CSV) carried them; it decides whether
 * an Idempotency-Key is reused with "the same body".
 */
public interface RequestPrint {
  void item(JobRequest.Item item);

  /** The print; {@code spec} is the job's {@link JobRequest#specJson()}. */
  String finish(JsonObject spec);
}
