package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.fleet.DesiredTenant;
import io.onboarder.fleet.DriftKind;
import io.onboarder.fleet.FleetApplies;
import io.onboarder.fleet.FleetPolicy;
import io.onboarder.fleet.PlanAction;
import io.onboarder.fleet.Planner;
import io.onboarder.fleet.TenantState;
import io.onboarder.history.HistoryEntry;
import io.onboarder.job.JobRequest;
import io.onboarder.signin.SignInPolicy;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Credentials tenants on both databases: a tenant whose spec gives an auth value is one, and its credentials are
 * told new (not those last given to Cyclr) by keyed fingerprint, never by plaintext: new at first, given by a step
 * that reached Cyclr with them (not by one that failed before), new again only when a spec brings others.
 * Credentials Cyclr refused are the account's history ({@code credential.lost}) once, however often seen.
 */
class FleetCredentialsContractTest extends StoreContract {

  private Stores started(String kind) {
    Stores s = unstarted(kind, urlFor(kind), SignInPolicy.DEFAULT, 4);
    await(s.start());
    stores.add(StorePorts.of(s));
    return s;
  }

  private static void put(Stores s, String... keys) {
    List<JobRequest.Item> tenants = new java.util.ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      tenants.add(new JobRequest.Item("k-" + i, keys[i], null, null, null, null));
    }
    FleetStoreContractTest.put(s.fleets(), "keys", "alice", "alice", null,
        FleetStoreContractTest.spec(1, FleetPolicy.DEFAULT), tenants);
  }

  private static Map<String, DesiredTenant> desired(Stores s) {
    return await(s.plans().desired("keys", "", 10, false)).stream()
        .collect(Collectors.toMap(DesiredTenant::account, t -> t));
  }

  private static List<String> history(Stores s, String account) {
    return await(s.history().page(account, "alice", null, 50)).items().stream().map(HistoryEntry::kind)
        .map(k -> k.wire).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void newCredentialsAreToldByFingerprintAndGivenByAStepThatReachedCyclr(String kind) {
    Stores s = started(kind);
    put(s, "key-a", "key-b", null);
    Map<String, DesiredTenant> t = desired(s);
    assertThat(t.get("k-0").credentials()).isTrue();
    assertThat(t.get("k-0").newCredentials()).as("Cyclr has not had them yet").isTrue();
    assertThat(t.get("k-2").credentials()).as("no auth value: a tenant that signs in").isFalse();
    assertThat(t.get("k-2").newCredentials()).isFalse();
    assertThat(t.get("k-0").item().authValue()).as("not asked for").isNull();

    await(s.applies().recordOutcomes("keys", "job-1", List.of(
        new FleetApplies.TenantOutcome("k-0", TenantState.CONNECTED, 7L, true, true, null, true),
        new FleetApplies.TenantOutcome("k-1", TenantState.FAILED, null, null, false, null, false))));
    t = desired(s);
    assertThat(t.get("k-0").newCredentials()).isFalse();
    assertThat(t.get("k-1").newCredentials()).as("the step failed before Cyclr had them").isTrue();

    // The same credentials again (another tenant's changed, so a new generation): still not new.
    put(s, "key-a", "key-b2", "key-c");
    t = desired(s);
    assertThat(t.get("k-0").newCredentials()).isFalse();
    assertThat(t.get("k-2").credentials()).isTrue();
    put(s, "key-a2", "key-b2", "key-c");
    assertThat(desired(s).get("k-0").newCredentials()).as("other credentials").isTrue();
    assertThat(await(s.plans().desired("keys", "", 10, true)).get(0).item().authValue()).isEqualTo("key-a2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void refusedCredentialsAreHistoryOnceWithTheirDrift(String kind) {
    Stores s = started(kind);
    put(s, "key-a", null);
    Planner.Observed seen = new Planner.Observed(true, 7L, false, null, null);
    Planner.Decision refused = new Planner.Decision("k-0", PlanAction.NONE, Planner.CREDENTIALS_REFUSED,
        DriftKind.DEAUTHENTICATED, seen, TenantState.DRIFTED);
    Planner.Decision relink = new Planner.Decision("k-1", PlanAction.RELINK, "deauthenticated",
        DriftKind.DEAUTHENTICATED, seen, TenantState.DRIFTED);
    for (int i = 0; i < 3; i++) {
      String planId = await(s.plans().openPlan("keys", 1));
      await(s.plans().record(planId, "keys", List.of(refused, relink), i == 0));
      await(s.plans().closePlan(planId, "keys", Map.of(PlanAction.NONE, 1L, PlanAction.RELINK, 1L)));
    }
    assertThat(history(s, "k-0")).containsExactly("drift.detected", "credential.lost");
    assertThat(history(s, "k-1")).as("a lost sign-in is relinked, not lost credentials").containsExactly(
        "drift.detected");
    DesiredTenant k0 = desired(s).get("k-0");
    assertThat(k0.drift()).isEqualTo(DriftKind.DEAUTHENTICATED);
    assertThat(k0.state()).isEqualTo(TenantState.DRIFTED);
    assertThat(k0.authenticated()).isFalse();
  }
}
