package io.onboarder.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The connectors every new emulator starts with; tests and the demo rely on these exact Ids, names and auth types. */
public final class DefaultCatalogue {

  private DefaultCatalogue() {
  }

  /** Fresh copies each call, in Id order. */
  public static List<JsonObject> connectors() {
    return List.of(
        connector(1, "Example Connector", "1.0", "Approved", "ApiKey", "Unknown", "Region"),
        connector(2, "Salesforce", "1.0", "Approved", "OAuth2", "AuthorisationCode"),
        connector(3, "Basic Connector", "1.0", "Approved", "Basic", "Unknown"),
        connector(4, "Legacy OAuth1 Connector", "1.0", "Approved", "OAuth1", "Unknown"),
        connector(5, "Draft Connector", "0.1", "Draft", "ApiKey", "Unknown"),
        connector(6, "Example Connector", "2.0", "Approved", "ApiKey", "Unknown", "Region"),
        connector(7, "Machine OAuth Connector", "1.0", "Approved", "OAuth2", "ClientCredentials"));
  }

  /** Id of "API Key Sync": the API-key connector only; ready to activate once it is installed with a key. */
  public static final String API_KEY_TEMPLATE = "6c0b2a5e-0001-4a5e-9c1e-000000000001";
  /** Id of "Salesforce Sync": the API-key connector and the OAuth2 Salesforce connector (a sign-in). */
  public static final String OAUTH_TEMPLATE = "6c0b2a5e-0002-4a5e-9c1e-000000000002";
  /** Id of "Mapped Sync": the API-key connector and a field mapping that only a person can make. */
  public static final String MAPPING_TEMPLATE = "6c0b2a5e-0003-4a5e-9c1e-000000000003";

  /** The templates every new emulator starts with (fresh copies). */
  public static List<JsonObject> templates() {
    return List.of(
        new JsonObject().put("Id", API_KEY_TEMPLATE).put("Name", "API Key Sync")
            .put("Description", "Syncs contacts through the Example Connector")
            .put("Connectors", new JsonArray().add(1)),
        new JsonObject().put("Id", OAUTH_TEMPLATE).put("Name", "Salesforce Sync")
            .put("Description", "Syncs contacts from the Example Connector to Salesforce")
            .put("Connectors", new JsonArray().add(1).add(2)),
        new JsonObject().put("Id", MAPPING_TEMPLATE).put("Name", "Mapped Sync")
            .put("Description", "Needs its field mappings set up in Cyclr")
            .put("Connectors", new JsonArray().add(1))
            .put("RequiredMappings", new JsonArray().add(new JsonObject().put("Step", "Create Contact")
                .put("Field", "Email"))));
  }

  static JsonObject connector(int id, String name, String version, String status, String authType,
                              String oauth2Type, String... propertyNames) {
    JsonArray properties = new JsonArray();
    for (String p : propertyNames) {
      properties.add(EmulatorState.property(p));
    }
    return new JsonObject()
        .put("Id", id)
        .put("Name", name)
        .put("Description", name + " (emulated)")
        .put("Status", status)
        .put("Version", version)
        .putNull("Icon")
        .put("AuthDescription", authDescription(authType, oauth2Type))
        .put("AuthType", authType)
        .put("OAuth2Type", oauth2Type)
        .put("AuthScheme", switch (authType) {
          case "ApiKey" -> "Header";
          case "Basic" -> "Basic";
          case "OAuth1" -> "OAuth1";
          case "OAuth2" -> "Bearer";
          default -> "None";
        })
        .put("Authentication", new JsonArray().add(new JsonObject()
            .put("Id", id * 10)
            .put("AuthName", "Default")
            .put("AuthType", authType)
            .put("OAuth2Type", oauth2Type)))
        .put("Properties", properties)
        .put("Parameters", new JsonArray());
  }

  private static String authDescription(String authType, String oauth2Type) {
    return switch (authType) {
      case "ApiKey" -> "Enter your API key.";
      case "Basic" -> "Enter your username and password.";
      case "OAuth1" -> "Sign in with your account (OAuth 1.0a).";
      case "OAuth2" -> "ClientCredentials".equals(oauth2Type)
          ? "No sign-in needed: the connector uses client credentials."
          : "Sign in with your account (OAuth 2.0).";
      default -> "";
    };
  }
}
