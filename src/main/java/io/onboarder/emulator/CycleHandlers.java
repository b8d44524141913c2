package io.onboarder.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** The Cyclr REST handlers for templates (integrations) and cycles; auth and faults ran before. */
final class CycleHandlers {
  /** Cyclr's activation intervals, in minutes. */
  private static final Set<Integer> INTERVALS = Set.of(1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080);

  private final EmulatorState state;
  private final EmulatorOptions options;
  private final EmulatorStats stats;

  CycleHandlers(EmulatorState state, EmulatorOptions options, EmulatorStats stats) {
    this.state = state;
    this.options = options;
    this.stats = stats;
  }

  /** {@code GET /v1.0/templates?page=&pageSize=&connectorName=}: a page past the end is {@code 200 []}. */
  void listTemplates(RoutingContext rc, Account ignored) {
    String connectorName = rc.queryParams().get("connectorName");
    List<JsonObject> all = state.templates().stream()
        .filter(t -> connectorName == null || t.getJsonArray("Connectors").stream()
            .anyMatch(c -> connectorName.equalsIgnoreCase(((JsonObject) c).getString("Name"))))
        .map(EmulatorState::templateJson).toList();
    Http.json(rc, 200, new JsonArray(List.copyOf(Http.page(rc, all, options))));
  }

  /** {@code POST /v1.0/templates/{id}/install}, body {@code {}}: a new cycle every time (no idempotency). */
  void installTemplate(RoutingContext rc, Account account) {
    JsonObject template = state.template(rc.pathParam("id"));
    if (template == null) {
      throw new ApiError(404, "Template not found");
    }
    EmulatorState.CycleResult result = state.installTemplate(account, template);
    stats.countCycleInstalled(account.id, result.duplicate());
    double dropRate = options.getDropTemplateInstallRate();
    if (dropRate > 0 && ThreadLocalRandom.current().nextDouble() < dropRate) {
      // Installed, but the answer is lost: a client that simply sends it again makes a second cycle.
      stats.countDropInjected();
      rc.request().connection().close();
      return;
    }
    Http.json(rc, 200, result.cycle().toJson());
  }

  void listCycles(RoutingContext rc, Account account) {
    List<JsonObject> all = account.cycles().stream().map(Cycle::toJson).toList();
    Http.json(rc, 200, new JsonArray(List.copyOf(Http.page(rc, all, options))));
  }

  void getCycle(RoutingContext rc, Account account) {
    Http.json(rc, 200, ownCycle(rc, account).toJson());
  }

  void prerequisites(RoutingContext rc, Account account) {
    Http.json(rc, 200, ownCycle(rc, account).prerequisites());
  }

  /**
   * {@code PUT /v1.0/cycles/{id}/activate} {"StartTime"?, "Interval", "RunOnce"?}: refused while prerequisites
   * are unmet (what Cyclr does then is not documented; refusing is the cautious reading).
   */
  void activate(RoutingContext rc, Account account) {
    Cycle cycle = ownCycle(rc, account);
    JsonObject body = ApiHandlers.jsonBody(rc);
    if (body == null) {
      throw new ApiError(400, "The request is invalid.");
    }
    boolean runOnce = Boolean.TRUE.equals(body.getValue("RunOnce"));
    Integer interval = EmulatorState.asInt(body.getValue("Interval"));
    if (!runOnce && (interval == null || !INTERVALS.contains(interval))) {
      throw new ApiError(400, "Interval must be one of " + new java.util.TreeSet<>(INTERVALS) + " minutes.");
    }
    if (!cycle.prerequisites().isEmpty()) {
      throw new ApiError(400, "The cycle cannot be activated: it has unmet prerequisites.");
    }
    if (cycle.activate(body.copy())) {
      stats.countActivation();
    }
    Http.json(rc, 200, cycle.toJson());
  }

  void deactivate(RoutingContext rc, Account account) {
    Cycle cycle = ownCycle(rc, account);
    cycle.deactivate();
    Http.json(rc, 200, cycle.toJson());
  }

  void deleteCycle(RoutingContext rc, Account account) {
    Cycle cycle = ownCycle(rc, account);
    if (cycle.active()) {
      throw new ApiError(409, "An active cycle cannot be deleted; deactivate it first.");
    }
    state.deleteCycle(account, cycle.id);
    rc.response().setStatusCode(200).end();
  }

  /** Another account's cycle is a 404, exactly like a missing one. */
  private Cycle ownCycle(RoutingContext rc, Account account) {
    Cycle c = state.cycle(account, rc.pathParam("id"));
    if (c == null) {
      throw new ApiError(404, "Cycle not found");
    }
    return c;
  }
}
