package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/** A Cyclr template (integration) as a request names it: by id, or by exact name. */
public record TemplateRef(String id, String name) {

  public static TemplateRef ofId(String id) {
    return new TemplateRef(id, null);
  }

  public static TemplateRef ofName(String name) {
    return new TemplateRef(null, name);
  }

  public JsonObject toJson() {
    return id != null ? new JsonObject().put("id", id) : new JsonObject().put("name", name);
  }

  public static TemplateRef fromJson(JsonObject j) {
    if (j == null) {
      return null;
    }
    return j.getValue("id") != null ? ofId(String.valueOf(j.getValue("id"))) : ofName(j.getString("name"));
  }

  /** Stable key for caches: "id:…" or "name:…". */
  public String key() {
    return id != null ? "id:" + id.toLowerCase() : "name:" + name;
  }

  @Override
  public String toString() {
    return id != null ? "template " + id : "template '" + name + "'";
  }
}
