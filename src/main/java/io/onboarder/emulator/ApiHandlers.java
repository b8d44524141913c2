package io.onboarder.emulator;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/** The Cyclr REST handlers (accounts, connectors, installs, account connectors, sign-in tokens); auth and faults ran before. */
final class ApiHandlers {

  private final EmulatorState state;
  private final TokenStore tokens;
  private final EmulatorOptions options;
  private final EmulatorStats stats;

  ApiHandlers(EmulatorState state, TokenStore tokens, EmulatorOptions options, EmulatorStats stats) {
    this.state = state;
    this.tokens = tokens;
    this.options = options;
    this.stats = stats;
  }

  // ---- partner level: accounts ----------------------------------------------------------------

  void createAccount(RoutingContext rc, Account ignored) {
    JsonObject body = jsonBody(rc);
    if (body == null) {
      throw new ApiError(400, "The request is invalid.");
    }
    if (!(body.getValue("Name") instanceof String name) || name.isBlank()) {
      throw new ApiError(400, "The Name field is required.");
    }
    Object id = body.getValue("Id");
    Account created = state.createAccount(id == null ? null : id.toString(), name,
        body.getString("Description"), body.getString("Timezone"));
    Http.json(rc, 200, created.toJson());
  }

  void getAccount(RoutingContext rc, Account ignored) {
    Account account = state.account(rc.pathParam("id"));
    if (account == null) {
      throw new ApiError(404, "Account not found");
    }
    Http.json(rc, 200, account.toJson());
  }

  /** {@code DELETE /v1.0/accounts/{id}}: the account and everything installed in it; 404 if there is none. */
  void deleteAccount(RoutingContext rc, Account ignored) {
    if (!state.deleteAccount(rc.pathParam("id"))) {
      throw new ApiError(404, "Account not found");
    }
    rc.response().setStatusCode(200).end();
  }

  /** Current documented flow: partner level, account in the path, a Username in the body. */
  void signInToken(RoutingContext rc, Account ignored) {
    JsonObject body = jsonBody(rc);
    if (body == null || !(body.getValue("Username") instanceof String user) || user.isBlank()) {
      throw new ApiError(400, "The Username field is required.");
    }
    String accountId = rc.pathParam("accountId");
    Account account = options.isAutoCreateAccounts() ? state.accountOrCreate(accountId) : state.account(accountId);
    if (account == null) {
      throw new ApiError(404, "Account not found");
    }
    sendSignInToken(rc, account);
  }

  // ---- account level --------------------------------------------------------------------------

  /** Seed flow: account from X-Cyclr-Account, no body. */
  void seedSignInToken(RoutingContext rc, Account account) {
    sendSignInToken(rc, account);
  }

  private void sendSignInToken(RoutingContext rc, Account account) {
    TokenStore.SignInToken t = tokens.issueSignInToken(account.id, options.getSignInTokenLifetimeSeconds());
    stats.countSignInTokenIssued();
    Http.json(rc, 200, new JsonObject().put("Token", t.token()).put("ExpiresAtUtc", t.expiresAtUtc()));
  }

  void listConnectors(RoutingContext rc, Account account) {
    List<JsonObject> all = state.connectors(rc.queryParams().get("query"));
    Http.json(rc, 200, new JsonArray(List.copyOf(Http.page(rc, all, options))));
  }

  /** {@code /connectors/{id}} gives one object; {@code /connectors/{name}} an array of every version. */
  void getConnector(RoutingContext rc, Account account) {
    String idOrName = rc.pathParam("id");
    if (isNumeric(idOrName)) {
      JsonObject c = state.connector(Integer.parseInt(idOrName));
      if (c == null) {
        throw new ApiError(404, "Connector not found");
      }
      Http.json(rc, 200, c);
    } else {
      Http.json(rc, 200, new JsonArray(List.copyOf(state.connectorsByName(idOrName, null))));
    }
  }

  void getConnectorVersion(RoutingContext rc, Account account) {
    List<JsonObject> found = state.connectorsByName(rc.pathParam("name"), rc.pathParam("version"));
    Http.json(rc, 200, new JsonArray(List.copyOf(found)));
  }

  void installByIdOrName(RoutingContext rc, Account account) {
    String idOrName = rc.pathParam("id");
    install(rc, account, () -> isNumeric(idOrName)
        ? state.connector(Integer.parseInt(idOrName))
        : state.installTarget(idOrName, null));
  }

  void installByNameVersion(RoutingContext rc, Account account) {
    install(rc, account, () -> state.installTarget(rc.pathParam("name"), rc.pathParam("version")));
  }

  private void install(RoutingContext rc, Account account, Supplier<JsonObject> target) {
    if (rc.body() == null || rc.body().length() == 0) {
      // Seen at Cyclr: an install POST without a body fails server side.
      throw new ApiError(500, "An error has occurred.");
    }
    JsonObject request = jsonBody(rc);
    if (request == null) {
      throw new ApiError(400, "The request is invalid.");
    }
    JsonObject connector = target.get();
    if (connector == null) {
      throw new ApiError(404, "Connector not found");
    }
    EmulatorState.InstallResult result = state.install(account, connector, request);
    stats.countInstall(account.id, result.duplicate());

    double dropRate = options.getDropInstallRate();
    if (dropRate > 0 && ThreadLocalRandom.current().nextDouble() < dropRate) {
      // Committed, but the client never learns it: the case that makes blind retries create duplicates.
      stats.countDropInjected();
      rc.request().connection().close();
      return;
    }
    // Cyclr echoes AuthValue in the install response (only there); it is never stored.
    JsonObject response = result.accountConnector().toJson();
    response.put("AuthValue", request.getValue("AuthValue"));
    Http.json(rc, 200, response);
  }

  void listAccountConnectors(RoutingContext rc, Account account) {
    List<AccountConnector> page = Http.page(rc, account.connectors(), options);
    JsonArray out = new JsonArray();
    for (AccountConnector ac : page) {
      out.add(ac.toJson());
    }
    Http.json(rc, 200, out);
  }

  void getAccountConnector(RoutingContext rc, Account account) {
    Http.json(rc, 200, ownAccountConnector(rc, account).toJson());
  }

  void deleteAccountConnector(RoutingContext rc, Account account) {
    AccountConnector ac = ownAccountConnector(rc, account);
    state.deleteAccountConnector(account, ac.id);
    rc.response().setStatusCode(200).end();
  }

  /**
   * {@code PUT /v1.0/account/connectors/{id}} {@code {"AuthValue"}}: new credentials for an install (Cyclr documents
   * it for API-key and Basic connectors, authenticated or not); the answer echoes AuthValue, as Cyclr's does.
   */
  void updateAccountConnector(RoutingContext rc, Account account) {
    AccountConnector ac = ownAccountConnector(rc, account);
    JsonObject request = jsonBody(rc);
    if (request == null) {
      throw new ApiError(400, "The request is invalid.");
    }
    if (request.getValue("AuthValue") != null) {
      state.credentials.give(ac, request.getValue("AuthValue"));
    }
    Http.json(rc, 200, ac.toJson().put("AuthValue", request.getValue("AuthValue")));
  }

  void deauthenticate(RoutingContext rc, Account account) {
    AccountConnector ac = ownAccountConnector(rc, account);
    ac.authenticated(false);
    rc.response().setStatusCode(200).end();
  }

  /** Someone else's account connector is a 404, exactly like a missing one: no cross-account probing. */
  private AccountConnector ownAccountConnector(RoutingContext rc, Account account) {
    String id = rc.pathParam("id");
    AccountConnector ac = isNumeric(id) ? account.connector(Integer.parseInt(id)) : null;
    if (ac == null) {
      throw new ApiError(404, "Account connector not found");
    }
    return ac;
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The body as a JSON object, or null when absent, empty or not an object. */
  static JsonObject jsonBody(RoutingContext rc) {
    if (rc.body() == null || rc.body().length() == 0) {
      return null;
    }
    try {
      Object parsed = rc.body().buffer().toJsonValue();
      return parsed instanceof JsonObject o ? o : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  static boolean isNumeric(String s) {
    if (s == null || s.isEmpty() || s.length() > 9) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
