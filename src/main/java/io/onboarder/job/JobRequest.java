package io.onboarder.job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A validated bulk-install request. {@link #specJson()} is what is persisted for the job
 * (no auth values); each item's auth value is stored encrypted, apart from its spec. With a
 * {@code template}, every account of the job also gets the template's cycle once its items are ready,
 * activated as {@code activate} says (null: installed, not activated).
 */
public record JobRequest(
    ConnectorRef connector,
    String installName,
    String description,
    String targetOrigin,
    String callbackMessage,
    String username,
    boolean dryRun,
    boolean createAccounts,
    double toleratedFailurePercent,
    List<Item> items,
    TemplateRef template,
    Activation activate) {

  /** One requested install; {@code connector} and {@code installName} are per-item overrides (nullable). */
  public record Item(String account, String authValue, JsonArray properties, ConnectorRef connector,
                     String installName) {

    /** The non-secret part of the item, or null when it only names an account. */
    public JsonObject specJson() {
      if (properties == null && connector == null && installName == null) {
        return null;
      }
      JsonObject j = new JsonObject();
      if (connector != null) {
        j.put("connector", connector.toJson());
      }
      if (installName != null) {
        j.put("installName", installName);
      }
      if (properties != null) {
        j.put("properties", properties);
      }
      return j;
    }
  }

  public JsonObject specJson() {
    JsonObject oauth = new JsonObject();
    if (targetOrigin != null) {
      oauth.put("targetOrigin", targetOrigin);
    }
    if (callbackMessage != null) {
      oauth.put("callbackMessage", callbackMessage);
    }
    if (username != null) {
      oauth.put("username", username);
    }
    JsonObject j = new JsonObject()
        .put("oauth", oauth)
        .put("options", new JsonObject()
            .put("dryRun", dryRun)
            .put("createAccounts", createAccounts)
            .put("toleratedFailurePercent", toleratedFailurePercent));
    if (connector != null) {
      j.put("connector", connector.toJson());
    }
    if (installName != null) {
      j.put("installName", installName);
    }
    if (description != null) {
      j.put("description", description);
    }
    if (template != null) {
      j.put("template", template.toJson());
    }
    if (activate != null) {
      j.put("activate", activate.toJson());
    }
    return j;
  }
}
