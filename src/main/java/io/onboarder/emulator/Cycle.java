package io.onboarder.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A cycle: one template installed into one account. Its prerequisites are computed when asked, from
 * the live state of its account connectors (a sign-in clears reason 20) and of its field mappings
 * (reason 40 until {@link CyclrEmulator#completeSetup} says the mappings were made).
 */
final class Cycle {
  final String id;
  final String accountId;
  final JsonObject template;
  /** The account connectors the cycle's steps use, one per template connector. */
  final List<AccountConnector> connectors;
  private volatile boolean active;
  private volatile boolean mappingsDone;
  private volatile JsonObject schedule = new JsonObject();

  Cycle(String id, String accountId, JsonObject template, List<AccountConnector> connectors) {
    this.id = id;
    this.accountId = accountId;
    this.template = template;
    this.connectors = connectors;
  }

  String templateId() {
    return template.getString("Id");
  }

  boolean active() {
    return active;
  }

  /** Activates; false if it was active already. */
  boolean activate(JsonObject schedule) {
    this.schedule = schedule;
    boolean was = active;
    active = true;
    return !was;
  }

  void deactivate() {
    active = false;
  }

  void mappingsDone() {
    mappingsDone = true;
  }

  /** Cyclr's [{ReasonCode, Reason, ObjectType, ObjectId}]: empty when the cycle is ready to activate. */
  JsonArray prerequisites() {
    JsonArray out = new JsonArray();
    for (AccountConnector ac : connectors) {
      if (!ac.authenticated()) {
        out.add(new JsonObject().put("ReasonCode", 20)
            .put("Reason", "Account connector '" + ac.name + "' is not authenticated.")
            .put("ObjectType", "AccountConnector").put("ObjectId", ac.id));
      }
    }
    JsonArray mappings = template.getJsonArray("RequiredMappings", new JsonArray());
    if (!mappingsDone) {
      for (Object o : mappings) {
        JsonObject m = (JsonObject) o;
        out.add(new JsonObject().put("ReasonCode", 40)
            .put("Reason", "Field '" + m.getString("Field") + "' of step '" + m.getString("Step")
                + "' needs a mapping.")
            .put("ObjectType", "StepField").put("ObjectId", m.getString("Id")));
      }
    }
    return out;
  }

  JsonObject toJson() {
    JsonArray cs = new JsonArray();
    for (AccountConnector ac : connectors) {
      cs.add(new JsonObject().put("Id", ac.connectorId).put("Name", ac.name).put("AccountConnectorId", ac.id)
          .put("Authenticated", ac.authenticated()));
    }
    return new JsonObject()
        .put("Id", id)
        .put("Name", template.getString("Name"))
        .put("Description", template.getString("Description", ""))
        .put("Status", active ? "Active" : "Paused")
        .put("TemplateId", templateId())
        .put("Interval", schedule.getValue("Interval"))
        .put("RunOnce", schedule.getBoolean("RunOnce", false))
        .put("StartTime", schedule.getValue("StartTime"))
        .put("Connectors", cs);
  }
}
