package io.onboarder.cyclr;

import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.LiveConnector;
import io.onboarder.bus.FleetContract.LiveCycle;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.job.ConnectorRef;
import io.onboarder.job.TemplateRef;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one tenant's live state at Cyclr for fleets ({@code cyclr.gateway.livestate}): whether the account exists
 * ({@code GET /v1.0/accounts/{id}}, partner level, so nothing is created by looking), then, side by side, the
 * account's installs of one connector ({@code GET /v1.0/account/connectors}, every page) and its cycles of one
 * template ({@code GET /v1.0/cycles}, every page, matched on {@code TemplateId}). Every call takes a permit of the
 * {@link ReadShare} before the gate's, so reads stay within {@code fleets.readRatePercent} of the rate limit; every
 * list is bounded by {@link CyclrLimits} and fails rather than pass for complete.
 */
final class LiveStateReads {
  private final CyclrClient client;
  private final ReadShare share;
  private final TemplateFlow templates;
  private final String clientSecret;

  LiveStateReads(CyclrClient client, ReadShare share, TemplateFlow templates, String clientSecret) {
    this.client = client;
    this.share = share;
    this.templates = templates;
    this.clientSecret = clientSecret;
  }

  /** The state, or a reply carrying the classified failure; never a failed future. */
  Future<LiveStateReply> read(LiveStateRequest r) {
    String invalid = invalid(r);
    if (invalid != null) {
      return Future.succeededFuture(LiveStateReply.failed(new CyclrFailure("BAD_REQUEST", invalid, null, false)));
    }
    String account = r.account();
    ConnectorRef connector = ConnectorRef.fromJson(r.connector());
    TemplateRef template = r.template() == null ? null : TemplateRef.fromJson(r.template());
    return accountExists(account).compose(exists -> {
      if (!exists) {
        return Future.succeededFuture(LiveStateReply.of(false, List.of(), List.of()));
      }
      Future<List<LiveConnector>> installs = installs(account, connector);
      Future<List<LiveCycle>> cycles = template == null ? Future.succeededFuture(List.of()) : cycles(account, template);
      return Future.all(installs, cycles).map(v -> LiveStateReply.of(true, installs.result(), cycles.result()));
    }).otherwise(err -> LiveStateReply.failed(failure(err, clientSecret)));
  }

  /** Why a request cannot be read at all, or null. */
  private static String invalid(LiveStateRequest r) {
    if (r == null || r.account() == null || r.account().isBlank()) {
      return "a live-state read needs an account";
    }
    JsonObject c = r.connector();
    if (c == null || !(c.getValue("id") instanceof Number || c.getValue("name") instanceof String n && !n.isBlank())) {
      return "a live-state read needs a connector {\"id\"} or {\"name\", \"version\"?}";
    }
    JsonObject t = r.template();
    if (t != null && t.getValue("id") == null && !(t.getValue("name") instanceof String n && !n.isBlank())) {
      return "a template is {\"id\"} or {\"name\"}, or null";
    }
    return null;
  }

  /** {@code GET /v1.0/accounts/{id}}: 200 exists, 404 does not. */
  private Future<Boolean> accountExists(String account) {
    CyclrCall call = CyclrCall.get("/v1.0/accounts/" + OnboardFlow.encode(account), null, "GET /v1.0/accounts/{id}");
    return client.send(call, share).map(resp -> true)
        .recover(err -> err instanceof CyclrException e && !(e instanceof CyclrException.Unreadable)
            && Integer.valueOf(404).equals(e.httpStatus()) ? Future.succeededFuture(false) : Future.failedFuture(err));
  }

  private Future<List<LiveConnector>> installs(String account, ConnectorRef ref) {
    return Paging.findAll(page -> CyclrCall.get("/v1.0/account/connectors?page=" + page + "&pageSize="
            + Paging.PAGE_SIZE, account, "GET /v1.0/account/connectors"), client, share,
        ac -> ac.getValue("Connector") instanceof JsonObject c && sameConnector(c, ref))
        .map(rows -> {
          List<LiveConnector> out = new ArrayList<>(rows.size());
          for (JsonObject ac : rows) {
            JsonObject c = ac.getJsonObject("Connector");
            if (!(ac.getValue("Id") instanceof Number id)) {
              throw new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "Cyclr listed an install of "
                  + ref + " without a numeric Id.", null);
            }
            out.add(new LiveConnector(id.longValue(), c.getValue("Id") instanceof Number n ? n.longValue() : null,
                ac.getValue("Name") instanceof String name ? name : null, text(c.getValue("Version")),
                Boolean.TRUE.equals(ac.getValue("Authenticated"))));
          }
          return out;
        });
  }

  /** By id; or by name (any case) and, when given, exact version: as Cyclr lists the install's connector. */
  static boolean sameConnector(JsonObject c, ConnectorRef ref) {
    if (ref.id() != null) {
      return c.getValue("Id") instanceof Number n && n.longValue() == ref.id();
    }
    return c.getValue("Name") instanceof String n && n.equalsIgnoreCase(ref.name())
        && (ref.version() == null || ref.version().equals(text(c.getValue("Version"))));
  }

  private Future<List<LiveCycle>> cycles(String account, TemplateRef ref) {
    // A template named rather than given by id is looked up once and cached partner-wide (TemplateFlow).
    return templates.template(ref, account).compose(template -> Paging.findAll(page -> CyclrCall.get(
                "/v1.0/cycles?page=" + page + "&pageSize=" + Paging.PAGE_SIZE, account, "GET /v1.0/cycles"),
            client, share, c -> template.id().equalsIgnoreCase(text(c.getValue("TemplateId"))))
        .map(rows -> {
          List<LiveCycle> out = new ArrayList<>(rows.size());
          for (JsonObject c : rows) {
            String id = text(c.getValue("Id"));
            if (id == null) {
              throw new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "Cyclr listed a cycle of template "
                  + template.describe() + " without an Id.", null);
            }
            out.add(new LiveCycle(id, text(c.getValue("TemplateId")), text(c.getValue("Status"))));
          }
          return out;
        }));
  }

  private static String text(Object v) {
    return v instanceof String s && !s.isBlank() ? s : v instanceof Number n ? String.valueOf(n) : null;
  }

  /** A failure as the fleet sees it: code, redacted message, Cyclr's status, and whether a later try may work. */
  static CyclrFailure failure(Throwable err, String clientSecret) {
    if (err instanceof CyclrException e) {
      return new CyclrFailure(e.code(), Redaction.clean(e.getMessage(), clientSecret), e.httpStatus(),
          RetryPolicy.retryableLater(e));
    }
    return new CyclrFailure("INTERNAL", "unexpected error: " + err.getClass().getSimpleName(), null, false);
  }
}
