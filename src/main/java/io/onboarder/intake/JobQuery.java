package io.onboarder.intake;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Job-level fields given as query parameters of {@code POST /v1/jobs} (the only place a CSV body can
 * take them from; for JSON and NDJSON bodies they override the body's): turned into the JSON shape,
 * so that the same rules validate them.
 */
public final class JobQuery {
  /** Query parameter → JSON pointer of the job field it sets. */
  static final Map<String, String> POINTERS = new LinkedHashMap<>();

  static {
    POINTERS.put("connectorId", "/connector/id");
    POINTERS.put("connectorName", "/connector/name");
    POINTERS.put("connectorVersion", "/connector/version");
    POINTERS.put("installName", "/installName");
    POINTERS.put("description", "/description");
    POINTERS.put("targetOrigin", "/oauth/targetOrigin");
    POINTERS.put("callbackMessage", "/oauth/callbackMessage");
    POINTERS.put("username", "/oauth/username");
    POINTERS.put("dryRun", "/options/dryRun");
    POINTERS.put("createAccounts", "/options/createAccounts");
    POINTERS.put("toleratedFailurePercent", "/options/toleratedFailurePercent");
    POINTERS.put("templateId", "/template/id");
    POINTERS.put("templateName", "/template/name");
    POINTERS.put("activateInterval", "/activate/interval");
    POINTERS.put("activateRunOnce", "/activate/runOnce");
    POINTERS.put("activateStartTime", "/activate/startTime");
    POINTERS.put("remindAfterHours", "/signIn/remindAfterHours");
    POINTERS.put("expireAfterHours", "/signIn/expireAfterHours");
  }

  private JobQuery() {}

  /** The job fields the query sets (an empty object if none); values that are not of the right type stay text. */
  public static JsonObject fields(MultiMap params) {
    JsonObject job = new JsonObject();
    for (Map.Entry<String, String> e : POINTERS.entrySet()) {
      String raw = params.get(e.getKey());
      if (raw == null) {
        continue;
      }
      Object value = switch (e.getKey()) {
        case "connectorId" -> raw.strip().matches("\\d{1,15}") ? (Object) Long.parseLong(raw.strip()) : raw;
        case "dryRun", "createAccounts", "activateRunOnce" -> raw.equalsIgnoreCase("true") ? Boolean.TRUE
            : raw.equalsIgnoreCase("false") ? Boolean.FALSE : raw;
        case "activateInterval" -> raw.strip().matches("\\d{1,9}") ? (Object) Integer.parseInt(raw.strip()) : raw;
        case "toleratedFailurePercent", "expireAfterHours" -> number(raw);
        // "48,120": the hours as a list; a part that is no number stays text (and is refused by the rules).
        case "remindAfterHours" -> new JsonArray(Arrays.stream(raw.split(",", -1)).map(JobQuery::number).toList());
        default -> raw;
      };
      String[] path = e.getValue().substring(1).split("/");
      JsonObject target = job;
      for (int i = 0; i < path.length - 1; i++) {
        if (target.getJsonObject(path[i]) == null) {
          target.put(path[i], new JsonObject());
        }
        target = target.getJsonObject(path[i]);
      }
      target.put(path[path.length - 1], value);
    }
    return job;
  }

  private static Object number(String raw) {
    try {
      return Double.parseDouble(raw.strip());
    } catch (NumberFormatException e) {
      return raw;
    }
  }

  /** The query parameter behind a job-field pointer, if the query set that field. */
  public static String parameterFor(String pointer, JsonObject query) {
    for (Map.Entry<String, String> e : POINTERS.entrySet()) {
      if (pointer.equals(e.getValue()) && has(query, e.getValue())) {
        return e.getKey();
      }
    }
    if (pointer.equals("/connector") && query.containsKey("connector")) {
      JsonObject c = query.getJsonObject("connector");
      return c.containsKey("id") ? "connectorId" : c.containsKey("name") ? "connectorName" : "connectorVersion";
    }
    if (pointer.equals("/template") && query.containsKey("template")) {
      return query.getJsonObject("template").containsKey("id") ? "templateId" : "templateName";
    }
    if (pointer.equals("/activate") && query.containsKey("activate")) {
      return "activateInterval";
    }
    return null;
  }

  private static boolean has(JsonObject query, String pointer) {
    String[] path = pointer.substring(1).split("/");
    Object cur = query;
    for (String p : path) {
      if (!(cur instanceof JsonObject o) || !o.containsKey(p)) {
        return false;
      }
      cur = o.getValue(p);
    }
    return true;
  }

  /** {@code body}'s job fields with those of {@code query} put over them. */
  public static JsonObject merge(JsonObject body, JsonObject query) {
    JsonObject merged = body.copy();
    for (String name : query.fieldNames()) {
      Object q = query.getValue(name);
      if ((name.equals("oauth") || name.equals("options") || name.equals("signIn"))
          && merged.getValue(name) instanceof JsonObject b) {
        merged.put(name, b.copy().mergeIn((JsonObject) q));
      } else {
        merged.put(name, q instanceof JsonObject o ? o.copy() : q);
      }
    }
    return merged;
  }
}
