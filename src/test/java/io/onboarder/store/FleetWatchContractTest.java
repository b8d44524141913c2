package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.WebhookTypeNames;
import io.onboarder.fleet.FleetApplies;
import io.onboarder.fleet.FleetEvent;
import io.onboarder.fleet.FleetPolicy;
import io.onboarder.fleet.FleetStatus;
import io.onboarder.fleet.PlanAction;
import io.onboarder.fleet.Planner;
import io.onboarder.fleet.TenantState;
import io.onboarder.fleet.DriftKind;
import io.onboarder.history.HistoryEntry;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a fleet tells, on both databases: its webhooks ({@code fleet.halted}, {@code fleet.converged},
 * {@code fleet.drifted}) are written into the outbox by the write that changes its status, so only the node that
 * holds its lease tells, once per change (a reconcile that finds the same drift again tells nothing); drift newly
 * seen on a tenant and drift a step's job repaired are the account's history, with the fleet.
 */
class FleetWatchContractTest extends StoreContract {
  private static final long LEASE_MS = 60_000;

  private Stores started(String kind) {
    Stores s = unstarted(kind, urlFor(kind), SignInPolicy.DEFAULT, 4);
    await(s.start());
    stores.add(StorePorts.of(s));
    return s;
  }

  /** A READY plan of {@code fleet} (generation 1) with these decisions. */
  private static String plan(Stores s, String fleet, List<Planner.Decision> decisions) {
    String planId = await(s.plans().openPlan(fleet, 1));
    await(s.plans().record(planId, fleet, decisions, true));
    return await(s.plans().closePlan(planId, fleet, Map.of(PlanAction.INSTALL, (long) decisions.size()))).id();
  }

  private static Planner.Decision drifted(String account, DriftKind drift, PlanAction action) {
    return new Planner.Decision(account, action, "gone", drift, new Planner.Observed(true, null, null, null, null),
        TenantState.DRIFTED);
  }

  private static Planner.Decision fine(String account) {
    return new Planner.Decision(account, PlanAction.NONE, "up to date", null,
        new Planner.Observed(true, 7L, true, null, null), TenantState.CONNECTED);
  }

  private static List<String> types(Stores s, String owner) {
    return await(s.outbox().list(null, owner, 100, null)).deliveries().stream().map(d -> d.getString("type"))
        .toList();
  }

  private static FleetEvent reconcile(Stores s, String node, FleetStatus status, JsonObject drift) {
    assertThat(await(s.applies().claimReconcile(node, LEASE_MS, Long.MAX_VALUE, 1, "watch"))).hasSize(1);
    FleetApplies.Reconciled r = await(s.applies().reconciled("watch", node, status, drift, 1_000, 2_000));
    assertThat(r.written()).isTrue();
    return r.event();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aFleetsWebhooksAreWrittenWithItsStatusOncePerChange(String kind) {
    Stores s = started(kind);
    s.outboxTypes(Set.copyOf(WebhookTypeNames.ALL));
    FleetStoreContractTest.put(s.fleets(), "watch", "alice", "alice", null,
        FleetStoreContractTest.spec(1, FleetPolicy.DEFAULT), FleetStoreContractTest.tenants("w-", 2));
    String planId = plan(s, "watch", List.of(fine("w-0"), fine("w-1")));
    long version = await(s.fleets().fleet("watch")).stateVersion();
    assertThat(await(s.applies().begin("watch", planId, 1, version, new JsonObject(), 0))).isTrue();

    // A step halts: told by the node that holds the apply, not by one that lost it.
    assertThat(await(s.applies().claimDue("n1", LEASE_MS, Long.MAX_VALUE, 1, "watch"))).hasSize(1);
    FleetEvent halted = new FleetEvent("watch", 1, FleetEvent.HALTED, new JsonObject().put("step", 1));
    assertThat(await(s.applies().progress("watch", "n2", new FleetApplies.Progress(FleetStatus.HALTED, 0, null, null,
        null, null, planId, null, halted)))).isFalse();
    assertThat(types(s, null)).isEmpty();
    assertThat(await(s.applies().progress("watch", "n1", new FleetApplies.Progress(FleetStatus.HALTED, 0, null, null,
        null, null, planId, null, halted)))).isTrue();
    assertThat(types(s, "alice")).containsExactly("fleet.halted");

    // Resumed, the apply converges.
    assertThat(await(s.applies().transition("watch", FleetStatus.HALTED, new FleetApplies.Progress(
        FleetStatus.APPLYING, 1, null, 0L, null, null, planId, null)))).isTrue();
    assertThat(await(s.applies().claimDue("n1", LEASE_MS, Long.MAX_VALUE, 1, "watch"))).hasSize(1);
    assertThat(await(s.applies().progress("watch", "n1", new FleetApplies.Progress(FleetStatus.CONVERGED, null, null,
        null, null, 1L, planId, 0L, new FleetEvent("watch", 1, FleetEvent.CONVERGED, new JsonObject()))))).isTrue();

    // Reconciles: drift found, the same drift again (nothing), the drift changed, converged, converged again.
    JsonObject one = new JsonObject().put("CONNECTOR_MISSING", 1);
    assertThat(reconcile(s, "n1", FleetStatus.DRIFTED, one).type()).isEqualTo("fleet.drifted");
    assertThat(reconcile(s, "n2", FleetStatus.DRIFTED, one.copy())).as("the same drift").isNull();
    FleetEvent more = reconcile(s, "n1", FleetStatus.DRIFTED, one.copy().put("DEAUTHENTICATED", 2));
    assertThat(more.type()).isEqualTo("fleet.drifted");
    assertThat(more.summary()).isEqualTo(new JsonObject().put("CONNECTOR_MISSING", 1).put("DEAUTHENTICATED", 2));
    assertThat(reconcile(s, "n1", FleetStatus.CONVERGED, new JsonObject()).type()).isEqualTo("fleet.converged");
    assertThat(reconcile(s, "n1", FleetStatus.CONVERGED, new JsonObject())).isNull();
    assertThat(await(s.applies().reconciled("watch", "n1", FleetStatus.DRIFTED, one, 1, 2)))
        .as("no lease: nothing written").isEqualTo(new FleetApplies.Reconciled(false, null));
    assertThat(await(s.fleets().fleet("watch")).status()).isEqualTo(FleetStatus.CONVERGED);

    assertThat(types(s, "alice")).containsExactly("fleet.converged", "fleet.drifted", "fleet.drifted",
        "fleet.converged", "fleet.halted");
    assertThat(types(s, "bob")).as("another caller's fleet").isEmpty();
    JsonObject delivery = await(s.outbox().list(null, "alice", 1, null)).deliveries().get(0);
    assertThat(delivery.getString("fleet")).isEqualTo("watch");
    assertThat(delivery.getString("jobId")).isNull();
    assertThat(delivery.getJsonObject("payload").getJsonObject("data")).isEqualTo(new JsonObject()
        .put("fleet", "watch").put("generation", 1).put("type", "fleet.converged").put("summary", new JsonObject()));
    assertThat(await(s.outbox().claimDue("sender", 10, LEASE_MS))).as("sent like any webhook").hasSize(5);

    // Types not asked for (WEBHOOK_EVENTS) are told on the bus only.
    s.outboxTypes(Set.of(WebhookTypeNames.JOB_FINISHED));
    assertThat(reconcile(s, "n1", FleetStatus.DRIFTED, one).type()).isEqualTo("fleet.drifted");
    assertThat(types(s, "alice")).hasSize(5);
  }

  private static List<HistoryEntry> history(Stores s, String account, String owner) {
    return await(s.history().page(account, owner, null, 50)).items();
  }

  private static FleetApplies.TenantOutcome outcome(String account, TenantState state) {
    return new FleetApplies.TenantOutcome(account, state, 9L, state == TenantState.CONNECTED, true, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void driftIsHistoryWhenFirstSeenAndWhenAStepRepairsIt(String kind) {
    Stores s = started(kind);
    FleetStoreContractTest.put(s.fleets(), "healing", "alice", "alice", null,
        FleetStoreContractTest.spec(1, FleetPolicy.DEFAULT), FleetStoreContractTest.tenants("h-", 2));
    plan(s, "healing", List.of(drifted("h-0", DriftKind.CONNECTOR_MISSING, PlanAction.REINSTALL), fine("h-1")));
    plan(s, "healing", List.of(drifted("h-0", DriftKind.CONNECTOR_MISSING, PlanAction.REINSTALL), fine("h-1")));
    List<HistoryEntry> h0 = history(s, "h-0", "alice");
    assertThat(h0).as("seen twice, recorded once").hasSize(1);
    assertThat(h0.get(0).kind().wire).isEqualTo("drift.detected");
    assertThat(h0.get(0).fleet()).isEqualTo("healing");
    assertThat(h0.get(0).detail().getString("drift")).isEqualTo("CONNECTOR_MISSING");
    assertThat(h0.get(0).detail().getString("action")).isEqualTo("REINSTALL");
    assertThat(history(s, "h-1", null)).isEmpty();
    assertThat(history(s, "h-0", "bob")).isEmpty();

    await(s.applies().recordOutcomes("healing", "job-1", List.of(outcome("h-0", TenantState.CONNECTED),
        outcome("h-1", TenantState.CONNECTED))));
    h0 = history(s, "h-0", "alice");
    assertThat(h0).extracting(e -> e.kind().wire).containsExactly("drift.detected", "drift.repaired");
    assertThat(h0.get(1).jobId()).isEqualTo("job-1");
    assertThat(h0.get(1).fleet()).isEqualTo("healing");
    assertThat(h0.get(1).detail()).isEqualTo(new JsonObject().put("drift", "CONNECTOR_MISSING"));
    assertThat(history(s, "h-1", null)).as("nothing had drifted").isEmpty();

    // A repair that failed leaves the drift: seen again, it is not new; the next good step repairs it.
    plan(s, "healing", List.of(fine("h-0"), drifted("h-1", DriftKind.DEAUTHENTICATED, PlanAction.RELINK)));
    await(s.applies().recordOutcomes("healing", "job-2", List.of(outcome("h-1", TenantState.FAILED))));
    plan(s, "healing", List.of(fine("h-0"), drifted("h-1", DriftKind.DEAUTHENTICATED, PlanAction.RELINK)));
    await(s.applies().recordOutcomes("healing", "job-3", List.of(outcome("h-1", TenantState.WAITING_SIGN_IN))));
    List<HistoryEntry> h1 = history(s, "h-1", null);
    assertThat(h1).extracting(e -> e.kind().wire + ":" + e.jobId())
        .containsExactly("drift.detected:null", "drift.repaired:job-3");
    assertThat(h1.get(1).detail().getString("drift")).isEqualTo("DEAUTHENTICATED");
    assertThat(history(s, "h-0", null)).as("h-0 stayed fine").hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void anAutoApplyFleetsNewGenerationIsDueAtOnceAndAfterARefusalOnlyLater(String kind) {
    Stores s = started(kind);
    FleetPolicy auto = new FleetPolicy(true, true, 3600, false, 5, List.of(1.0, 10.0, 100.0), 5, 600);
    FleetStoreContractTest.put(s.fleets(), "manual", "alice", "alice", null,
        FleetStoreContractTest.spec(1, FleetPolicy.DEFAULT), FleetStoreContractTest.tenants("m-", 1));
    FleetStoreContractTest.put(s.fleets(), "auto", "alice", "alice", null, FleetStoreContractTest.spec(1, auto),
        FleetStoreContractTest.tenants("a-", 1));
    assertThat(await(s.applies().claimReconcile("n1", LEASE_MS, 1_000, 8, null))).extracting(r -> r.name())
        .as("a new autoApply fleet is due; a new fleet without it waits for an apply").containsExactly("auto");
    assertThat(await(s.applies().claimReconcile("n2", LEASE_MS, 1_000, 8, "auto"))).as("leased by n1").isEmpty();
    assertThat(await(s.applies().claimReconcile("n2", LEASE_MS, 1_000, 8, "manual"))).isEmpty();

    // n1's apply was refused: it hands the fleet back, tried again from 5 000 ms on.
    assertThat(await(s.applies().progress("auto", "n1", new FleetApplies.Progress(FleetStatus.PENDING, null, null,
        5_000L, null, null, null, null)))).isTrue();
    assertThat(await(s.applies().claimReconcile("n2", LEASE_MS, 4_999, 8, null))).isEmpty();
    assertThat(await(s.applies().claimReconcile("n2", LEASE_MS, 5_000, 8, null))).extracting(r -> r.name())
        .containsExactly("auto");
    assertThat(await(s.applies().progress("auto", "n2", new FleetApplies.Progress(FleetStatus.PENDING, null, null,
        5_000L, null, null, null, null)))).isTrue();

    // A new generation is due at once again; turning autoApply off makes it wait for an apply.
    FleetStoreContractTest.put(s.fleets(), "auto", "alice", "alice", null, FleetStoreContractTest.spec(1, auto),
        FleetStoreContractTest.tenants("a-", 2));
    assertThat(await(s.applies().claimReconcile("n1", LEASE_MS, 1_000, 8, null))).extracting(r -> r.name())
        .containsExactly("auto");
    assertThat(await(s.applies().progress("auto", "n1", new FleetApplies.Progress(FleetStatus.PENDING, null, null,
        null, null, null, null, null)))).isTrue();
    FleetStoreContractTest.put(s.fleets(), "auto", "alice", "alice", null,
        FleetStoreContractTest.spec(1, FleetPolicy.DEFAULT), FleetStoreContractTest.tenants("a-", 2));
    assertThat(await(s.applies().claimReconcile("n1", LEASE_MS, 1_000, 8, null))).isEmpty();
  }
}
