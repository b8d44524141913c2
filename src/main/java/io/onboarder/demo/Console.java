package io.onboarder.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** What the demo prints: one line at a time on stdout, counts and accounts in a compact form. */
final class Console {
  private Console() {}

  static void say(String format, Object... args) {
    System.out.println(String.format(format, args));
  }

  /** {@code {"INSTALLED": 3, "FAILED": 0}} → {@code INSTALLED 3}: the non-zero counts only. */
  static String compact(JsonObject counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach(e -> {
      if (((Number) e.getValue()).longValue() > 0) {
        parts.add(e.getKey() + " " + e.getValue());
      }
    });
    return String.join(", ", parts);
  }

  /** An account of a job with a template: its cycle, or the first prerequisite it still waits for. */
  static String detail(JsonObject account) {
    JsonArray prerequisites = account.getJsonArray("prerequisites");
    if (account.getString("status").equals("ACTIVE") || prerequisites == null || prerequisites.isEmpty()) {
      return "cycle " + account.getString("cycleId");
    }
    JsonObject p = prerequisites.getJsonObject(0);
    return "prerequisite " + p.getValue("code") + ": " + p.getString("reason");
  }
}
