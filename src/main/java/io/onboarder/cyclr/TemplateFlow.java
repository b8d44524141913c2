package io.onboarder.cyclr;

import io.onboarder.bus.GatewayContract.AccountStepReply;
import io.onboarder.bus.GatewayContract.AccountStepRequest;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.Activation;
import io.onboarder.job.TemplateRef;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The account step of a job with a template, at Cyclr: resolve the template, reuse the account's cycle
 * of that template or install one (never a second: the account's cycles are listed first, and after an
 * install whose answer was lost they are listed again before anything is re-sent), read the cycle's
 * prerequisites, send sign-in links for connectors the template brought that a tenant must sign in to,
 * and activate the cycle once nothing is missing. Prerequisites the service cannot meet (field mappings,
 * settings, credentials it was not given) end the account in SETUP_REQUIRED with Cyclr's reasons.
 */
public final class TemplateFlow {
  /** Cyclr's reason code for "an account connector is not authenticated". */
  static final int NOT_AUTHENTICATED = 20;

  private final CyclrClient client;
  private final OnboardFlow onboard;
  private final Catalogue catalogue;
  private final CheckedInstall installs;

  /** A resolved template: its Cyclr Id, and its name when known. */
  record Template(String id, String name) {
    String describe() {
      return name != null ? "'" + name + "' (" + id + ")" : id;
    }
  }

  /**
   * What the gateway replies for an account step. {@code watch}: waiting for a tenant to sign in to a
   * connector the template brought (check again later). {@code links}: sign-in links sent by this step.
   */
  public record Result(AccountStatus status, boolean watch, String cycleId, JsonArray prerequisites, JsonArray links,
                       JsonObject error) {
    public AccountStepReply toReply() {
      return new AccountStepReply(false, false, status.name(), watch, cycleId,
          prerequisites == null ? new JsonArray() : prerequisites, links == null ? new JsonArray() : links, error);
    }
  }

  /** The parts of a cycle's prerequisites: what a sign-in clears, and everything else. */
  private record Unmet(JsonArray all, List<JsonObject> signIns, List<JsonObject> setup, List<Long> waiting) {}

  TemplateFlow(CyclrClient client, OnboardFlow onboard, Catalogue catalogue, CheckedInstall installs) {
    this.client = client;
    this.onboard = onboard;
    this.catalogue = catalogue;
    this.installs = installs;
  }

  /**
   * Request JSON: account, template {id | name}, activate {interval, runOnce, startTime}?, dryRun, checkOnly
   * (look, change nothing), cycleId? (the cycle found before), linked [account connector ids already sent a
   * link], targetOrigin?, callbackMessage?, username?.
   */
  public Future<Result> run(AccountStepRequest req) {
    String account = req.account();
    TemplateRef ref = TemplateRef.fromJson(req.template());
    boolean dryRun = req.dryRun();
    boolean checkOnly = req.checkOnly();
    return template(ref, account).compose(template -> findCycle(account, template, req.cycleId())
        .compose(cycle -> {
          if (cycle != null) {
            return afterCycle(req, account, template, cycle);
          }
          if (checkOnly) {
            // A step of a cancelled job that may have sent an install: it did not land, and none is sent now.
            return Future.succeededFuture(new Result(AccountStatus.WAITING, false, null, null, null,
                error("CANCELLED", "The job was cancelled before template " + template.describe()
                    + " was installed in this account.")));
          }
          if (dryRun) {
            return existsForDryRun(template, account).map(v -> new Result(AccountStatus.WAITING, false, null, null,
                null, error("DRY_RUN", "dry run: would install template " + template.describe()
                    + ", then check its prerequisites" + activation(req).map(a -> " and activate it "
                    + a.describe()).orElse(""))));
          }
          return install(account, template)
              .compose(installed -> afterCycle(req, account, template, installed))
              // From the install POST on, the step may have left a cycle at Cyclr: a shutdown now hands it
              // back as recovered.
              .recover(err -> err instanceof CyclrException.ShuttingDown
                  ? Future.failedFuture(new CyclrException.ShuttingDown(true)) : Future.failedFuture(err));
        }));
  }

  private static LinkOptions link(AccountStepRequest req) {
    return req.link() != null ? req.link() : OnboardFlow.NO_LINK;
  }

  private static java.util.Optional<Activation> activation(AccountStepRequest req) {
    return java.util.Optional.ofNullable(Activation.fromJson(req.activate()));
  }

  private Future<Result> afterCycle(AccountStepRequest req, String account, Template template, JsonObject cycle) {
    String cycleId = cycleId(cycle);
    if (cycleId == null) {
      return Future.failedFuture(new CyclrException("CYCLR_BAD_RESPONSE", "Cyclr described a cycle of template "
          + template.describe() + " without an Id.", null));
    }
    boolean active = "Active".equalsIgnoreCase(String.valueOf(cycle.getValue("Status")));
    if (active) {
      // An active cycle is left alone: running, so ready.
      return Future.succeededFuture(new Result(AccountStatus.ACTIVE, false, cycleId, null, null, null));
    }
    if (req.checkOnly()) {
      return Future.succeededFuture(new Result(AccountStatus.INSTALLED, false, cycleId, null, null, null));
    }
    boolean dryRun = req.dryRun();
    java.util.Optional<Activation> activate = activation(req);
    return unmet(account, cycleId).compose(unmet -> {
      if (!unmet.setup().isEmpty()) {
        // Someone has to finish the set-up in Cyclr; links for connectors the tenant must sign in to are
        // still sent, so that both can happen at once.
        return links(req, account, unmet, dryRun).map(links -> new Result(AccountStatus.SETUP_REQUIRED, false,
            cycleId, unmet.all(), links, null));
      }
      if (!unmet.signIns().isEmpty() || !unmet.waiting().isEmpty()) {
        if (dryRun) {
          return Future.succeededFuture(new Result(AccountStatus.WAITING, false, cycleId, unmet.all(), null,
              error("DRY_RUN", "dry run: the tenant has to sign in before the cycle can be activated; no sign-in "
                  + "link was sent")));
        }
        if (!unmet.signIns().isEmpty() && link(req).targetOrigin() == null) {
          return Future.succeededFuture(new Result(AccountStatus.SETUP_REQUIRED, false, cycleId, unmet.all(), null,
              error("TARGET_ORIGIN_REQUIRED", "Template " + template.describe() + " brought a connector the tenant "
                  + "must sign in to: oauth.targetOrigin is required to build the sign-in link.")));
        }
        return links(req, account, unmet, false).map(links -> new Result(AccountStatus.WAITING, true, cycleId,
            unmet.all(), links, null));
      }
      if (activate.isEmpty()) {
        return Future.succeededFuture(new Result(AccountStatus.INSTALLED, false, cycleId, null, null, null));
      }
      if (dryRun) {
        return Future.succeededFuture(new Result(AccountStatus.INSTALLED, false, cycleId, null, null,
            error("DRY_RUN", "dry run: would activate cycle " + cycleId + " " + activate.get().describe())));
      }
      // Re-sending an activation is harmless: idempotent for the retry rules.
      return client.sendJson(CyclrCall.put("/v1.0/cycles/" + OnboardFlow.encode(cycleId) + "/activate", account,
              activate.get().cyclrBody(), true, "PUT /v1.0/cycles/{id}/activate"))
          .map(r -> new Result(AccountStatus.ACTIVE, false, cycleId, null, null, null));
    });
  }

  /**
   * The template's connectors that need a sign-in and that no item of the job stands for yet: each becomes an
   * OAUTH_PENDING item. Cyclr's one-time link is minted here unless relay links are on ({@code mintSignIn} false:
   * the relay link mints it when the tenant clicks Connect).
   */
  private Future<JsonArray> links(AccountStepRequest req, String account, Unmet unmet, boolean dryRun) {
    JsonArray links = new JsonArray();
    LinkOptions link = link(req);
    String targetOrigin = link.targetOrigin();
    if (dryRun || targetOrigin == null || unmet.signIns().isEmpty()) {
      return Future.succeededFuture(links);
    }
    boolean mint = link.mint();
    Set<String> linked = new HashSet<>();
    if (req.linked() != null) {
      req.linked().forEach(o -> linked.add(String.valueOf(o)));
    }
    Future<Void> chain = Future.succeededFuture();
    for (JsonObject ac : unmet.signIns()) {
      Long acId = OnboardFlow.longOf(ac.getValue("Id"), null);
      if (acId == null || linked.contains(String.valueOf(acId))) {
        continue;
      }
      Object connector = ac.getValue("Connector");
      chain = chain.compose(v -> (mint ? onboard.signInLink(account, link.username(), acId, targetOrigin,
          link.callbackMessage()) : Future.succeededFuture(new JsonObject())).map(l -> {
        links.add(l.put("accountConnectorId", acId)
            .put("connectorId", connector instanceof JsonObject c ? OnboardFlow.longOf(c.getValue("Id"), null) : null)
            .put("connectorName", connector instanceof JsonObject c && c.getValue("Name") instanceof String n ? n
                : ac.getValue("Name") instanceof String n ? n : null));
        return null;
      }));
    }
    return chain.map(links);
  }

  /**
   * The cycle's prerequisites, sorted: an unauthenticated connector whose connector needs a user sign-in is a
   * sign-in; one that Cyclr reports authenticated already is a wait (Cyclr catching up); any other reason, and a
   * connector that needs credentials the service was not given, is set-up.
   */
  private Future<Unmet> unmet(String account, String cycleId) {
    CyclrCall call = CyclrCall.get("/v1.0/cycles/" + OnboardFlow.encode(cycleId) + "/prerequisites", account,
        "GET /v1.0/cycles/{id}/prerequisites");
    return client.send(call).compose(resp -> {
      JsonArray rows = CyclrJson.rows(call, resp);
      if (rows.size() > CyclrLimits.MAX_ROWS_PER_PAGE) {
        throw new CyclrException("CYCLR_TOO_MANY_ROWS", "Cyclr listed " + rows.size() + " prerequisites for cycle "
            + cycleId + " (at most " + CyclrLimits.MAX_ROWS_PER_PAGE + " are read).", null);
      }
      JsonArray all = new JsonArray();
      List<JsonObject> setup = new ArrayList<>();
      List<Long> toCheck = new ArrayList<>();
      for (Object o : rows) {
        if (!(o instanceof JsonObject p)) {
          continue;
        }
        JsonObject shown = prerequisite(p);
        all.add(shown);
        Long code = OnboardFlow.longOf(p.getValue("ReasonCode"), null);
        Long acId = OnboardFlow.longOf(p.getValue("ObjectId"), null);
        if (code != null && code == NOT_AUTHENTICATED && acId != null) {
          toCheck.add(acId);
        } else {
          setup.add(shown);
        }
      }
      List<JsonObject> signIns = new ArrayList<>();
      List<Long> waiting = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (Long acId : toCheck) {
        chain = chain.compose(v -> client.sendJson(CyclrCall.get("/v1.0/account/connectors/" + acId, account,
                "GET /v1.0/account/connectors/{id}"))
            .map(ac -> {
              boolean signIn = ac.getValue("Connector") instanceof JsonObject c && needsUserSignIn(c);
              if (Boolean.TRUE.equals(ac.getValue("Authenticated"))) {
                waiting.add(acId);
              } else if (signIn) {
                signIns.add(ac.put("Id", acId));
              } else {
                setup.add(all.stream().map(JsonObject.class::cast)
                    .filter(p -> String.valueOf(acId).equals(String.valueOf(p.getValue("objectId"))))
                    .findFirst().orElse(new JsonObject()));
              }
              return null;
            }));
      }
      return chain.map(v -> new Unmet(all, signIns, setup, waiting));
    });
  }

  private static boolean needsUserSignIn(JsonObject connector) {
    try {
      return Connector.fromCyclr(connector).needsUserSignIn();
    } catch (CyclrException e) {
      return false;
    }
  }

  /** Cyclr's prerequisite as the API shows it: {"code","reason","objectType","objectId"}. */
  private static JsonObject prerequisite(JsonObject p) {
    Object objectId = p.getValue("ObjectId");
    return new JsonObject()
        .put("code", OnboardFlow.longOf(p.getValue("ReasonCode"), null))
        .put("reason", p.getValue("Reason") instanceof String r ? shorten(r) : null)
        .put("objectType", p.getValue("ObjectType") instanceof String t ? shorten(t) : null)
        .put("objectId", objectId instanceof String || objectId instanceof Number ? String.valueOf(objectId) : null);
  }

  private static String shorten(String s) {
    return s.length() <= 500 ? s : s.substring(0, 500);
  }

  // ---- the cycle: reuse or install, once --------------------------------------------------------

  /** Installs the template once, through the check-then-install guarantee ({@link CheckedInstall}). */
  private Future<JsonObject> install(String account, Template template) {
    return installs.install(() -> findCycle(account, template, null), () -> client.sendJson(CyclrCall.post(
            "/v1.0/templates/" + OnboardFlow.encode(template.id()) + "/install", account, new JsonObject(), false,
            "POST /v1.0/templates/{id}/install"))
        .compose(cycle -> cycleId(cycle) != null ? Future.succeededFuture(cycle)
            // An answer without the cycle's Id: the cycle exists; find it.
            : findCycle(account, template, null).compose(found -> found != null ? Future.succeededFuture(found)
                : Future.failedFuture(new CyclrException("CYCLR_BAD_RESPONSE", "Cyclr installed template "
                    + template.describe() + " but named no cycle, and none is listed.", null))))
        .recover(err -> err instanceof CyclrException e && Integer.valueOf(404).equals(e.httpStatus())
            && !OnboardFlow.aboutTheAccount(e) ? Future.failedFuture(notFound(template.id(), null))
            : Future.failedFuture(err)), "template install", "no cycle is installed");
  }

  /**
   * The account's cycle of this template, or null: the cycle found by an earlier step if it is still there,
   * else the first one listed. Reading stops at the first match (one call for most accounts); pages are read
   * to the end only when there is none.
   */
  private Future<JsonObject> findCycle(String account, Template template, String knownId) {
    return Paging.find(page -> CyclrCall.get("/v1.0/cycles?page=" + page + "&pageSize=" + Paging.PAGE_SIZE, account,
            "GET /v1.0/cycles"), client,
        c -> c.getValue("TemplateId") != null && String.valueOf(c.getValue("TemplateId")).equalsIgnoreCase(template.id())
            && (knownId == null || knownId.equalsIgnoreCase(cycleId(c))), 1)
        .compose(found -> !found.isEmpty() ? Future.succeededFuture(found.get(0))
            // The cycle found before is gone (deleted in Cyclr): any cycle of the template will do.
            : knownId != null ? findCycle(account, template, null) : Future.succeededFuture(null));
  }

  private static String cycleId(JsonObject cycle) {
    Object id = cycle == null ? null : cycle.getValue("Id");
    return id instanceof String s && !s.isBlank() ? s : id instanceof Number n ? String.valueOf(n) : null;
  }

  // ---- the template ----------------------------------------------------------------------------

  /** Resolves (and caches, partner-wide) a template: by id as given, by name through the template list. */
  Future<Template> template(TemplateRef ref, String account) {
    if (ref.id() != null) {
      return Future.succeededFuture(new Template(ref.id(), null));
    }
    return catalogue.get("template:" + ref.key(), () -> byName(ref.name(), account));
  }

  /** Exact name (case-sensitive first, else case-insensitive) over every page; two with the name is ambiguous. */
  private Future<Template> byName(String name, String account) {
    return allTemplates(account, t -> t.getValue("Name") instanceof String n && n.equalsIgnoreCase(name))
        .map(list -> {
          List<JsonObject> exact = list.stream().filter(t -> name.equals(t.getValue("Name"))).toList();
          List<JsonObject> matches = exact.isEmpty() ? list : exact;
          if (matches.isEmpty()) {
            throw notFound(null, name);
          }
          if (matches.size() > 1) {
            throw new CyclrException("TEMPLATE_AMBIGUOUS", matches.size() + " templates are named '" + name
                + "' (Ids " + matches.stream().map(TemplateFlow::cycleId).toList() + "): give template.id instead.",
                null);
          }
          String id = cycleId(matches.get(0));
          if (id == null) {
            throw new CyclrException("CYCLR_BAD_RESPONSE", "Cyclr listed template '" + name + "' without an Id.",
                null);
          }
          return new Template(id, (String) matches.get(0).getValue("Name"));
        });
  }

  /**
   * A dry run checks that a template given by id exists (a real run finds out from the install); the answer is
   * cached like a lookup by name.
   */
  private Future<Void> existsForDryRun(Template template, String account) {
    if (template.name() != null) {
      return Future.succeededFuture();
    }
    // "No such template" is an answer, kept like a found one.
    return catalogue.get("template-exists:" + template.id().toLowerCase(), () -> allTemplates(account,
            t -> template.id().equalsIgnoreCase(String.valueOf(t.getValue("Id"))))
        .compose(found -> found.isEmpty() ? Future.failedFuture(notFound(template.id(), null))
            : Future.succeededFuture(template)),
        err -> err instanceof CyclrException e && "TEMPLATE_NOT_FOUND".equals(e.code())).mapEmpty();
  }

  private Future<List<JsonObject>> allTemplates(String account, java.util.function.Predicate<JsonObject> wanted) {
    return Paging.find(page -> CyclrCall.get("/v1.0/templates?page=" + page + "&pageSize=" + Paging.PAGE_SIZE,
        account, "GET /v1.0/templates"), client, wanted, Integer.MAX_VALUE);
  }

  private static CyclrException notFound(String id, String name) {
    return new CyclrException("TEMPLATE_NOT_FOUND", id != null ? "Template " + id + " does not exist at Cyclr."
        : "No template named '" + name + "' exists at Cyclr.", 404);
  }

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("code", code).put("message", message);
  }
}
