package io.onboarder.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.FleetContract.CyclrFailure;
import io.onboarder.bus.FleetContract.LiveConnector;
import io.onboarder.bus.FleetContract.LiveCycle;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.ValidationErrors;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every plan action and drift kind, from a tenant's spec, what the fleet knew, and its live state (a table). */
class PlannerTest {
  static final JobRequestValidator VALIDATOR = new JobRequestValidator(1000);

  static FleetSpec spec(JsonObject json) {
    ValidationErrors errors = new ValidationErrors();
    FleetSpec s = FleetSpec.of(json.put("connector", new JsonObject().put("id", 2)), VALIDATOR, errors);
    assertThat(errors.isEmpty()).isTrue();
    return s;
  }

  static final FleetSpec PLAIN = spec(new JsonObject());
  static final FleetSpec PRUNING = spec(new JsonObject().put("policy", new JsonObject().put("prune", true)));
  static final FleetSpec CYCLED = spec(new JsonObject().put("template", new JsonObject().put("id", "tmpl"))
      .put("activate", new JsonObject().put("interval", 60)));

  /** A tenant the fleet never touched, or one it made (installed, signed in, its cycle active). */
  static DesiredTenant fresh() {
    return new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), true, false, false,
        TenantState.PENDING, null, null, null, null);
  }

  static DesiredTenant made() {
    return new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), true, true, true,
        TenantState.ACTIVE, true, 42L, "c-1", "Active");
  }

  static DesiredTenant waiting() {
    return new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), true, true, false,
        TenantState.WAITING_SIGN_IN, false, 42L, null, null);
  }

  static DesiredTenant leftSpec() {
    return new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), false, true, false,
        TenantState.CONNECTED, true, 42L, null, null);
  }

  static LiveStateReply live(boolean authenticated, String cycleStatus) {
    return LiveStateReply.of(true, List.of(new LiveConnector(42, 2L, "Salesforce", "1.0", authenticated)),
        cycleStatus == null ? List.of() : List.of(new LiveCycle("c-1", "tmpl", cycleStatus)));
  }

  static final LiveStateReply NOTHING = LiveStateReply.of(true, List.of(), List.of());
  static final LiveStateReply NO_ACCOUNT = LiveStateReply.of(false, List.of(), List.of());
  static final LiveStateReply FAILED = LiveStateReply.failed(new CyclrFailure("CYCLR_UNAVAILABLE", "down", 503, true));

  record Row(String name, FleetSpec spec, DesiredTenant tenant, LiveStateReply live, PlanAction action,
             DriftKind drift, String reason) {}

  @Test
  void everyActionAndDriftKindComesFromTheFirstThingMissing() {
    List<Row> table = List.of(
        new Row("new tenant", PLAIN, fresh(), NOTHING, PlanAction.INSTALL, null, "not installed"),
        new Row("new tenant, no account", PLAIN, fresh(), NO_ACCOUNT, PlanAction.INSTALL, null, "account missing"),
        new Row("install deleted", PLAIN, made(), NOTHING, PlanAction.REINSTALL, DriftKind.CONNECTOR_MISSING,
            "install gone"),
        new Row("account deleted", PLAIN, made(), NO_ACCOUNT, PlanAction.REINSTALL, DriftKind.ACCOUNT_MISSING,
            "account missing"),
        new Row("grant revoked", PLAIN, made(), live(false, null), PlanAction.RELINK, DriftKind.DEAUTHENTICATED,
            "deauthenticated"),
        new Row("installed by someone, never signed in", PLAIN, fresh(), live(false, null), PlanAction.RELINK, null,
            "not signed in"),
        new Row("link out, waiting", PLAIN, waiting(), live(false, null), PlanAction.NONE, null, "waiting"),
        new Row("fine", PLAIN, made(), live(true, null), PlanAction.NONE, null, "up to date"),
        new Row("cycle deleted", CYCLED, made(), live(true, null), PlanAction.INSTALL_CYCLE, DriftKind.CYCLE_MISSING,
            "cycle gone"),
        new Row("no cycle yet", CYCLED, fresh(), live(true, null), PlanAction.INSTALL_CYCLE, null, "no cycle"),
        new Row("cycle paused", CYCLED, made(), live(true, "Paused"), PlanAction.ACTIVATE, DriftKind.CYCLE_INACTIVE,
            "Paused"),
        new Row("cycle never activated", CYCLED, fresh(), live(true, "Stopped"), PlanAction.ACTIVATE, null,
            "Stopped"),
        new Row("cycle active", CYCLED, made(), live(true, "Active"), PlanAction.NONE, null, "up to date"),
        new Row("left the spec, prune on", PRUNING, leftSpec(), NOTHING, PlanAction.UNINSTALL, null, "prune"),
        new Row("left the spec, prune off", PLAIN, leftSpec(), NOTHING, PlanAction.NONE, null, "prune is off"),
        new Row("left the spec, only a cycle of the fleet's", PRUNING, new DesiredTenant(new JobRequest.Item("t-1",
            null, null, null, null, null), false, false, true, TenantState.ACTIVE, true, 42L, "c-1", "Active"),
            NOTHING, PlanAction.UNINSTALL, null, "prune"),
        new Row("left the spec, nothing of the fleet's", PRUNING, new DesiredTenant(new JobRequest.Item("t-1", null,
            null, null, null, null), false, false, false, TenantState.REMOVED, null, null, null, null), NOTHING,
            PlanAction.NONE, null, "nothing of this fleet's"),
        new Row("unreadable", PLAIN, made(), FAILED, PlanAction.NONE, null, "could not be read"));
    for (Row r : table) {
      Planner.Decision d = Planner.decide(r.spec(), r.tenant(), r.live());
      assertThat(d.action()).as(r.name()).isEqualTo(r.action());
      assertThat(d.drift()).as(r.name()).isEqualTo(r.drift());
      assertThat(d.reason()).as(r.name()).contains(r.reason());
      assertThat(d.state() == TenantState.DRIFTED).as(r.name() + ": drifted state").isEqualTo(r.drift() != null);
    }
  }

  /** A tenant whose spec gives its credentials (an API key), as the fleet last knew it. */
  static DesiredTenant keyed(Boolean authenticated, DriftKind drift, boolean newCredentials) {
    return new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), true, true, false,
        drift == null ? TenantState.CONNECTED : TenantState.DRIFTED, authenticated, 42L, null, null, drift, true,
        newCredentials);
  }

  @Test
  void aCredentialsTenantCyclrRefusesIsLeftAsItIsUntilTheSpecBringsNewCredentials() {
    // Cyclr no longer takes the API key: no sign-in link can help, and the same key again changes nothing.
    Planner.Decision refused = Planner.decide(PLAIN, keyed(true, null, false), live(false, null));
    assertThat(refused.action()).isEqualTo(PlanAction.NONE);
    assertThat(refused.reason()).isEqualTo("credentials refused: supply a new authValue");
    assertThat(refused.drift()).isEqualTo(DriftKind.DEAUTHENTICATED);
    assertThat(refused.state()).isEqualTo(TenantState.DRIFTED);
    assertThat(refused.credentialsLost()).isTrue();
    // Seen again (the fleet recorded it unauthenticated, with its drift): the same, the drift stays.
    Planner.Decision again = Planner.decide(PLAIN, keyed(false, DriftKind.DEAUTHENTICATED, false), live(false, null));
    assertThat(again).isEqualTo(new Planner.Decision("t-1", PlanAction.NONE, refused.reason(),
        DriftKind.DEAUTHENTICATED, refused.observed(), TenantState.DRIFTED));
    // A new generation gave other credentials: a step's job gives them to Cyclr.
    Planner.Decision renewed = Planner.decide(PLAIN, keyed(false, DriftKind.DEAUTHENTICATED, true),
        live(false, null));
    assertThat(renewed.action()).isEqualTo(PlanAction.REINSTALL);
    assertThat(renewed.reason()).isEqualTo("new credentials");
    assertThat(renewed.drift()).isEqualTo(DriftKind.DEAUTHENTICATED);
    // Credentials refused from the start (never authenticated, no drift): left as FAILED, not drift.
    Planner.Decision never = Planner.decide(PLAIN, keyed(null, null, false), live(false, null));
    assertThat(never.action()).isEqualTo(PlanAction.NONE);
    assertThat(never.drift()).isNull();
    assertThat(never.state()).isEqualTo(TenantState.FAILED);
    assertThat(never.credentialsLost()).isFalse();
    // An OAuth tenant's lost grant is still relinked; an authenticated credentials tenant is up to date.
    assertThat(Planner.decide(PLAIN, made(), live(false, null)).credentialsLost()).isFalse();
    assertThat(Planner.decide(PLAIN, keyed(true, null, true), live(true, null)).action()).isEqualTo(PlanAction.NONE);
  }

  @Test
  void aStepJobsItemTellsWhetherCyclrHadTheTenantsCredentials() {
    JsonObject item = new JsonObject().put("account", "t-1").put("accountConnectorId", 42L);
    assertThat(FleetApplier.outcome(item.copy().put("status", "ALREADY_INSTALLED")).credentialsGiven()).isTrue();
    assertThat(FleetApplier.outcome(item.copy().put("status", "INSTALLED")).credentialsGiven()).isTrue();
    assertThat(FleetApplier.outcome(item.copy().put("status", "FAILED").put("error", new JsonObject()
        .put("code", "CREDENTIALS_REFUSED"))).credentialsGiven()).as("refused: Cyclr had them").isTrue();
    assertThat(FleetApplier.outcome(item.copy().put("status", "FAILED").put("error", new JsonObject()
        .put("code", "CYCLR_UNAVAILABLE"))).credentialsGiven()).as("never got there").isFalse();
  }

  @Test
  void anInstallOfTheConnectorUnderAnotherInstallNameIsNotTheFleets() {
    FleetSpec named = spec(new JsonObject().put("installName", "Sales"));
    assertThat(Planner.decide(named, fresh(), live(true, null)).action()).isEqualTo(PlanAction.INSTALL);
    FleetSpec same = spec(new JsonObject().put("installName", "Salesforce"));
    assertThat(Planner.decide(same, fresh(), live(true, null)).action()).isEqualTo(PlanAction.NONE);
  }

  @Test
  void aTenantWaitingToSetUpItsCycleIsLeftToTheTenantUntilTheCycleRuns() {
    DesiredTenant setUp = new DesiredTenant(new JobRequest.Item("t-1", null, null, null, null, null), true, true,
        true, TenantState.SETUP_REQUIRED, true, 42L, "c-1", null);
    Planner.Decision waits = Planner.decide(CYCLED, setUp, live(true, "Paused"));
    assertThat(waits.action()).isEqualTo(PlanAction.NONE);
    assertThat(waits.reason()).isEqualTo("waiting for the tenant to set up the cycle");
    assertThat(waits.state()).isEqualTo(TenantState.SETUP_REQUIRED);
    assertThat(waits.drift()).as("not drift: it never ran").isNull();
    Planner.Decision runs = Planner.decide(CYCLED, setUp, live(true, "Active"));
    assertThat(runs.action()).isEqualTo(PlanAction.NONE);
    assertThat(runs.state()).isEqualTo(TenantState.ACTIVE);
    assertThat(Planner.decide(CYCLED, setUp, live(true, null)).action()).as("its cycle deleted")
        .isEqualTo(PlanAction.INSTALL_CYCLE);
  }

  @Test
  void aStepJobsAccountGivesTheTenantsStateAndCycle() {
    JsonObject account = new JsonObject().put("account", "t-1").put("cycleId", "c-9");
    assertThat(FleetApplier.accountOutcome(account.copy().put("status", "ACTIVE"))).isEqualTo(
        new FleetApplies.TenantOutcome("t-1", TenantState.ACTIVE, null, true, false, null, "c-9", "Active"));
    assertThat(FleetApplier.accountOutcome(account.copy().put("status", "SETUP_REQUIRED")).state())
        .isEqualTo(TenantState.SETUP_REQUIRED);
    assertThat(FleetApplier.accountOutcome(account.copy().put("status", "INSTALLED")).state())
        .isEqualTo(TenantState.CONNECTED);
    assertThat(FleetApplier.accountOutcome(account.copy().put("status", "FAILED")).state())
        .isEqualTo(TenantState.FAILED);
    assertThat(FleetApplier.accountOutcome(account.copy().put("status", "WAITING")))
        .as("waiting on its sign-in: the item's state stands").isNull();
  }

  @Test
  void aReconcileTellsOnlyWhatChanged() {
    JsonObject one = new JsonObject().put("CONNECTOR_MISSING", 1);
    assertThat(FleetEvent.ofReconcile(FleetStatus.CONVERGED, null, FleetStatus.DRIFTED, one))
        .isEqualTo("fleet.drifted");
    assertThat(FleetEvent.ofReconcile(FleetStatus.DRIFTED, one, FleetStatus.DRIFTED,
        new JsonObject().put("CONNECTOR_MISSING", 1L))).isNull();
    assertThat(FleetEvent.ofReconcile(FleetStatus.DRIFTED, one, FleetStatus.DRIFTED,
        new JsonObject().put("CONNECTOR_MISSING", 2))).isEqualTo("fleet.drifted");
    assertThat(FleetEvent.ofReconcile(FleetStatus.DRIFTED, one, FleetStatus.DRIFTED,
        new JsonObject().put("CYCLE_INACTIVE", 1))).isEqualTo("fleet.drifted");
    assertThat(FleetEvent.ofReconcile(FleetStatus.DRIFTED, one, FleetStatus.CONVERGED, new JsonObject()))
        .isEqualTo("fleet.converged");
    assertThat(FleetEvent.ofReconcile(FleetStatus.CONVERGED, new JsonObject(), FleetStatus.CONVERGED,
        new JsonObject())).isNull();
  }

  @Test
  void aPlanReadsAtMostItsBoundAtOnceAndKeepsTheOrder() {
    int[] running = {0};
    int[] most = {0};
    java.util.List<io.vertx.core.Promise<Integer>> pending = new java.util.ArrayList<>();
    var result = PlanRun.bounded(java.util.stream.IntStream.range(0, 50).boxed().toList(), 4, i -> {
      running[0]++;
      most[0] = Math.max(most[0], running[0]);
      io.vertx.core.Promise<Integer> p = io.vertx.core.Promise.promise();
      pending.add(p);
      return p.future().onComplete(x -> running[0]--);
    });
    while (!pending.isEmpty()) {
      io.vertx.core.Promise<Integer> p = pending.remove(pending.size() - 1);
      p.complete(pending.size());
    }
    assertThat(result.succeeded()).isTrue();
    assertThat(result.result()).hasSize(50);
    assertThat(most[0]).isEqualTo(4);
  }
}
