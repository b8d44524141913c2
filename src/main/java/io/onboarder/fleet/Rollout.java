package io.onboarder.fleet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How an apply's changing tenants are split into steps: step {@code k} takes the tenants (in account
 * order) up to {@code ceil(n × steps[k] / 100)}, the first step at least one, the last all of them;
 * and when a step's failures halt the fleet.
 */
public final class Rollout {
  private Rollout() {}

  /** The cumulative number of tenants done after each step, for {@code n} changing tenants. */
  public static long[] cuts(List<Double> steps, long n) {
    long[] cuts = new long[steps.size()];
    long prev = 0;
    for (int k = 0; k < steps.size(); k++) {
      long c = k == steps.size() - 1 ? n : (long) Math.ceil(n * steps.get(k) / 100.0);
      if (k == 0 && n > 0) {
        c = Math.max(1, c);
      }
      cuts[k] = Math.min(n, Math.max(prev, c));
      prev = cuts[k];
    }
    return cuts;
  }

  /** Whether {@code failed} of {@code total} is over the halt threshold (a share in percent). */
  public static boolean halts(long failed, long total, double haltOnFailurePercent) {
    return total > 0 && failed * 100.0 / total > haltOnFailurePercent;
  }

  /** The fleet's {@code rollout} view: the step running or last run (1-based, null: none), the steps, why halted. */
  public static JsonObject view(Integer step, List<Double> steps, String haltedReason, Long nextStepAtMs) {
    return new JsonObject().put("step", step)
        .put("steps", new JsonArray(steps.stream().map(d -> d == Math.rint(d) ? (Object) d.longValue() : d).toList()))
        .put("haltedReason", haltedReason)
        .put("nextStepAt", nextStepAtMs == null ? null : java.time.Instant.ofEpochMilli(nextStepAtMs).toString());
  }
}
