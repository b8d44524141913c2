package io.onboarder.job;

import io.onboarder.bus.JsonBounds;
import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a submitted JSON body into a {@link JobRequest} or a 400/422 {@link Problem} listing every
 * violation as {pointer, message}. The one implementation of the rules: the event bus validates a
 * whole object with {@link #validate}; a streamed body (JSON, NDJSON, CSV) validates its job fields
 * with {@link #fields} and each item as it arrives with {@link #item}.
 */
public final class JobRequestValidator {
  static final int MAX_ACCOUNT_LENGTH = 200;
  static final int MAX_AUTH_VALUE_BYTES = 8 * 1024;
  static final int MAX_NAME_LENGTH = 200;
  static final int MAX_TEXT_LENGTH = 2000;
  static final int MAX_PROPERTIES = 100;

  private final int maxItemsPerJob;

  public JobRequestValidator(int maxItemsPerJob) {
    this.maxItemsPerJob = maxItemsPerJob;
  }

  public int maxItemsPerJob() {
    return maxItemsPerJob;
  }

  public JobRequest validate(Object body) {
    if (!(body instanceof JsonObject json)) {
      throw Problem.badRequest("The request body must be a JSON object.");
    }
    // A tree from the event bus was built by the sender: its sizes are checked before anything reads it.
    JsonBounds.check(json);
    ValidationErrors errors = new ValidationErrors();
    JobRequest fields = fields(json, errors);
    Object itemsRaw = json.getValue("items");
    List<JobRequest.Item> items = new ArrayList<>();
    if (!(itemsRaw instanceof JsonArray array)) {
      errors.add("/items", itemsRaw == null ? "is required: a non-empty array of items" : "must be an array");
    } else if (array.isEmpty()) {
      errors.add("/items", "must not be empty");
    } else if (array.size() > maxItemsPerJob) {
      throw tooManyItems(array.size());
    } else {
      for (int i = 0; i < array.size(); i++) {
        JobRequest.Item item = item(array.getValue(i), i, errors);
        if (item != null && item.connector() == null && fields.connector() == null) {
          connectorRequired(pointer(i, ""), errors);
        } else if (item != null) {
          items.add(item);
        }
      }
    }
    errors.throwIfAny();
    return fields.withItems(List.copyOf(items));
  }

  /** 422: the job has more items than a job may hold ({@code count}, or null when a stream was cut short). */
  public Problem tooManyItems(Integer count) {
    return Problem.validation(422, "A job may hold at most " + maxItemsPerJob + " items; this one has "
            + (count == null ? "more" : count) + ". Split it into several jobs.",
        new JsonArray().add(new JsonObject().put("pointer", "/items")
            .put("message", "at most " + maxItemsPerJob + " items per job")));
  }

  /**
   * The job-level fields of {@code json} (its {@code items} are ignored), as a request without items.
   * Violations go to {@code errors}; the result is then not to be used.
   */
  public JobRequest fields(JsonObject json, ValidationErrors errors) {
    ConnectorRef jobConnector = json.containsKey("connector")
        ? connector(json.getValue("connector"), "/connector", errors) : null;
    String installName = text(json, "installName", "/installName", MAX_NAME_LENGTH, errors);
    String description = text(json, "description", "/description", MAX_TEXT_LENGTH, errors);

    String targetOrigin = null;
    String callbackMessage = null;
    String username = null;
    Object oauthRaw = json.getValue("oauth");
    if (oauthRaw != null) {
      if (oauthRaw instanceof JsonObject oauth) {
        targetOrigin = text(oauth, "targetOrigin", "/oauth/targetOrigin", MAX_TEXT_LENGTH, errors);
        if (targetOrigin != null && !isHttpUrl(targetOrigin)) {
          errors.add("/oauth/targetOrigin", "must be an absolute http(s) URL, e.g. https://app.example.com");
        }
        callbackMessage = text(oauth, "callbackMessage", "/oauth/callbackMessage", MAX_TEXT_LENGTH, errors);
        username = text(oauth, "username", "/oauth/username", MAX_NAME_LENGTH, errors);
      } else {
        errors.add("/oauth", "must be an object");
      }
    }

    boolean dryRun = false;
    boolean createAccounts = false;
    double tolerated = 100;
    Object optionsRaw = json.getValue("options");
    if (optionsRaw != null) {
      if (optionsRaw instanceof JsonObject options) {
        dryRun = bool(options, "dryRun", "/options/dryRun", errors);
        createAccounts = bool(options, "createAccounts", "/options/createAccounts", errors);
        Object t = options.getValue("toleratedFailurePercent");
        if (t != null) {
          if (t instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 100) {
            tolerated = n.doubleValue();
          } else {
            errors.add("/options/toleratedFailurePercent", "must be a number from 0 to 100");
          }
        }
      } else {
        errors.add("/options", "must be an object");
      }
    }

    TemplateRef template = json.getValue("template") == null ? null : template(json.getValue("template"), errors);
    Activation activate = json.getValue("activate") == null ? null : activation(json.getValue("activate"), errors);
    if (activate != null && template == null && json.getValue("template") == null) {
      errors.unprocessable("/activate", "needs a template: activation applies to the cycle a template installs");
    }

    SignInPlan signIn = json.getValue("signIn") == null ? SignInPlan.NONE
        : SignInPlan.parse(json.getValue("signIn"), errors);
    return new JobRequest(jobConnector, installName, description, targetOrigin, callbackMessage, username,
        dryRun, createAccounts, tolerated, List.of(), template, activate, signIn, null, null);
  }

  /** {"id": string or positive integer} or {"name": string}: exactly one of them. */
  private static TemplateRef template(Object raw, ValidationErrors errors) {
    if (!(raw instanceof JsonObject t)) {
      errors.add("/template", "must be {\"id\": \"…\"} or {\"name\": \"…\"}");
      return null;
    }
    Object id = t.getValue("id");
    Object name = t.getValue("name");
    if (id != null && name != null) {
      errors.add("/template", "give either id or name, not both");
      return null;
    }
    if (id != null) {
      if (id instanceof String s && !s.isBlank() && s.length() <= MAX_NAME_LENGTH && !hasControlChars(s)) {
        return TemplateRef.ofId(s.strip());
      }
      if (isPositiveInteger(id)) {
        return TemplateRef.ofId(String.valueOf(((Number) id).longValue()));
      }
      errors.add("/template/id", "must be a non-empty string (Cyclr's template Id) of at most " + MAX_NAME_LENGTH
          + " characters");
      return null;
    }
    if (name instanceof String s && !s.isBlank() && s.length() <= MAX_NAME_LENGTH && !hasControlChars(s)) {
      return TemplateRef.ofName(s.strip());
    }
    errors.add(name == null ? "/template" : "/template/name", name == null
        ? "must be {\"id\": \"…\"} or {\"name\": \"…\"}"
        : "must be a non-empty string of at most " + MAX_NAME_LENGTH + " characters");
    return null;
  }

  /** {"interval": one of Cyclr's minutes, "runOnce"?: bool, "startTime"?: ISO-8601}; interval may go with runOnce. */
  private static Activation activation(Object raw, ValidationErrors errors) {
    if (!(raw instanceof JsonObject a)) {
      errors.add("/activate", "must be an object {\"interval\": minutes, \"runOnce\"?: bool, \"startTime\"?: "
          + "ISO-8601}");
      return null;
    }
    long before = errors.count();
    boolean runOnce = bool(a, "runOnce", "/activate/runOnce", errors);
    Object intervalRaw = a.getValue("interval");
    Integer interval = null;
    if (intervalRaw == null) {
      if (!runOnce) {
        errors.unprocessable("/activate/interval", "is required unless runOnce is true: minutes, one of "
            + Activation.INTERVALS);
      }
    } else if (intervalRaw instanceof Number n && isPositiveInteger(n) && Activation.INTERVALS.contains(n.intValue())
        && n.doubleValue() == n.intValue()) {
      interval = n.intValue();
    } else if (intervalRaw instanceof Number) {
      errors.unprocessable("/activate/interval", "must be one of Cyclr's intervals in minutes: "
          + Activation.INTERVALS + "; got " + intervalRaw);
    } else {
      errors.add("/activate/interval", "must be a number of minutes, one of " + Activation.INTERVALS);
    }
    String startTime = null;
    Object startRaw = a.getValue("startTime");
    if (startRaw != null) {
      if (!(startRaw instanceof String s) || s.length() > 64) {
        errors.add("/activate/startTime", "must be an ISO-8601 date-time string, e.g. 2025-01-31T09:00:00Z");
      } else if (!isDateTime(s.strip())) {
        errors.unprocessable("/activate/startTime", "is not an ISO-8601 date-time (e.g. 2025-01-31T09:00:00Z)");
      } else {
        startTime = s.strip();
      }
    }
    for (String field : a.fieldNames()) {
      if (!field.equals("interval") && !field.equals("runOnce") && !field.equals("startTime")) {
        errors.add("/activate/" + field, "is not a field of activate (interval, runOnce, startTime)");
      }
    }
    if (errors.count() != before) {
      return null;
    }
    // With runOnce Cyclr ignores the interval; a day is sent when none was given.
    return new Activation(interval == null ? 1440 : interval, runOnce, startTime);
  }

  private static boolean isDateTime(String s) {
    try {
      java.time.OffsetDateTime.parse(s);
      return true;
    } catch (java.time.format.DateTimeParseException e) {
      try {
        java.time.LocalDateTime.parse(s);
        return true;
      } catch (java.time.format.DateTimeParseException e2) {
        return false;
      }
    }
  }

  /** The error of an item that names no connector while the job names none either. */
  public static void connectorRequired(String at, ValidationErrors errors) {
    errors.add(at + "/connector", "is required: give a connector at job level or on the item");
  }

  /**
   * One item at {@code at} (e.g. "/items/7"), or null with its violations in {@code errors}. Whether it
   * needs a connector depends on the job's, which a stream may bring later: the caller checks that
   * ({@link #connectorRequired}) for an item whose {@code connector()} is null.
   */
  /** The pointer of a field of item {@code index}: built only for an error (a million items make none). */
  public static String pointer(int index, String suffix) {
    return "/items/" + index + suffix;
  }

  /** Item {@code index} of a job, or null with its errors added. */
  public static JobRequest.Item item(Object raw, int index, ValidationErrors errors) {
    if (!(raw instanceof JsonObject item)) {
      errors.add(pointer(index, ""), "must be an object");
      return null;
    }
    long before = errors.count();
    Object accountRaw = item.getValue("account");
    String account = null;
    if (!(accountRaw instanceof String s)) {
      errors.add(pointer(index, "/account"), accountRaw == null ? "is required" : "must be a string");
    } else if (s.isEmpty()) {
      errors.add(pointer(index, "/account"), "must not be empty");
    } else if (s.length() > MAX_ACCOUNT_LENGTH) {
      errors.add(pointer(index, "/account"), "must be at most " + MAX_ACCOUNT_LENGTH + " characters");
    } else if (!isPrintableAscii(s)) {
      // It travels in the X-Cyclr-Account header, which carries ASCII only.
      errors.add(pointer(index, "/account"), hasControlChars(s) ? "must not contain control characters"
          : "must be printable ASCII (it is sent in the X-Cyclr-Account header)");
    } else if (s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' ') {
      errors.add(pointer(index, "/account"), "must not start or end with white space");
    } else {
      account = s;
    }
    Object authRaw = item.getValue("authValue");
    String authValue = null;
    if (authRaw != null) {
      if (!(authRaw instanceof String s)) {
        errors.add(pointer(index, "/authValue"), "must be a string");
      } else if (s.length() > MAX_AUTH_VALUE_BYTES / 3 && s.getBytes(StandardCharsets.UTF_8).length > MAX_AUTH_VALUE_BYTES) {
        errors.add(pointer(index, "/authValue"), "must be at most 8 KiB");
      } else if (!s.isEmpty()) {
        authValue = s;
      }
    }
    JsonArray properties = null;
    Object propsRaw = item.getValue("properties");
    if (propsRaw != null) {
      properties = properties(propsRaw, index, errors);
    }
    ConnectorRef connector = item.containsKey("connector")
        ? connector(item.getValue("connector"), pointer(index, "/connector"), errors) : null;
    String installName = item.getValue("installName") == null ? null
        : text(item, "installName", index, "/installName", MAX_NAME_LENGTH, errors);
    String description = item.getValue("description") == null ? null
        : text(item, "description", index, "/description", MAX_TEXT_LENGTH, errors);
    if (errors.count() != before) {
      return null;
    }
    return new JobRequest.Item(account, authValue, properties, connector, installName, description);
  }

  /** The item's properties as given (each exactly {name, value}), or null with errors added. */
  private static JsonArray properties(Object raw, int index, ValidationErrors errors) {
    if (!(raw instanceof JsonArray array)) {
      errors.add(pointer(index, "/properties"), "must be an array of {name, value} strings");
      return null;
    }
    if (array.size() > MAX_PROPERTIES) {
      errors.add(pointer(index, "/properties"), "must hold at most " + MAX_PROPERTIES + " properties");
      return null;
    }
    boolean valid = true;
    for (int i = 0; i < array.size(); i++) {
      Object p = array.getValue(i);
      if (!(p instanceof JsonObject prop && prop.getValue("name") instanceof String name && !name.isBlank()
          && name.length() <= MAX_NAME_LENGTH && prop.getValue("value") instanceof String value
          && value.length() <= MAX_TEXT_LENGTH && prop.size() == 2)) {
        errors.add(pointer(index, "/properties/" + i), "must be an object {\"name\": non-empty string, \"value\": string}");
        valid = false;
      }
    }
    return valid ? array : null;
  }

  private static ConnectorRef connector(Object raw, String at, ValidationErrors errors) {
    if (raw instanceof JsonObject c) {
      Object id = c.getValue("id");
      Object name = c.getValue("name");
      if (id != null) {
        if (isPositiveInteger(id)) {
          return ConnectorRef.ofId(((Number) id).longValue());
        }
        errors.add(at + "/id", "must be a positive integer");
        return null;
      }
      if (name instanceof String s && !s.isBlank() && s.length() <= MAX_NAME_LENGTH && !hasControlChars(s)) {
        Object version = c.getValue("version");
        if (version != null && !(version instanceof String v && !v.isBlank() && v.length() <= 50
            && !hasControlChars(v))) {
          errors.add(at + "/version", "must be a non-empty string");
          return null;
        }
        return ConnectorRef.ofName(s.strip(), version == null ? null : ((String) version).strip());
      }
    }
    errors.add(at, "must be {\"id\": positive integer} or {\"name\": non-empty string, \"version\"?: string}");
    return null;
  }

  private static boolean isPositiveInteger(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue() > 0;
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d > 0 && d == Math.rint(d) && d < 9.0e15;
    }
    return false;
  }

  private static String text(JsonObject json, String field, String at, int max, ValidationErrors errors) {
    return text(json, field, -1, at, max, errors);
  }

  /** A text field at {@code at}, of item {@code index} when that is not -1: its pointer built only for an error. */
  private static String text(JsonObject json, String field, int index, String at, int max, ValidationErrors errors) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    String problem = !(v instanceof String s) ? "must be a string"
        : s.length() > max ? "must be at most " + max + " characters"
        : hasControlChars(s) ? "must not contain control characters" : null;
    if (problem != null) {
      errors.add(index < 0 ? at : pointer(index, at), problem);
      return null;
    }
    String s = (String) v;
    return s.isBlank() ? null : s.strip();
  }


  private static boolean bool(JsonObject json, String field, String at, ValidationErrors errors) {
    Object v = json.getValue(field);
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    errors.add(at, "must be true or false");
    return false;
  }

  /** Space to tilde only (checked per character: a million accounts per big job). */
  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7F) {
        return false;
      }
    }
    return true;
  }

  static boolean hasControlChars(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        return true;
      }
    }
    return false;
  }

  static boolean isHttpUrl(String s) {
    try {
      URI u = new URI(s);
      return u.isAbsolute() && ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
          && u.getHost() != null && !u.getHost().isEmpty();
    } catch (Exception e) {
      return false;
    }
  }
}
