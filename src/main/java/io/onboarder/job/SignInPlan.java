package io.onboarder.job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's sign-in campaign, its field {@code "signIn": {"remindAfterHours": [48, 120], "expireAfterHours": 336}}:
 * when tenants who have not signed in yet are reminded (hours after their link was issued, ascending), and
 * when their link expires ({@code null}: after {@code LINKS_TTL_HOURS}). Hours may be fractional, at least
 * {@value #MIN_HOURS} (3.6 s, for demos and tests), at most {@value #MAX_HOURS} (the longest a link lives).
 */
public record SignInPlan(List<Double> remindAfterHours, Double expireAfterHours) {
  public static final double MIN_HOURS = 0.001;
  public static final double MAX_HOURS = 720;
  /** More reminders than this is spam, not a campaign. */
  public static final int MAX_REMINDERS = 10;
  /** No reminders, links live {@code LINKS_TTL_HOURS}: what a job without the field gets. */
  public static final SignInPlan NONE = new SignInPlan(List.of(), null);

  public SignInPlan {
    remindAfterHours = List.copyOf(remindAfterHours);
  }

  /** The reminder times in milliseconds after the link was issued. */
  public List<Long> remindAfterMs() {
    return remindAfterHours.stream().map(SignInPlan::ms).toList();
  }

  /** The link's lifetime in milliseconds, or {@code defaultMs} (LINKS_TTL_HOURS) when the job sets none. */
  public long expireAfterMs(long defaultMs) {
    return expireAfterHours == null ? defaultMs : ms(expireAfterHours);
  }

  private static long ms(double hours) {
    return Math.round(hours * 3_600_000);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("remindAfterHours", new JsonArray(new ArrayList<>(remindAfterHours)));
    return expireAfterHours == null ? j : j.put("expireAfterHours", expireAfterHours);
  }

  /** The plan a job's stored spec holds ({@link #NONE} without one). */
  public static SignInPlan of(JsonObject spec) {
    JsonObject j = spec == null ? null : spec.getJsonObject("signIn");
    if (j == null) {
      return NONE;
    }
    List<Double> reminders = new ArrayList<>();
    j.getJsonArray("remindAfterHours", new JsonArray()).forEach(h -> reminders.add(((Number) h).doubleValue()));
    Number expire = j.getNumber("expireAfterHours");
    return new SignInPlan(reminders, expire == null ? null : expire.doubleValue());
  }

  /** The field as a request gives it, checked: violations go to {@code errors} (then the result is not used). */
  static SignInPlan parse(Object raw, ValidationErrors errors) {
    if (!(raw instanceof JsonObject j)) {
      errors.add("/signIn", "must be an object {\"remindAfterHours\"?: [hours…], \"expireAfterHours\"?: hours}");
      return NONE;
    }
    for (String field : j.fieldNames()) {
      if (!field.equals("remindAfterHours") && !field.equals("expireAfterHours")) {
        errors.add("/signIn/" + field, "is not a field of signIn (remindAfterHours, expireAfterHours)");
      }
    }
    Double expire = j.getValue("expireAfterHours") == null ? null
        : hours(j.getValue("expireAfterHours"), "/signIn/expireAfterHours", errors);
    List<Double> reminders = new ArrayList<>();
    Object rawReminders = j.getValue("remindAfterHours");
    if (rawReminders != null && !(rawReminders instanceof JsonArray)) {
      errors.add("/signIn/remindAfterHours", "must be an array of hours, ascending, e.g. [48, 120]");
    } else if (rawReminders instanceof JsonArray array) {
      if (array.size() > MAX_REMINDERS) {
        errors.add("/signIn/remindAfterHours", "at most " + MAX_REMINDERS + " reminders");
      }
      for (int i = 0; i < array.size() && i < MAX_REMINDERS; i++) {
        String at = "/signIn/remindAfterHours/" + i;
        Double h = hours(array.getValue(i), at, errors);
        if (h == null) {
          continue;
        }
        if (!reminders.isEmpty() && h <= reminders.get(reminders.size() - 1)) {
          errors.add(at, "must be later than the reminder before it (ascending hours)");
        } else if (expire != null && h >= expire) {
          errors.add(at, "must be before expireAfterHours (" + expire + "): a reminder after expiry leads nowhere");
        }
        reminders.add(h);
      }
    }
    return new SignInPlan(reminders, expire);
  }

  private static Double hours(Object v, String at, ValidationErrors errors) {
    if (v instanceof Number n && !Double.isNaN(n.doubleValue()) && n.doubleValue() >= MIN_HOURS
        && n.doubleValue() <= MAX_HOURS) {
      return n.doubleValue();
    }
    errors.add(at, "must be a number of hours from " + MIN_HOURS + " to " + (int) MAX_HOURS + " (fractions allowed)");
    return null;
  }
}
