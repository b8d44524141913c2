package io.onboarder.job;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How to activate a template's cycle once its prerequisites are met: every {@code interval} minutes
 * (one of Cyclr's values), or once ({@code runOnce}), from {@code startTime} (ISO-8601, optional).
 */
public record Activation(int interval, boolean runOnce, String startTime) {
  /** The intervals Cyclr accepts, in minutes. */
  public static final List<Integer> INTERVALS = List.of(1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080);

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("interval", interval).put("runOnce", runOnce);
    if (startTime != null) {
      j.put("startTime", startTime);
    }
    return j;
  }

  public static Activation fromJson(JsonObject j) {
    if (j == null) {
      return null;
    }
    return new Activation(j.getInteger("interval", 60), j.getBoolean("runOnce", false), j.getString("startTime"));
  }

  /** Cyclr's body for {@code PUT /v1.0/cycles/{id}/activate}. */
  public JsonObject cyclrBody() {
    JsonObject body = new JsonObject().put("Interval", interval);
    if (runOnce) {
      body.put("RunOnce", true);
    }
    if (startTime != null) {
      body.put("StartTime", startTime);
    }
    return body;
  }

  public String describe() {
    return runOnce ? "to run once" : "every " + interval + " min";
  }
}
