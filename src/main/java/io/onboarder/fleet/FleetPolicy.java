package io.onboarder.fleet;

import io.onboarder.job.ValidationErrors;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * How a fleet is kept: whether changes apply by themselves, whether drift is repaired, how often live
 * state is read, whether tenants that leave the spec lose what the fleet installed (and at most how
 * many per apply), and how an apply is rolled out (steps in percent of the changing tenants, the
 * failure share of a step that halts it, the pause between steps).
 */
public record FleetPolicy(boolean autoApply, boolean autoRepair, int reconcileIntervalSeconds, boolean prune,
                          double maxPrunePercent, List<Double> steps, double haltOnFailurePercent,
                          int pauseSeconds) {
  public static final int MIN_INTERVAL_S = 10;
  public static final int MAX_INTERVAL_S = 86_400;
  public static final int MAX_STEPS = 10;
  public static final FleetPolicy DEFAULT = new FleetPolicy(false, true, 3600, false, 5, List.of(1.0, 10.0, 100.0),
      5, 600);

  /** Query parameters of a CSV {@code PUT} that set policy fields, and where each goes. */
  private static final List<String> QUERY = List.of("autoApply", "autoRepair", "reconcileIntervalSeconds", "prune",
      "maxPrunePercent", "steps", "haltOnFailurePercent", "pauseSeconds");

  /** The policy {@code raw} (the body's "policy" member, or null for all defaults), violations to {@code errors}. */
  public static FleetPolicy of(Object raw, ValidationErrors errors) {
    if (raw == null) {
      return DEFAULT;
    }
    if (!(raw instanceof JsonObject p)) {
      errors.add("/policy", "must be an object");
      return DEFAULT;
    }
    FleetPolicy d = DEFAULT;
    boolean autoApply = bool(p, "autoApply", d.autoApply, errors);
    boolean autoRepair = bool(p, "autoRepair", d.autoRepair, errors);
    int interval = (int) number(p, "reconcileIntervalSeconds", "/policy", d.reconcileIntervalSeconds, MIN_INTERVAL_S,
        MAX_INTERVAL_S, true, errors);
    boolean prune = bool(p, "prune", d.prune, errors);
    double maxPrune = number(p, "maxPrunePercent", "/policy", d.maxPrunePercent, 0, 100, false, errors);
    List<Double> steps = d.steps;
    double halt = d.haltOnFailurePercent;
    int pause = d.pauseSeconds;
    Object rolloutRaw = p.getValue("rollout");
    if (rolloutRaw != null && !(rolloutRaw instanceof JsonObject)) {
      errors.add("/policy/rollout", "must be an object");
    } else if (rolloutRaw instanceof JsonObject r) {
      steps = r.getValue("steps") == null ? steps : steps(r.getValue("steps"), errors);
      halt = number(r, "haltOnFailurePercent", "/policy/rollout", halt, 0, 100, false, errors);
      pause = (int) number(r, "pauseSeconds", "/policy/rollout", pause, 0, MAX_INTERVAL_S, true, errors);
    }
    return new FleetPolicy(autoApply, autoRepair, interval, prune, maxPrune, steps, halt, pause);
  }

  private static List<Double> steps(Object raw, ValidationErrors errors) {
    String at = "/policy/rollout/steps";
    if (!(raw instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_STEPS) {
      errors.add(at, "must be an array of 1 to " + MAX_STEPS
          + " percentages, rising, the last 100 (e.g. [1, 10, 100])");
      return DEFAULT.steps;
    }
    List<Double> steps = new ArrayList<>();
    double last = 0;
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof Number n) || n.doubleValue() <= last || n.doubleValue() > 100) {
        errors.add(at + "/" + i, "must be a percentage above the step before it and at most 100");
        return DEFAULT.steps;
      }
      last = n.doubleValue();
      steps.add(last);
    }
    if (last != 100) {
      errors.add(at, "must end with 100, so that every changing tenant is reached");
    }
    return List.copyOf(steps);
  }

  private static boolean bool(JsonObject p, String field, boolean def, ValidationErrors errors) {
    Object v = p.getValue(field);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    errors.add("/policy/" + field, "must be true or false");
    return def;
  }

  private static double number(JsonObject p, String field, String at, double def, double min, double max,
                               boolean whole, ValidationErrors errors) {
    Object v = p.getValue(field);
    if (v == null) {
      return def;
    }
    if (v instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max
        && (!whole || n.doubleValue() == Math.rint(n.doubleValue()))) {
      return n.doubleValue();
    }
    errors.add(at + "/" + field, "must be " + (whole ? "a whole number" : "a number") + " from " + fmt(min) + " to "
        + fmt(max));
    return def;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  /**
   * The policy fields the query of a CSV {@code PUT} sets, in the JSON shape (so the same rules check
   * them), or null if it sets none: {@code autoApply}, {@code autoRepair}, {@code reconcileIntervalSeconds},
   * {@code prune}, {@code maxPrunePercent}, {@code steps} (comma-separated), {@code haltOnFailurePercent},
   * {@code pauseSeconds}.
   */
  public static JsonObject fromQuery(MultiMap params) {
    JsonObject policy = new JsonObject();
    JsonObject rollout = new JsonObject();
    for (String name : QUERY) {
      String raw = params.get(name);
      if (raw == null) {
        continue;
      }
      raw = raw.strip();
      Object value = switch (name) {
        case "autoApply", "autoRepair", "prune" -> raw.equalsIgnoreCase("true") ? Boolean.TRUE
            : raw.equalsIgnoreCase("false") ? Boolean.FALSE : raw;
        case "steps" -> {
          JsonArray a = new JsonArray();
          for (String s : raw.split(",")) {
            a.add(parse(s.strip()));
          }
          yield a;
        }
        default -> parse(raw);
      };
      (name.equals("steps") || name.equals("haltOnFailurePercent") || name.equals("pauseSeconds") ? rollout : policy)
          .put(name, value);
    }
    if (!rollout.isEmpty()) {
      policy.put("rollout", rollout);
    }
    return policy.isEmpty() ? null : policy;
  }

  private static Object parse(String s) {
    try {
      return s.matches("-?\\d{1,9}") ? (Object) Integer.parseInt(s) : (Object) Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return s;
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("autoApply", autoApply)
        .put("autoRepair", autoRepair)
        .put("reconcileIntervalSeconds", reconcileIntervalSeconds)
        .put("prune", prune)
        .put("maxPrunePercent", wire(maxPrunePercent))
        .put("rollout", new JsonObject()
            .put("steps", new JsonArray(steps.stream().map(FleetPolicy::wire).toList()))
            .put("haltOnFailurePercent", wire(haltOnFailurePercent))
            .put("pauseSeconds", pauseSeconds));
  }

  /** 10.0 as 10 in JSON (what the caller wrote), 0.5 as 0.5. */
  private static Number wire(double d) {
    return d == Math.rint(d) ? (Number) (long) d : (Number) d;
  }
}
