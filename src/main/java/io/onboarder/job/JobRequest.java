package io.onboarder.job;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A validated bulk-install request. {@link #specJson()} is what is persisted for the job
 * (no auth values); each item's auth value is stored encrypted, apart from its spec. A streamed
 * request is validated as job fields (this record with no items) plus items one by one. With a
 * {@code template}, every account of the job also gets the template's cycle once its items are ready,
 * activated as {@code activate} says (null: installed, not activated). {@code signIn}: when tenants who
 * have to sign in are reminded and their links expire. A job that is one step of a fleet's apply names
 * the {@code fleet} and its {@code step} (1-based); only the fleet code sets them.
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
    Activation activate,
    SignInPlan signIn,
    String fleet,
    Integer step) {

  /**
   * One requested install; {@code connector}, {@code installName} and {@code description} are per-item
   * overrides (nullable).
   */
  public record Item(String account, String authValue, JsonArray properties, ConnectorRef connector,
                     String installName, String description) {

    /**
     * {@link #specJson()} encoded, written directly: a million-item job encodes a million of these,
     * and building then serializing a tree for each costs more than everything else at intake.
     */
    public String specText() {
      if (properties == null && connector == null && installName == null && description == null) {
        return null;
      }
      StringBuilder b = new StringBuilder(128);
      b.append('{');
      if (connector != null) {
        b.append("\"connector\":{");
        if (connector.id() != null) {
          b.append("\"id\":").append(connector.id().longValue());
        } else {
          quoted(b.append("\"name\":"), connector.name());
          if (connector.version() != null) {
            quoted(b.append(",\"version\":"), connector.version());
          }
        }
        b.append('}');
      }
      if (installName != null) {
        quoted(b.append(b.length() > 1 ? "," : "").append("\"installName\":"), installName);
      }
      if (description != null) {
        quoted(b.append(b.length() > 1 ? "," : "").append("\"description\":"), description);
      }
      if (properties != null) {
        b.append(b.length() > 1 ? "," : "").append("\"properties\":[");
        for (int i = 0; i < properties.size(); i++) {
          JsonObject p = properties.getJsonObject(i);
          quoted(b.append(i > 0 ? ",{" : "{").append("\"name\":"), p.getString("name"));
          quoted(b.append(",\"value\":"), p.getString("value")).append('}');
        }
        b.append(']');
      }
      return b.append('}').toString();
    }

    /**
     * Whether {@code other} has the same non-secret part (so the same {@link #specText()}): the rows of a
     * big list mostly share it, and comparing is much cheaper than encoding it again.
     */
    public boolean sameSpec(Item other) {
      return other != null && java.util.Objects.equals(installName, other.installName)
          && java.util.Objects.equals(description, other.description)
          && java.util.Objects.equals(connector, other.connector)
          && java.util.Objects.equals(properties, other.properties);
    }

    /**
     * This item with {@code other}'s non-secret part (the same instances) when it is the same, else this
     * item: a big list's items in flight then hold one copy of what they share instead of one each.
     */
    public Item sharingSpecWith(Item other) {
      return other == null || other == this || !sameSpec(other) ? this
          : new Item(account, authValue, other.properties, other.connector, other.installName, other.description);
    }

    private static StringBuilder quoted(StringBuilder b, String s) {
      return b.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
    }

    /** The non-secret part of the item, or null when it only names an account. */
    public JsonObject specJson() {
      if (properties == null && connector == null && installName == null && description == null) {
        return null;
      }
      JsonObject j = new JsonObject();
      if (connector != null) {
        j.put("connector", connector.toJson());
      }
      if (installName != null) {
        j.put("installName", installName);
      }
      if (description != null) {
        j.put("description", description);
      }
      if (properties != null) {
        j.put("properties", properties);
      }
      return j;
    }
  }

  /** The same job fields with {@code items}. */
  public JobRequest withItems(List<Item> items) {
    return new JobRequest(connector, installName, description, targetOrigin, callbackMessage, username, dryRun,
        createAccounts, toleratedFailurePercent, items, template, activate, signIn, fleet, step);
  }

  /** The same job as step {@code step} of fleet {@code fleet}'s apply. */
  public JobRequest asFleetStep(String fleet, int step) {
    return new JobRequest(connector, installName, description, targetOrigin, callbackMessage, username, dryRun,
        createAccounts, toleratedFailurePercent, items, template, activate, signIn, fleet, step);
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
    if (signIn != null && !signIn.equals(SignInPlan.NONE)) {
      j.put("signIn", signIn.toJson());
    }
    if (fleet != null) {
      j.put("fleet", fleet).put("step", step);
    }
    return j;
  }
}
