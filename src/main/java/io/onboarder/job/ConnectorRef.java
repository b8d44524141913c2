package io.onboarder.job;

import io.vertx.core.json.JsonObject;

/** A connector as a request names it: by Cyclr id, or by name and optional version. */
public record ConnectorRef(Long id, String name, String version) {

  public static ConnectorRef ofId(long id) {
    return new ConnectorRef(id, null, null);
  }

  public static ConnectorRef ofName(String name, String version) {
    return new ConnectorRef(null, name, version);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    if (id != null) {
      j.put("id", id);
    } else {
      j.put("name", name);
      if (version != null) {
        j.put("version", version);
      }
    }
    return j;
  }

  public static ConnectorRef fromJson(JsonObject j) {
    if (j == null) {
      return null;
    }
    Object id = j.getValue("id");
    if (id instanceof Number n) {
      return ofId(n.longValue());
    }
    return ofName(j.getString("name"), j.getString("version"));
  }

  /** Stable key for caches: "id:2" or "name:salesforce@1.0". */
  public String key() {
    return id != null ? "id:" + id : "name:" + name.toLowerCase() + "@" + (version == null ? "" : version);
  }

  @Override
  public String toString() {
    return id != null ? "connector " + id : "connector '" + name + "'" + (version == null ? "" : " " + version);
  }
}
