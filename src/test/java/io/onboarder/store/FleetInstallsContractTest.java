package io.onboarder.store;

import static io.onboarder.store.FleetStoreContractTest.put;
import static io.onboarder.store.FleetStoreContractTest.spec;
import static io.onboarder.store.FleetStoreContractTest.tenants;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.fleet.FleetInstalls;
import io.onboarder.fleet.FleetInstalls.Installed;
import io.onboarder.fleet.FleetInstalls.Outcome;
import io.onboarder.fleet.FleetInstalls.Removal;
import io.onboarder.fleet.FleetInstalls.Scope;
import io.onboarder.fleet.FleetInstalls.Target;
import io.onboarder.fleet.FleetPlans;
import io.onboarder.fleet.FleetPolicy;
import io.onboarder.fleet.FleetStatus;
import io.onboarder.fleet.FleetStore;
import io.onboarder.fleet.FleetTenant;
import io.onboarder.fleet.PlanAction;
import io.onboarder.fleet.Planner;
import io.onboarder.fleet.TenantState;
import io.onboarder.history.HistoryEntry;
import io.onboarder.signin.SignInPolicy;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What fleets installed and its removal, on both databases: a connector installed now and a cycle the plan saw none
 * of are the fleet's, a cycle it found is not; a tenant is claimed by one node at a time and once per pass (a dead
 * node's claim is taken over, and its late result ignored); a removal's result and its history entries are one
 * transaction; prune takes only the plan's UNINSTALL lines, only once allowed, and forgets the pruned tenant.
 */
class FleetInstallsContractTest extends StoreContract {
  private static final FleetPolicy PRUNING = new FleetPolicy(false, true, 3600, true, 5, List.of(100.0), 5, 0);

  private static Planner.Decision line(String account, PlanAction action, String cycleSeen) {
    return new Planner.Decision(account, action, "test", null, new Planner.Observed(true, null, null, cycleSeen,
        cycleSeen == null ? null : "Active"), TenantState.PENDING);
  }

  private static String plan(FleetPlans plans, String fleet, long generation, List<Planner.Decision> lines) {
    String id = await(plans.openPlan(fleet, generation));
    await(plans.record(id, fleet, lines, true));
    await(plans.closePlan(id, fleet, Map.of()));
    return id;
  }

  private static Map<String, FleetTenant> tenantsOf(Stores s, String fleet) {
    Map<String, FleetTenant> out = new java.util.TreeMap<>();
    await(s.fleets().tenants(fleet, null, null, 100)).tenants().forEach(t -> out.put(t.account(), t));
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void removalsAreClaimedOncePerPassRecordedWithTheirHistoryAndTakeOnlyWhatTheFleetInstalled(String kind) {
    Stores s = unstarted(kind, urlFor(kind), SignInPolicy.DEFAULT, 4);
    await(s.start());
    stores.add(StorePorts.of(s));
    FleetInstalls installs = s.installs();
    put(s.fleets(), "acme", "alice", "alice", null, spec(1, PRUNING), tenants("t-", 4));
    String planId = plan(s.plans(), "acme", 1, List.of(line("t-0", PlanAction.INSTALL, null),
        line("t-1", PlanAction.INSTALL, null), line("t-2", PlanAction.ACTIVATE, "found"),
        line("t-3", PlanAction.INSTALL_CYCLE, null)));
    await(installs.recordInstalls("acme", planId, List.of(new Installed("t-0", 100L, null),
        new Installed("t-1", 101L, null))));
    List<Installed> cycles = List.of(new Installed("t-0", null, "cyc-0"), new Installed("t-2", null, "found"),
        new Installed("t-3", null, "cyc-3"));
    await(installs.recordInstalls("acme", planId, cycles));
    await(installs.recordInstalls("acme", planId, cycles)); // a step's outcomes recorded twice change nothing
    assertThat(tenantsOf(s, "acme").get("t-2").cycleId()).isEqualTo("found");

    Removal rollback = new Removal(Scope.ROLLBACK, "acme", planId, "pass-1");
    assertThat(await(installs.remaining(rollback))).as("t-2's cycle was found, not installed").isEqualTo(3);
    assertThat(await(installs.remaining(new Removal(Scope.ALL, "acme", null, "x")))).isEqualTo(3);

    // Node a claims two, then dies (its claim has lapsed); node b takes them over with the third.
    List<Target> byA = await(installs.claim(rollback, "a", -1_000, 2));
    assertThat(byA).containsExactly(new Target("t-0", 100L, "cyc-0"), new Target("t-1", 101L, null));
    List<Target> byB = await(installs.claim(rollback, "b", 60_000, 10));
    assertThat(byB).extracting(Target::account).containsExactly("t-0", "t-1", "t-3");
    assertThat(await(installs.claim(rollback, "c", 60_000, 10))).as("claimed by a live node").isEmpty();
    await(installs.done(rollback, "a", List.of(new Outcome(byA.get(0), RemovalOutcome.REMOVED,
        RemovalOutcome.REMOVED))));
    assertThat(await(installs.remaining(rollback))).as("a's late result is ignored").isEqualTo(3);
    assertThat(await(s.history().page("t-0", null, null, 10)).items()).isEmpty();

    await(installs.done(rollback, "b", List.of(
        new Outcome(byB.get(0), RemovalOutcome.REMOVED, RemovalOutcome.REMOVED),
        new Outcome(byB.get(1), RemovalOutcome.ALREADY_GONE, null),
        new Outcome(byB.get(2), null, RemovalOutcome.FAILED))));
    assertThat(await(installs.remaining(rollback))).as("t-3's cycle could not be removed").isEqualTo(1);
    assertThat(await(installs.claim(rollback, "b", 60_000, 10))).as("handled in this pass").isEmpty();
    Map<String, FleetTenant> after = tenantsOf(s, "acme");
    assertThat(after.get("t-0").state()).isEqualTo(TenantState.REMOVED);
    assertThat(after.get("t-0").accountConnectorId()).isNull();
    assertThat(after.get("t-0").cycleId()).isNull();
    assertThat(after.get("t-1").state()).isEqualTo(TenantState.REMOVED);
    assertThat(after.get("t-3").state()).isNotEqualTo(TenantState.REMOVED);
    assertThat(after.get("t-3").cycleId()).isEqualTo("cyc-3");

    List<HistoryEntry> t0 = await(s.history().page("t-0", "alice", null, 10)).items();
    assertThat(t0).extracting(e -> e.kind().wire).containsExactly("cycle.uninstalled", "connector.uninstalled");
    assertThat(t0).allSatisfy(e -> {
      assertThat(e.fleet()).isEqualTo("acme");
      assertThat(e.detail().getString("reason")).isEqualTo("rollback");
    });
    assertThat(t0.get(1).detail().getLong("accountConnectorId")).isEqualTo(100L);
    assertThat(await(s.history().page("t-1", null, null, 10)).items()).singleElement()
        .satisfies(e -> assertThat(e.detail().getBoolean("alreadyGone")).isTrue());
    assertThat(await(s.history().page("t-0", "bob", null, 10)).items()).as("alice's fleet").isEmpty();

    // A new pass tries t-3 again; the whole fleet (ALL) has only t-3 left.
    Removal again = new Removal(Scope.ROLLBACK, "acme", planId, "pass-2");
    List<Target> retry = await(installs.claim(again, "b", 60_000, 10));
    assertThat(retry).containsExactly(new Target("t-3", null, "cyc-3"));
    await(installs.done(again, "b", List.of(new Outcome(retry.get(0), null, RemovalOutcome.FAILED))));
    assertThat(await(installs.claim(new Removal(Scope.ALL, "acme", null, "d-1"), "b", 60_000, 10)))
        .containsExactly(new Target("t-3", null, "cyc-3"));
    await(installs.done(new Removal(Scope.ALL, "acme", null, "d-1"), "b", List.of()));

    // t-3 leaves the spec: prune takes it only once the plan's apply is allowed to, then forgets it.
    put(s.fleets(), "acme", "alice", "alice", null, spec(1, PRUNING), tenants("t-", 3));
    String prunePlan = plan(s.plans(), "acme", 2, List.of(line("t-3", PlanAction.UNINSTALL, null)));
    Removal prune = new Removal(Scope.PRUNE, "acme", prunePlan, prunePlan);
    assertThat(await(installs.remaining(prune))).isZero();
    await(installs.allowPrune(prunePlan));
    assertThat(await(installs.remaining(prune))).isEqualTo(1);
    assertThat(await(installs.claim(prune, "b", 60_000, 10))).as("still claimed in the delete pass").isEmpty();
    await(installs.done(new Removal(Scope.ALL, "acme", null, "d-1"), "b", List.of(new Outcome(
        new Target("t-3", null, "cyc-3"), null, RemovalOutcome.FAILED))));
    List<Target> pruned = await(installs.claim(prune, "b", 60_000, 10));
    assertThat(pruned).containsExactly(new Target("t-3", null, "cyc-3"));
    await(installs.done(prune, "b", List.of(new Outcome(pruned.get(0), null, RemovalOutcome.REMOVED))));
    assertThat(tenantsOf(s, "acme")).as("the pruned tenant is forgotten").doesNotContainKey("t-3");
    assertThat(await(s.history().page("t-3", null, null, 10)).items()).singleElement().satisfies(e -> {
      assertThat(e.kind().wire).isEqualTo("cycle.uninstalled");
      assertThat(e.detail()).isEqualTo(new JsonObject().put("cycleId", "cyc-3").put("reason", "prune"));
    });

    // A delete begins only from the status the caller saw.
    assertThat(await(installs.beginDelete("acme", FleetStatus.CONVERGED, "d-2", new JsonObject(), 0))).isFalse();
    assertThat(await(installs.beginDelete("acme", FleetStatus.PENDING, "d-2", new JsonObject(), 0))).isTrue();
    assertThat(await(s.fleets().fleet("acme")).status()).isEqualTo(FleetStatus.DELETING);
    assertThat(await(s.fleets().fleet("acme")).applyPlan()).isEqualTo("d-2");
    assertThat(put(s.fleets(), "acme", "alice", "alice", null, spec(1, PRUNING), tenants("t-", 5)).outcome())
        .as("a fleet being deleted takes no new spec").isEqualTo(FleetStore.Outcome.DELETING);
    assertThat(await(s.fleets().fleet("acme")).status()).isEqualTo(FleetStatus.DELETING);
  }
}
