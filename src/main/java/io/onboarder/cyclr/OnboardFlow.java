package io.onboarder.cyclr;

import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.config.SignInMode;
import io.onboarder.job.ConnectorRef;
import io.onboarder.job.ItemStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Onboards one (account × connector) item at Cyclr: resolve the connector, create the account if
 * asked, check what the account already has (idempotency), install, and for OAuth connectors mint
 * the sign-in link. After an ambiguous install it checks again before re-sending, so an account
 * never gets the same connector twice.
 */
public final class OnboardFlow {
  private final CyclrClient client;
  private final Catalogue catalogue;
  private final CheckedInstall installs;
  private final SignInMode signInMode;
  private final String serviceUrl;
  private final Set<String> knownAccounts = ConcurrentHashMap.newKeySet();
  private java.util.function.BiConsumer<String, String> accountCreated = (account, jobId) -> { };

  /** What the gateway replies for an item. */
  public record Result(ItemStatus status, Connector connector, Long accountConnectorId, String oauthUrl,
                       String oauthExpiresAt, JsonObject error) {
    public ItemReply toReply() {
      return new ItemReply(status.name(), connector == null ? null : connector.id(),
          connector == null ? null : connector.name(), accountConnectorId, oauthUrl, oauthExpiresAt, error, false,
          false);
    }
  }

  OnboardFlow(CyclrClient client, Catalogue catalogue, CheckedInstall installs, SignInMode signInMode,
              String serviceUrl) {
    this.client = client;
    this.catalogue = catalogue;
    this.installs = installs;
    this.signInMode = signInMode;
    this.serviceUrl = serviceUrl;
  }

  /** Told of every account this flow created at Cyclr (account, the item's job), for account history. */
  void onAccountCreated(java.util.function.BiConsumer<String, String> listener) {
    this.accountCreated = listener;
  }

  /**
   * Item JSON: account, authValue?, properties?, connector {id | name, version?}, installName?,
   * description?, targetOrigin?, callbackMessage?, username?, createAccounts, dryRun.
   */
  public Future<Result> onboard(ItemRequest item) {
    String account = item.account();
    ConnectorRef ref = ConnectorRef.fromJson(item.connector());
    LinkOptions link = linkOf(item);
    // A dry run changes nothing at Cyclr, not even accounts.
    Future<Void> accountReady = item.createAccounts() && !item.dryRun()
        ? ensureAccount(account, item.jobId()) : Future.succeededFuture();
    return accountReady
        .compose(v -> connector(ref, account))
        .compose(connector -> {
          if (!connector.installable()) {
            throw new CyclrException("CONNECTOR_NOT_INSTALLABLE", "Connector " + connector.id() + " ('"
                + connector.name() + "') has status " + connector.status() + " and cannot be installed.", null);
          }
          String installName = Optional.ofNullable(item.installName())
              .orElse(connector.name() != null ? connector.name() : "Connector " + connector.id());
          if (connector.needsUserSignIn() && link.targetOrigin() == null && !item.dryRun()) {
            throw new CyclrException("TARGET_ORIGIN_REQUIRED", "Connector " + connector.id() + " uses "
                + connector.authTypes() + ": oauth.targetOrigin is required to build the sign-in link.", null);
          }
          return findInstalled(account, connector, installName).compose(existing -> {
            if (existing != null) {
              return afterInstall(item, account, connector, installName, existing, ItemStatus.ALREADY_INSTALLED);
            }
            if (item.dryRun()) {
              return Future.succeededFuture(new Result(ItemStatus.CANCELLED, connector, null, null, null,
                  new JsonObject().put("code", "DRY_RUN").put("message", "dry run: would install '" + installName
                      + "'")));
            }
            if (item.checkOnly()) {
              // A recovered item of a cancelled job: its earlier install did not land, and none is sent now.
              return Future.succeededFuture(new Result(ItemStatus.CANCELLED, connector, null, null, null, null));
            }
            // From the first install POST on, an interrupted item may exist at Cyclr: if shutdown
            // interrupts it, it is handed back as recovered (checked and finished, even if cancelled).
            return install(item, account, connector, installName)
                .compose(installed -> afterInstall(item, account, connector, installName, installed,
                    ItemStatus.INSTALLED))
                .recover(err -> err instanceof CyclrException.ShuttingDown
                    ? Future.failedFuture(new CyclrException.ShuttingDown(true)) : Future.failedFuture(err));
          });
        });
  }

  private Future<Result> afterInstall(ItemRequest item, String account, Connector connector, String installName,
                                      JsonObject ac, ItemStatus status) {
    Long acId = longOf(ac.getValue("Id"), null);
    boolean authenticated = Boolean.TRUE.equals(ac.getValue("Authenticated"));
    // Only a literal "Authenticated": false: an answer that does not say (some servers list installs without it)
    // is not taken for refused credentials.
    if (status == ItemStatus.ALREADY_INSTALLED && Boolean.FALSE.equals(ac.getValue("Authenticated"))
        && !connector.needsUserSignIn()
        && item.authValue() != null && acId != null && !item.dryRun() && !item.checkOnly()) {
      return reauthenticate(account, acId, item.authValue())
          .map(v -> new Result(status, connector, acId, null, null, null));
    }
    // Only a user sign-in needs a link; OAuth2 client-credentials connectors authenticate themselves.
    if (!connector.needsUserSignIn() || authenticated || item.dryRun() || item.checkOnly()) {
      return Future.succeededFuture(new Result(status, connector, acId, null, null, null));
    }
    if (acId == null) {
      // A link without the account connector's id would reach the tenant broken (id=null). An install
      // answer without one is looked up in the account's list; a listed row without one is a dead end.
      if (status == ItemStatus.ALREADY_INSTALLED) {
        return Future.failedFuture(noAccountConnectorId(connector, installName));
      }
      return findInstalled(account, connector, installName).compose(found -> {
        if (found == null || longOf(found.getValue("Id"), null) == null) {
          return Future.failedFuture(noAccountConnectorId(connector, installName));
        }
        return afterInstall(item, account, connector, installName, found, status);
      });
    }
    LinkOptions link = linkOf(item);
    String targetOrigin = link.targetOrigin();
    if (targetOrigin == null) {
      throw new CyclrException("TARGET_ORIGIN_REQUIRED", "Connector " + connector.id()
          + " is installed but needs a sign-in: oauth.targetOrigin is required to build the link.", null);
    }
    if (!link.mint()) {
      // Relay links: the Cyclr token is minted when the tenant clicks Connect, not now (it dies in minutes).
      return Future.succeededFuture(new Result(ItemStatus.OAUTH_PENDING, connector, acId, null, null, null));
    }
    return signInLink(account, link.username(), acId, targetOrigin, link.callbackMessage())
        .map(minted -> new Result(ItemStatus.OAUTH_PENDING, connector, acId, minted.getString("url"),
            minted.getString("expiresAt"), null));
  }

  /**
   * Gives an installed account connector that is not authenticated the item's credentials (an API key, Basic):
   * {@code PUT /v1.0/account/connectors/{id}} with {@code AuthValue}, as Cyclr documents for both unauthenticated
   * and authenticated installs; safe to repeat. Fails with {@code CREDENTIALS_REFUSED} when Cyclr still says
   * {@code Authenticated: false}: the same credentials would be refused again. The answer echoes the auth value: it
   * is read for its flag only.
   */
  private Future<Void> reauthenticate(String account, long accountConnectorId, String authValue) {
    return client.sendJson(CyclrCall.put("/v1.0/account/connectors/" + accountConnectorId, account,
            new JsonObject().put("AuthValue", authValue), true, "PUT /v1.0/account/connectors/{id}"))
        .map(ac -> {
          if (!Boolean.TRUE.equals(ac.getValue("Authenticated"))) {
            throw new CyclrException("CREDENTIALS_REFUSED", "Cyclr did not accept the credentials (authValue) for "
                + "account connector " + accountConnectorId + ": it is still not authenticated. Supply others.", null);
          }
          return null;
        });
  }

  /**
   * Mints a one-time Cyclr sign-in token (the configured sign-in mode) and builds the page URL for the
   * account connector: {@code {"url", "expiresAt"}}.
   */
  public Future<JsonObject> signInLink(String account, String username, Long accountConnectorId, String targetOrigin,
                                       String callbackMessage) {
    return signInToken(account, username).map(token -> new JsonObject()
        .put("url", serviceUrl + signInMode.pagePath
            + "?id=" + encode(String.valueOf(accountConnectorId))
            + "&token=" + encode(token.getString("Token"))
            + "&targetOrigin=" + encode(targetOrigin)
            + (callbackMessage == null ? "" : "&callbackMessage=" + encode(callbackMessage)))
        .put("expiresAt", normalizeTime(token.getValue("ExpiresAtUtc") instanceof String t ? t : null)));
  }

  /**
   * Whether the tenant has signed in: {@code GET /v1.0/account/connectors/{id}}, its {@code Authenticated}.
   * Null when the account connector no longer exists (404).
   */
  public Future<Boolean> signedIn(String account, long accountConnectorId) {
    return client.sendJson(CyclrCall.get("/v1.0/account/connectors/" + accountConnectorId, account,
            "GET /v1.0/account/connectors/{id}"))
        .map(ac -> Boolean.TRUE.equals(ac.getValue("Authenticated")))
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(404).equals(e.httpStatus())
            ? Future.succeededFuture(null) : Future.failedFuture(err));
  }

  /**
   * Credential health: is the account connector still signed in? Stricter than {@link #signedIn}: only a literal
   * {@code "Authenticated": false} on the account connector asked for counts as a lost sign-in; an answer that
   * says neither (no such field, another Id) fails as CYCLR_BAD_RESPONSE, so that a confused Cyclr never marks
   * tenants deauthenticated. Null: the account connector is gone (404).
   */
  public Future<Boolean> stillSignedIn(String account, long accountConnectorId) {
    return client.sendJson(CyclrCall.get("/v1.0/account/connectors/" + accountConnectorId, account,
            "GET /v1.0/account/connectors/{id}"))
        .map(ac -> {
          Object id = ac.getValue("Id");
          if (!(ac.getValue("Authenticated") instanceof Boolean b)
              || (id != null && !String.valueOf(accountConnectorId).equals(String.valueOf(id)))) {
            throw new CyclrException("CYCLR_BAD_RESPONSE", "Cyclr's answer for account connector "
                + accountConnectorId + " says neither Authenticated true nor false", null);
          }
          return b;
        })
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(404).equals(e.httpStatus())
            ? Future.succeededFuture(null) : Future.failedFuture(err));
  }

  private static CyclrException noAccountConnectorId(Connector connector, String installName) {
    return new CyclrException("CYCLR_NO_ACCOUNT_CONNECTOR_ID", "Cyclr gave no account connector Id for '"
        + installName + "' (connector " + connector.id() + "), so no sign-in link was sent; check the account's "
        + "connectors at Cyclr, then retry the item.", null);
  }

  private Future<JsonObject> signInToken(String account, String username) {
    Future<JsonObject> token = switch (signInMode) {
      case ACCOUNT_TOKENS -> client.sendJson(CyclrCall.post("/v1.0/accounts/tokens", account, null, true,
          "POST /v1.0/accounts/tokens"));
      case SIGNINTOKEN -> client.sendJson(CyclrCall.post("/v1.0/accounts/" + encode(account) + "/signintoken",
          null, new JsonObject().put("Username", username != null ? username : account), true,
          "POST /v1.0/accounts/{id}/signintoken"));
    };
    return token.map(t -> {
      if (!(t.getValue("Token") instanceof String s) || s.isEmpty()) {
        throw new CyclrException("CYCLR_BAD_RESPONSE", "Cyclr returned no sign-in Token", null);
      }
      return t;
    });
  }

  /** Installs once, through the check-then-install guarantee ({@link CheckedInstall}). */
  private Future<JsonObject> install(ItemRequest item, String account, Connector connector, String installName) {
    JsonArray properties = new JsonArray();
    JsonArray requested = item.properties();
    if (requested != null) {
      for (Object o : requested) {
        JsonObject p = (JsonObject) o;
        properties.add(new JsonObject().put("Name", p.getString("name")).put("Value", p.getString("value")));
      }
    }
    // Always a JSON body: Cyclr answers 500 to an install with none.
    JsonObject body = new JsonObject()
        .put("Name", installName)
        .put("Description", Optional.ofNullable(item.description()).orElse(""))
        .put("Properties", properties);
    if (item.authValue() != null) {
      body.put("AuthValue", item.authValue());
    }
    return installs.install(() -> findInstalled(account, connector, installName),
        () -> client.sendJson(CyclrCall.post("/v1.0/connectors/" + connector.id() + "/install", account, body, false,
            "POST /v1.0/connectors/{id}/install")), "install", "nothing is installed");
  }

  /** The account's install of this connector under this name, or null; reads pages until it is found. */
  private Future<JsonObject> findInstalled(String account, Connector connector, String installName) {
    return Paging.find(page -> CyclrCall.get("/v1.0/account/connectors?page=" + page + "&pageSize="
            + Paging.PAGE_SIZE, account, "GET /v1.0/account/connectors"), client,
        ac -> {
          Object c = ac.getValue("Connector");
          Object cid = c instanceof JsonObject j ? j.getValue("Id") : null;
          return cid != null && String.valueOf(cid).equals(String.valueOf(connector.id()))
              && installName.equals(ac.getValue("Name"));
        }, 1)
        .map(found -> found.isEmpty() ? null : found.get(0));
  }

  private Future<Void> ensureAccount(String account, String jobId) {
    if (knownAccounts.contains(account)) {
      return Future.succeededFuture();
    }
    // POST is safe to repeat here: the Id is unique, a second create answers "ID already in use".
    return client.sendJson(CyclrCall.post("/v1.0/accounts", null, new JsonObject().put("Id", account)
            .put("Name", account), true, "POST /v1.0/accounts"))
        .<Void>map(created -> {
          accountCreated.accept(account, jobId);
          return null;
        })
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(400).equals(e.httpStatus())
            && String.valueOf(e.getMessage()).toLowerCase().contains("already in use")
            ? Future.succeededFuture() : Future.failedFuture(err))
        .onSuccess(v -> knownAccounts.add(account));
  }

  /** Resolves (and caches, partner-wide) a connector by id, or by name and optional version. */
  Future<Connector> connector(ConnectorRef ref, String account) {
    return catalogue.get("connector:" + ref.key(), () -> lookup(ref, account));
  }

  private Future<Connector> lookup(ConnectorRef ref, String account) {
    return ref.id() != null ? byId(ref.id(), account) : byName(ref, account);
  }

  private Future<Connector> byId(long id, String account) {
    return client.sendJson(CyclrCall.get("/v1.0/connectors/" + id, account, "GET /v1.0/connectors/{id}"))
        .map(Connector::fromCyclr)
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(404).equals(e.httpStatus())
            && !aboutTheAccount(e)
            ? Future.failedFuture(new CyclrException("CONNECTOR_NOT_FOUND", "Connector " + id + " does not exist at "
            + "Cyclr.", 404))
            : Future.failedFuture(err));
  }

  /** A 404 that names the account (e.g. "Account not found") is not about the connector. */
  static boolean aboutTheAccount(CyclrException e) {
    return String.valueOf(e.getMessage()).toLowerCase().contains("account");
  }

  /**
   * By name: the connector list filtered with {@code query} (all pages), matched exactly; if that
   * finds nothing, the name endpoints {@code /connectors/{name}[/{version}]}, which some Cyclr
   * versions serve instead.
   */
  private Future<Connector> byName(ConnectorRef ref, String account) {
    return Paging.find(page -> CyclrCall.get("/v1.0/connectors?page=" + page + "&pageSize=" + Paging.PAGE_SIZE
            + "&query=" + encode(ref.name()), account, "GET /v1.0/connectors"), client,
            j -> j.getValue("Name") instanceof String n && ref.name().equalsIgnoreCase(n), Integer.MAX_VALUE)
        .map(list -> best(ref, list))
        .recover(err -> err instanceof CyclrException e && !"CONNECTOR_NOT_FOUND".equals(e.code())
            && !(e.httpStatus() != null && e.httpStatus() >= 400 && e.httpStatus() < 500)
            ? Future.failedFuture(err) : Future.succeededFuture(null))
        .compose(found -> found != null ? Future.succeededFuture(found) : byNameEndpoint(ref, account));
  }

  private Future<Connector> byNameEndpoint(ConnectorRef ref, String account) {
    String path = "/v1.0/connectors/" + encode(ref.name())
        + (ref.version() == null ? "" : "/" + encode(ref.version()));
    CyclrCall call = CyclrCall.get(path, account, ref.version() == null ? "GET /v1.0/connectors/{name}"
        : "GET /v1.0/connectors/{name}/{version}");
    return client.send(call)
        .map(resp -> {
          Object body = CyclrJson.value(call, resp);
          List<JsonObject> list = new java.util.ArrayList<>();
          if (body instanceof JsonArray a) {
            a.forEach(o -> {
              if (o instanceof JsonObject j) {
                list.add(j);
              }
            });
          } else if (body instanceof JsonObject j) {
            list.add(j);
          }
          Connector c = best(ref, list);
          if (c == null) {
            throw notFound(ref);
          }
          return c;
        })
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(404).equals(e.httpStatus())
            && !aboutTheAccount(e) ? Future.failedFuture(notFound(ref)) : Future.failedFuture(err));
  }

  private static CyclrException notFound(ConnectorRef ref) {
    return new CyclrException("CONNECTOR_NOT_FOUND", "No connector named '" + ref.name() + "'"
        + (ref.version() == null ? "" : " with version " + ref.version()) + " exists at Cyclr.", 404);
  }

  /** Exact (case-insensitive) name and version matches; installable first, then highest version, then newest. */
  private static Connector best(ConnectorRef ref, List<JsonObject> list) {
    return list.stream()
        .filter(j -> j.getValue("Name") instanceof String n && ref.name().equalsIgnoreCase(n))
        .map(Connector::fromCyclr)
        .filter(c -> ref.version() == null || ref.version().equals(c.version()))
        .max(Comparator.comparing(Connector::installable)
            .thenComparing(Connector::version, OnboardFlow::compareVersions)
            .thenComparing(Connector::id))
        .orElse(null);
  }

  static int compareVersions(String a, String b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    String[] x = a.split("[.\\-]");
    String[] y = b.split("[.\\-]");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      String p = i < x.length ? x[i] : "0";
      String q = i < y.length ? y[i] : "0";
      int c;
      try {
        c = Long.compare(Long.parseLong(p), Long.parseLong(q));
      } catch (NumberFormatException e) {
        c = p.compareTo(q);
      }
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** The item's sign-in link options; none given: no target, and a token minted now. */
  static LinkOptions linkOf(ItemRequest item) {
    return item.link() != null ? item.link() : NO_LINK;
  }

  static final LinkOptions NO_LINK = new LinkOptions(null, null, null, true);

  /** A number Cyclr may send as a JSON number or as a string; {@code fallback} when neither. */
  static Long longOf(Object v, Long fallback) {
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException ignored) {
        return fallback;
      }
    }
    return fallback;
  }

  /** RFC 3986 encoding of a query value or a path segment (spaces as %20, not '+'; '/' encoded). */
  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String normalizeTime(String t) {
    if (t == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(t).toInstant().toString();
    } catch (DateTimeParseException e) {
      try {
        // Cyclr may omit the offset: the field is UTC by name.
        return java.time.LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toString();
      } catch (DateTimeParseException e2) {
        return t;
      }
    }
  }
}
