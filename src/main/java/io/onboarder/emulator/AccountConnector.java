package io.onboarder.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** An installed connector of one account; it deliberately has no AuthValue field, so the secret cannot leak from a listing. */
final class AccountConnector {

  final int id;
  final String accountId;
  final String name;
  final String description;
  final Integer authenticationId;
  final int connectorId;
  private final JsonObject connector;   // summary of the connector it was installed from
  private final JsonArray properties;   // [{Name, Value}]
  private volatile boolean authenticated;
  /** SHA-256 of the credentials last given (install or update), or null: never listed, only compared. */
  private volatile String credentials;

  AccountConnector(int id, String accountId, String name, String description, Integer authenticationId,
                   JsonObject connector, JsonArray properties, boolean authenticated) {
    this.id = id;
    this.accountId = accountId;
    this.name = name;
    this.description = description;
    this.authenticationId = authenticationId;
    this.connectorId = connector.getInteger("Id");
    this.connector = connector;
    this.properties = properties;
    this.authenticated = authenticated;
  }

  boolean authenticated() {
    return authenticated;
  }

  void authenticated(boolean value) {
    this.authenticated = value;
  }

  String credentials() {
    return credentials;
  }

  void credentials(String digest) {
    this.credentials = digest;
  }

  String duplicateKey() {
    return connectorId + "\u0000" + name;
  }

  /** Cyclr JSON as listed; callers add AuthValue only to the install response. */
  JsonObject toJson() {
    return new JsonObject()
        .put("Id", id)
        .put("Name", name)
        .put("Description", description)
        .put("AuthenticationId", authenticationId)
        .put("Authenticated", authenticated)
        .put("Connector", connector.copy())
        .put("Properties", properties.copy());
  }
}
