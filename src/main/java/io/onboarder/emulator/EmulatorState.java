package io.onboarder.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The emulator's in-memory Cyclr data: connector catalogue, accounts and account connectors, plus the install rules. */
final class EmulatorState {

  /** What an install produced; {@code duplicate} feeds {@link EmulatorStats#duplicateInstalls()}. */
  record InstallResult(AccountConnector accountConnector, boolean duplicate) {
  }

  private final ConcurrentSkipListMap<Integer, JsonObject> connectors = new ConcurrentSkipListMap<>();
  private final ConcurrentHashMap<String, Account> accounts = new ConcurrentHashMap<>();
  // Global index: the OAuth page only gets an account connector Id, not the account.
  private final ConcurrentHashMap<Integer, AccountConnector> accountConnectors = new ConcurrentHashMap<>();
  private final AtomicInteger nextAccountConnectorId = new AtomicInteger(1000);
  /** Credentials the third parties no longer take. */
  final Credentials credentials = new Credentials();
  private final ConcurrentSkipListMap<String, JsonObject> templates = new ConcurrentSkipListMap<>();
  private final ConcurrentHashMap<String, Cycle> cycles = new ConcurrentHashMap<>();
  // Accounts deleted through the API: an account-level call no longer creates them by itself (only a POST does).
  private final Set<String> deletedAccounts = ConcurrentHashMap.newKeySet();

  /** What a template install produced; {@code duplicate}: the account had a cycle of that template already. */
  record CycleResult(Cycle cycle, boolean duplicate) {
  }

  // ---- connectors ---------------------------------------------------------------------------

  /** Stores a normalised copy (missing fields get Cyclr-like defaults) and returns it; the same Id replaces. */
  JsonObject addConnector(JsonObject source) {
    Objects.requireNonNull(source, "connector");
    JsonObject c = source.copy();
    Integer id = asInt(c.getValue("Id"));
    if (id == null) {
      id = connectors.isEmpty() ? 1 : connectors.lastKey() + 1;
    }
    c.put("Id", id);
    defaultTo(c, "Name", "Connector " + id);
    defaultTo(c, "Description", "");
    defaultTo(c, "Status", "Approved");
    defaultTo(c, "Version", "1.0");
    if (!c.containsKey("Icon")) {
      c.putNull("Icon");
    }
    defaultTo(c, "AuthType", "None");
    defaultTo(c, "OAuth2Type", "Unknown");
    defaultTo(c, "AuthDescription", "");
    defaultTo(c, "AuthScheme", authScheme(c.getString("AuthType")));
    if (c.getJsonArray("Authentication") == null) {
      c.put("Authentication", new JsonArray().add(new JsonObject()
          .put("Id", id * 10)
          .put("AuthName", "Default")
          .put("AuthType", c.getString("AuthType"))
          .put("OAuth2Type", c.getString("OAuth2Type"))));
    }
    // Properties may be given as plain names for brevity; store them in Cyclr's object shape.
    JsonArray props = new JsonArray();
    JsonArray given = c.getJsonArray("Properties", new JsonArray());
    for (Object p : given) {
      if (p instanceof String name) {
        props.add(property(name));
      } else if (p instanceof JsonObject o) {
        props.add(o);
      }
    }
    c.put("Properties", props);
    if (c.getJsonArray("Parameters") == null) {
      c.put("Parameters", new JsonArray());
    }
    connectors.put(id, c);
    return c;
  }

  static JsonObject property(String name) {
    return new JsonObject()
        .put("Name", name)
        .put("Description", name)
        .put("Type", "Text")
        .put("IsRequired", false);
  }

  JsonObject connector(int id) {
    return connectors.get(id);
  }

  /** Ordered by Id; {@code query} filters by a case-insensitive name substring. */
  List<JsonObject> connectors(String query) {
    if (query == null || query.isBlank()) {
      return new ArrayList<>(connectors.values());
    }
    String q = query.toLowerCase(Locale.ROOT);
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject c : connectors.values()) {
      if (c.getString("Name").toLowerCase(Locale.ROOT).contains(q)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Exact, case-insensitive name match; {@code version} null means any version. */
  List<JsonObject> connectorsByName(String name, String version) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject c : connectors.values()) {
      if (c.getString("Name").equalsIgnoreCase(name)
          && (version == null || version.equals(c.getString("Version")))) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * The connector an install by name targets: the highest Approved version, else the highest version (which then fails
   * as a draft, as Cyclr would), else null.
   */
  JsonObject installTarget(String name, String version) {
    List<JsonObject> matches = connectorsByName(name, version);
    Comparator<JsonObject> byVersion = (a, b) -> compareVersions(a.getString("Version"), b.getString("Version"));
    return matches.stream().filter(EmulatorState::approved).max(byVersion)
        .orElseGet(() -> matches.stream().max(byVersion).orElse(null));
  }

  // ---- accounts -----------------------------------------------------------------------------

  Account account(String id) {
    return accounts.get(id);
  }

  /** The account, created on first use unless it was deleted (then null: Cyclr's 404). */
  Account accountOrCreate(String id) {
    Account known = accounts.get(id);
    return known != null || deletedAccounts.contains(id) ? known
        : accounts.computeIfAbsent(id, k -> newAccount(k, k, "", "UTC"));
  }

  /** Deletes an account with everything installed in it; false if there was none. */
  boolean deleteAccount(String id) {
    Account gone = id == null ? null : accounts.remove(id);
    if (gone == null) {
      return false;
    }
    deletedAccounts.add(id);
    gone.connectors().forEach(ac -> accountConnectors.remove(ac.id));
    gone.cycles().forEach(c -> cycles.remove(c.id));
    return true;
  }

  /** Creates an account; {@code id} null or blank generates one. A taken Id is Cyclr's 400 "ID already in use". */
  Account createAccount(String id, String name, String description, String timezone) {
    String accountId = id == null || id.isBlank() ? UUID.randomUUID().toString() : id;
    Account created = newAccount(accountId, name, description, timezone);
    if (accounts.putIfAbsent(accountId, created) != null) {
      throw new ApiError(400, "ID already in use");
    }
    deletedAccounts.remove(accountId);
    return created;
  }

  private static Account newAccount(String id, String name, String description, String timezone) {
    return new Account(id, name, description == null ? "" : description, timezone == null ? "UTC" : timezone,
        Instant.now().toString());
  }

  // ---- installs -----------------------------------------------------------------------------

  /** Validates like Cyclr and installs; throws {@link ApiError} with Cyclr's messages. AuthValue is not kept. */
  InstallResult install(Account account, JsonObject connector, JsonObject request) {
    int connectorId = connector.getInteger("Id");
    if (!approved(connector)) {
      throw new ApiError(400, "Connector " + connectorId + " is a draft and cannot be installed.");
    }
    JsonObject auth = authentication(connector, request.getValue("AuthenticationId"));
    JsonArray properties = properties(connector, request.getValue("Properties"));

    String name = nonBlank(request.getValue("Name"), connector.getString("Name"));
    String description = nonBlank(request.getValue("Description"), "");
    Integer authenticationId = auth == null ? null : auth.getInteger("Id");
    String authType = auth == null ? connector.getString("AuthType") : auth.getString("AuthType");
    String oauth2Type = auth == null ? connector.getString("OAuth2Type") : auth.getString("OAuth2Type");

    String given = Credentials.digest(request.getValue("AuthValue"));
    AccountConnector ac = new AccountConnector(nextAccountConnectorId.getAndIncrement(), account.id, name,
        description, authenticationId, summary(connector), properties, !needsUserSignIn(authType, oauth2Type)
        && !credentials.refused(given));
    ac.credentials(given);
    accountConnectors.put(ac.id, ac);
    boolean duplicate = account.add(ac);
    return new InstallResult(ac, duplicate);
  }

  AccountConnector accountConnector(int id) {
    return accountConnectors.get(id);
  }

  boolean deleteAccountConnector(Account account, int id) {
    AccountConnector removed = account.remove(id);
    if (removed != null) {
      accountConnectors.remove(id);
    }
    return removed != null;
  }

  /** OAuth1 and OAuth2 authorisation-code connectors stay unauthenticated until a user signs in. */
  static boolean needsUserSignIn(String authType, String oauth2Type) {
    if ("OAuth1".equalsIgnoreCase(authType)) {
      return true;
    }
    return "OAuth2".equalsIgnoreCase(authType)
        && ("AuthorisationCode".equalsIgnoreCase(oauth2Type) || "AuthorizationCode".equalsIgnoreCase(oauth2Type));
  }

  private static JsonObject authentication(JsonObject connector, Object requested) {
    if (requested == null) {
      return null;
    }
    Integer wanted = asInt(requested);
    if (wanted != null) {
      for (Object o : connector.getJsonArray("Authentication", new JsonArray())) {
        if (o instanceof JsonObject a && wanted.equals(a.getInteger("Id"))) {
          return a;
        }
      }
    }
    throw new ApiError(400, "There is not an authentication method that matches id '" + requested + "'.");
  }

  private static JsonArray properties(JsonObject connector, Object requested) {
    JsonArray out = new JsonArray();
    if (requested == null) {
      return out;
    }
    if (!(requested instanceof JsonArray list)) {
      throw new ApiError(400, "The request is invalid.");
    }
    // Seeded connectors may describe their settings as Properties or as Parameters: both name valid properties.
    Set<String> known = new HashSet<>();
    for (String field : new String[] {"Properties", "Parameters"}) {
      for (Object o : connector.getJsonArray(field, new JsonArray())) {
        if (o instanceof JsonObject p && p.getValue("Name") instanceof String name) {
          known.add(name);
        }
      }
    }
    for (Object o : list) {
      if (!(o instanceof JsonObject p)) {
        throw new ApiError(400, "The request is invalid.");
      }
      Object name = p.getValue("Name");
      // Exact match on purpose: a client that gets the case wrong should find out here, not in production.
      if (!(name instanceof String s) || !known.contains(s)) {
        throw new ApiError(400, "There is not a connector property that matches name '" + name + "'.");
      }
      out.add(new JsonObject().put("Name", s).put("Value", p.getValue("Value")));
    }
    return out;
  }

  private static JsonObject summary(JsonObject c) {
    return new JsonObject()
        .put("Id", c.getInteger("Id"))
        .put("Name", c.getString("Name"))
        .put("Description", c.getString("Description"))
        .put("Version", c.getString("Version"))
        .put("Status", c.getString("Status"))
        .put("Icon", c.getValue("Icon"))
        .put("AuthType", c.getString("AuthType"))
        .put("OAuth2Type", c.getString("OAuth2Type"));
  }

  private static boolean approved(JsonObject c) {
    return "Approved".equalsIgnoreCase(c.getString("Status"));
  }

  private static String authScheme(String authType) {
    return switch (authType == null ? "" : authType) {
      case "ApiKey" -> "Header";
      case "Basic" -> "Basic";
      case "OAuth1" -> "OAuth1";
      case "OAuth2" -> "Bearer";
      default -> "None";
    };
  }

  static int compareVersions(String a, String b) {
    String[] x = (a == null ? "" : a).split("\\.");
    String[] y = (b == null ? "" : b).split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int cmp = Long.compare(i < x.length ? parseLong(x[i]) : 0, i < y.length ? parseLong(y[i]) : 0);
      if (cmp != 0) {
        return cmp;
      }
    }
    return String.valueOf(a).compareTo(String.valueOf(b));
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static Integer asInt(Object value) {
    if (value instanceof Number n) {
      return n.intValue();
    }
    if (value instanceof String s) {
      try {
        return Integer.valueOf(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static String nonBlank(Object value, String fallback) {
    return value instanceof String s && !s.isBlank() ? s : fallback;
  }

  private static void defaultTo(JsonObject c, String key, String value) {
    if (c.getValue(key) == null) {
      c.put(key, value);
    }
  }

  // ---- templates and cycles -----------------------------------------------------------------

  /**
   * Stores a template: {@code {"Id"?, "Name", "Description"?, "Connectors": [connector Id…] or [{"Id"}…],
   * "RequiredMappings"?: [{"Step","Field"}], "FreshInstallation"?: bool}}; a missing Id gets a GUID.
   */
  JsonObject addTemplate(JsonObject source) {
    JsonObject t = source.copy();
    if (t.getValue("Id") == null) {
      t.put("Id", UUID.randomUUID().toString());
    }
    t.put("Id", String.valueOf(t.getValue("Id")));
    defaultTo(t, "Name", "Template " + t.getString("Id"));
    defaultTo(t, "Description", "");
    JsonArray connectorsOut = new JsonArray();
    for (Object o : t.getJsonArray("Connectors", new JsonArray())) {
      Integer id = o instanceof JsonObject j ? asInt(j.getValue("Id")) : asInt(o);
      JsonObject c = id == null ? null : connector(id);
      if (c == null) {
        throw new IllegalArgumentException("template " + t.getString("Name") + " names unknown connector " + o);
      }
      connectorsOut.add(new JsonObject().put("Id", id).put("Name", c.getString("Name"))
          .put("Version", c.getString("Version")));
    }
    t.put("Connectors", connectorsOut);
    JsonArray mappings = new JsonArray();
    int n = 0;
    for (Object o : t.getJsonArray("RequiredMappings", new JsonArray())) {
      JsonObject m = ((JsonObject) o).copy();
      m.put("Id", t.getString("Id") + "-mapping-" + (++n));
      mappings.add(m);
    }
    t.put("RequiredMappings", mappings);
    t.put("FreshInstallation", t.getBoolean("FreshInstallation", false));
    templates.put(t.getString("Id"), t);
    return t;
  }

  JsonObject template(String id) {
    return id == null ? null : templates.get(id);
  }

  List<JsonObject> templates() {
    return new ArrayList<>(templates.values());
  }

  /** The template as {@code GET /v1.0/templates} lists it (without the emulator's own fields). */
  static JsonObject templateJson(JsonObject t) {
    return new JsonObject().put("Id", t.getString("Id")).put("Name", t.getString("Name"))
        .put("Description", t.getString("Description")).put("Tags", new JsonArray())
        .put("Connectors", t.getJsonArray("Connectors").copy());
  }

  /**
   * Installs the template into the account: a new cycle (a second one if the account has one already: the
   * API has no idempotency), whose connectors re-use the account's connectors of the same type unless the
   * template asks for a fresh installation; new ones are authenticated only if they need no credentials.
   */
  CycleResult installTemplate(Account account, JsonObject template) {
    List<AccountConnector> used = new ArrayList<>();
    for (Object o : template.getJsonArray("Connectors")) {
      int connectorId = ((JsonObject) o).getInteger("Id");
      AccountConnector existing = template.getBoolean("FreshInstallation", false) ? null
          : account.connectors().stream().filter(ac -> ac.connectorId == connectorId).findFirst().orElse(null);
      if (existing != null) {
        used.add(existing);
        continue;
      }
      JsonObject connector = connector(connectorId);
      String authType = connector.getString("AuthType");
      boolean needsNothing = "None".equalsIgnoreCase(authType) || ("OAuth2".equalsIgnoreCase(authType)
          && "ClientCredentials".equalsIgnoreCase(connector.getString("OAuth2Type")));
      AccountConnector ac = new AccountConnector(nextAccountConnectorId.getAndIncrement(), account.id,
          connector.getString("Name"), "", null, summary(connector), new JsonArray(), needsNothing);
      accountConnectors.put(ac.id, ac);
      account.add(ac);
      used.add(ac);
    }
    boolean duplicate = account.cycles().stream().anyMatch(c -> c.templateId().equals(template.getString("Id")));
    Cycle cycle = new Cycle(UUID.randomUUID().toString(), account.id, template, used);
    cycles.put(cycle.id, cycle);
    account.addCycle(cycle);
    return new CycleResult(cycle, duplicate);
  }

  Cycle cycle(Account account, String id) {
    Cycle c = id == null ? null : cycles.get(id);
    return c != null && c.accountId.equals(account.id) ? c : null;
  }

  boolean deleteCycle(Account account, String id) {
    Cycle c = cycle(account, id);
    if (c == null) {
      return false;
    }
    cycles.remove(id);
    account.removeCycle(id);
    return true;
  }
}
