package io.onboarder.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An RFC 9457 problem: the one error shape of the HTTP API and of event-bus replies
 * ({@code message.fail(status, problem.encode())}).
 */
public final class Problem extends RuntimeException {
  private final int status;
  private final String type;
  private final String title;
  private final JsonArray errors;
  private final Long retryAfterSeconds;

  private Problem(int status, String type, String title, String detail, JsonArray errors, Long retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static Problem of(int status, String type, String title, String detail) {
    return new Problem(status, "urn:cyclr-onboarder:problem:" + type, title, detail, null, null);
  }

  public static Problem validation(int status, String detail, JsonArray errors) {
    return new Problem(status, "urn:cyclr-onboarder:problem:validation", "Invalid request", detail, errors, null);
  }

  public static Problem badRequest(String detail) {
    return of(400, "bad-request", "Bad request", detail);
  }

  public static Problem notFound(String detail) {
    return of(404, "not-found", "Not found", detail);
  }

  public static Problem conflict(String detail) {
    return of(409, "conflict", "Conflict", detail);
  }

  public static Problem busy(String detail, long retryAfterSeconds) {
    return new Problem(503, "urn:cyclr-onboarder:problem:busy", "Service busy", detail, null, retryAfterSeconds);
  }

  /** 429: this caller holds too much already; {@code Retry-After} says when to try again. */
  public static Problem tooManyRequests(String detail, long retryAfterSeconds) {
    return new Problem(429, "urn:cyclr-onboarder:problem:too-many-requests", "Too many requests", detail, null,
        retryAfterSeconds);
  }

  public static Problem unavailable(String detail) {
    return of(503, "unavailable", "Service unavailable", detail);
  }

  public int status() {
    return status;
  }

  public Long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", type)
        .put("title", title)
        .put("status", status)
        .put("detail", getMessage());
    if (errors != null) {
      json.put("errors", errors);
    }
    if (retryAfterSeconds != null) {
      json.put("retryAfter", retryAfterSeconds);
    }
    return json;
  }

  /** Rebuilds a problem carried as the text of an event-bus failure; null if it is not one. */
  public static Problem fromJson(String text) {
    try {
      JsonObject j = new JsonObject(text);
      if (!j.containsKey("status") || !j.containsKey("type")) {
        return null;
      }
      return new Problem(j.getInteger("status"), j.getString("type"), j.getString("title"), j.getString("detail"),
          j.getJsonArray("errors"), j.getLong("retryAfter"));
    } catch (RuntimeException e) {
      return null;
    }
  }
}
