package io.onboarder.store;

import io.onboarder.fleet.FleetPolicy;
import io.onboarder.fleet.FleetRecord;
import io.onboarder.fleet.FleetSpec;
import io.onboarder.fleet.FleetStatus;
import io.onboarder.fleet.FleetStore;
import io.onboarder.fleet.FleetStore.Outcome;
import io.onboarder.fleet.FleetTenant;
import io.onboarder.fleet.TenantState;
import io.onboarder.job.JobRequest;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.ValidationErrors;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.support.Postgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet store on both databases: a spec written in batches and committed once; generation raised
 * only by a change; If-Match and ownership decided in the commit's transaction (two nodes at once: one
 * wins); tenants that stay keep what is known of them; auth values stored encrypted and wiped when a
 * tenant leaves; pages by account; a duplicate account or a discarded upload leaves nothing behind; a
 * fleet's step jobs (for its sign-in funnel) newest first, without an earlier same-named fleet's.
 */
class FleetStoreContractTest extends StoreContract {

  private Stores started(String kind, String url) {
    Stores s = unstarted(kind, url, SignInPolicy.DEFAULT, 4);
    await(s.start());
    stores.add(StorePorts.of(s));
    return s;
  }

  static FleetSpec spec(long connectorId, FleetPolicy policy) {
    ValidationErrors errors = new ValidationErrors();
    FleetSpec spec = FleetSpec.of(new JsonObject().put("connector", new JsonObject().put("id", connectorId))
        .put("policy", policy.toJson()), VALIDATOR, errors);
    assertThat(errors.isEmpty()).as(errors::toString).isTrue();
    return spec;
  }

  static List<JobRequest.Item> tenants(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> new JobRequest.Item(prefix + i, "secret-" + prefix + i, null, null,
        null, null)).toList();
  }

  /** Writes {@code tenants} in batches of 50, then commits. */
  static FleetStore.Put put(FleetStore store, String name, String owner, String filter, Long ifMatch, FleetSpec spec,
                            List<JobRequest.Item> tenants) {
    FleetStore.Intake intake = await(store.openIntake(name));
    RequestPrint print = store.newPrint();
    for (int i = 0; i < tenants.size(); i += 50) {
      List<JobRequest.Item> batch = tenants.subList(i, Math.min(tenants.size(), i + 50));
      batch.forEach(print::item);
      await(intake.append(batch));
    }
    return await(intake.commit(owner, filter, ifMatch, spec, tenants.size(), print.finish(spec.toJson())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void generationMovesOnlyWithAChangeAndIfMatchAndOwnershipAreDecidedAtCommit(String kind) {
    String url = urlFor(kind);
    FleetStore store = started(kind, url).fleets();
    FleetSpec spec = spec(1, FleetPolicy.DEFAULT);

    FleetStore.Put created = put(store, "acme", "alice", "alice", null, spec, tenants("t-", 120));
    assertThat(created.outcome()).isEqualTo(Outcome.CREATED);
    FleetRecord f = created.fleet();
    assertThat(f.generation()).isEqualTo(1);
    assertThat(f.appliedGeneration()).isNull();
    assertThat(f.status()).isEqualTo(FleetStatus.PENDING);
    assertThat(f.tenantCount()).isEqualTo(120);
    assertThat(f.owner()).isEqualTo("alice");
    assertThat(f.spec().getJsonObject("policy").getJsonObject("rollout").getJsonArray("steps").encode())
        .isEqualTo("[1,10,100]");
    assertThat(await(store.tenantCounts("acme"))).isEqualTo(Map.of(TenantState.PENDING, 120L));

    // The same spec and tenants again: nothing changes.
    FleetStore.Put same = put(store, "acme", "alice", "alice", null, spec, tenants("t-", 120));
    assertThat(same.outcome()).isEqualTo(Outcome.UNCHANGED);
    assertThat(same.fleet().generation()).isEqualTo(1);
    // A changed auth value is a change (a reinstall would use it).
    List<JobRequest.Item> rekeyed = new ArrayList<>(tenants("t-", 120));
    rekeyed.set(3, new JobRequest.Item("t-3", "new-secret", null, null, null, null));
    assertThat(put(store, "acme", "alice", "alice", 1L, spec, rekeyed).fleet().generation()).isEqualTo(2);

    assertThat(put(store, "acme", "alice", "alice", 1L, spec, tenants("t-", 5)).outcome())
        .as("If-Match of a generation that moved").isEqualTo(Outcome.PRECONDITION_FAILED);
    assertThat(put(store, "nope", "alice", "alice", 1L, spec, tenants("t-", 5)).outcome())
        .as("If-Match of a fleet that does not exist").isEqualTo(Outcome.PRECONDITION_FAILED);
    assertThat(await(store.fleet("nope"))).isNull();
    assertThat(put(store, "acme", "bob", "bob", null, spec, tenants("b-", 5)).outcome())
        .as("another caller's fleet").isEqualTo(Outcome.TAKEN);
    FleetStore.Put byAdmin = put(store, "acme", "ops", null, 2L, spec(2, FleetPolicy.DEFAULT), tenants("t-", 100));
    assertThat(byAdmin.outcome()).isEqualTo(Outcome.UPDATED);
    assertThat(byAdmin.fleet().generation()).isEqualTo(3);
    assertThat(byAdmin.fleet().owner()).as("an admin's edit keeps the owner").isEqualTo("alice");
    assertThat(byAdmin.fleet().tenantCount()).isEqualTo(100);
    assertThat(await(store.tenantCounts("acme"))).as("tenants that left and had nothing installed are forgotten")
        .isEqualTo(Map.of(TenantState.PENDING, 100L));
    assertThat(await(store.fleets("alice", 10))).extracting(FleetRecord::name).containsExactly("acme");
    assertThat(await(store.fleets("bob", 10))).isEmpty();
    assertThat(await(store.fleets(null, 10))).hasSize(1);

    // Two nodes commit against the same generation at once: the database lets exactly one through.
    FleetStore other = kind.equals("sqlite") ? store : started(kind, url).fleets();
    FleetStore.Intake a = await(store.openIntake("acme"));
    FleetStore.Intake b = await(other.openIntake("acme"));
    await(a.append(tenants("a-", 10)));
    await(b.append(tenants("b-", 10)));
    Future<FleetStore.Put> fa = a.commit("alice", "alice", 3L, spec, 10, "print-a");
    Future<FleetStore.Put> fb = b.commit("alice", "alice", 3L, spec, 10, "print-b");
    await(Future.join(fa, fb));
    assertThat(List.of(fa.result().outcome(), fb.result().outcome()))
        .containsExactlyInAnyOrder(Outcome.UPDATED, Outcome.PRECONDITION_FAILED);
    assertThat(await(store.fleet("acme")).generation()).isEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void tenantsArePagedByAccountAuthValuesAreSealedAndDuplicatesOrDiscardsLeaveNothing(String kind) throws Exception {
    String url = urlFor(kind);
    FleetStore store = started(kind, url).fleets();
    FleetSpec spec = spec(1, FleetPolicy.DEFAULT);
    put(store, "pages", "alice", "alice", null, spec, tenants("t-", 230));

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      FleetStore.TenantPage page = await(store.tenants("pages", null, cursor, 100));
      page.tenants().forEach(t -> seen.add(t.account()));
      assertThat(page.tenants()).allSatisfy(t -> {
        assertThat(t.state()).isEqualTo(TenantState.PENDING);
        assertThat(t.inSpec()).isTrue();
      });
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(230).doesNotHaveDuplicates().isSorted();
    assertThat(await(store.tenants("pages", TenantState.FAILED, null, 100)).tenants()).isEmpty();
    assertThat(storedFleetText(kind, url)).contains("t-7").doesNotContain("secret-t-7");

    // One account twice: refused, and nothing of it stays.
    List<JobRequest.Item> twice = new ArrayList<>(tenants("d-", 60));
    twice.add(new JobRequest.Item("d-3", "x", null, null, null, null));
    FleetStore.Put dup = put(store, "dups", "alice", "alice", null, spec, twice);
    assertThat(dup.outcome()).isEqualTo(Outcome.DUPLICATE_TENANTS);
    assertThat(dup.duplicates()).isEqualTo(1);
    assertThat(await(store.fleet("dups"))).isNull();

    FleetStore.Intake discarded = await(store.openIntake("gone"));
    await(discarded.append(tenants("g-", 70)));
    await(discarded.discard());
    assertThat(countRows(kind, url, "fleet_intake_tenants")).isZero();
    assertThat(countRows(kind, url, "fleet_intakes")).isZero();

    assertThat(await(store.delete("pages"))).isTrue();
    assertThat(await(store.delete("pages"))).isFalse();
    assertThat(countRows(kind, url, "fleet_tenants")).isZero();
    assertThat(await(store.fleet("pages"))).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aPlanIsWrittenPageByPageRecordsWhatItSawAndIsListedByAction(String kind) {
    Stores s = started(kind, urlFor(kind));
    FleetStore store = s.fleets();
    io.onboarder.fleet.FleetPlans plans = s.plans();
    put(store, "planned", "alice", "alice", null, spec(1, FleetPolicy.DEFAULT), tenants("t-", 7));
    List<io.onboarder.fleet.DesiredTenant> all = await(plans.desired("planned", "", 5, true));
    assertThat(all).hasSize(5);
    assertThat(all.get(0).item().authValue()).as("opened only when asked").isEqualTo("secret-t-0");
    assertThat(await(plans.desired("planned", "", 5, false)).get(0).item().authValue()).isNull();
    assertThat(await(plans.desired("planned", all.get(4).account(), 5, false))).hasSize(2);

    String planId = await(plans.openPlan("planned", 1));
    List<io.onboarder.fleet.Planner.Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      io.onboarder.fleet.PlanAction a = i < 4 ? io.onboarder.fleet.PlanAction.INSTALL
          : io.onboarder.fleet.PlanAction.NONE;
      decisions.add(new io.onboarder.fleet.Planner.Decision("t-" + i, a, a == io.onboarder.fleet.PlanAction.NONE
          ? "up to date" : "not installed", null, new io.onboarder.fleet.Planner.Observed(true,
          a == io.onboarder.fleet.PlanAction.NONE ? 100L + i : null, a == io.onboarder.fleet.PlanAction.NONE,
          null, null), a == io.onboarder.fleet.PlanAction.NONE ? TenantState.CONNECTED : TenantState.PENDING));
    }
    await(plans.record(planId, "planned", decisions, true));
    io.onboarder.fleet.FleetPlans.PlanRecord plan = await(plans.closePlan(planId, "planned",
        Map.of(io.onboarder.fleet.PlanAction.INSTALL, 4L, io.onboarder.fleet.PlanAction.NONE, 3L)));
    assertThat(plan.status()).isEqualTo("READY");
    assertThat(plan.stateVersion()).isEqualTo(1);
    assertThat(plan.generation()).isEqualTo(1);
    assertThat(await(plans.plan("planned", null)).id()).as("the newest ready plan").isEqualTo(planId);
    assertThat(await(plans.plan("other", planId))).as("a plan of another fleet").isNull();
    assertThat(plan.toJson().getJsonObject("summary").getLong("INSTALL")).isEqualTo(4);

    io.onboarder.fleet.FleetPlans.ActionPage installs = await(plans.actions(planId,
        io.onboarder.fleet.PlanAction.INSTALL, null, 3));
    assertThat(installs.items()).extracting(io.onboarder.fleet.FleetPlans.ActionRow::account)
        .containsExactly("t-0", "t-1", "t-2");
    assertThat(await(plans.actions(planId, io.onboarder.fleet.PlanAction.INSTALL, installs.next(), 3)).items())
        .extracting(io.onboarder.fleet.FleetPlans.ActionRow::account).containsExactly("t-3");
    assertThat(await(store.tenantCounts("planned"))).isEqualTo(Map.of(TenantState.PENDING, 4L,
        TenantState.CONNECTED, 3L));
    FleetTenant seen = await(store.tenants("planned", TenantState.CONNECTED, null, 1)).tenants().get(0);
    assertThat(seen.accountConnectorId()).isEqualTo(104L);
    assertThat(seen.authenticated()).isTrue();
    assertThat(seen.lastCheckedAt()).isNotNull();
  }

  String storedFleetText(String kind, String url) throws Exception {
    StringBuilder all = new StringBuilder();
    try (java.sql.Connection c = connect(kind, url); java.sql.Statement st = c.createStatement();
         java.sql.ResultSet rs = st.executeQuery("SELECT * FROM fleet_tenants")) {
      while (rs.next()) {
        for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
          all.append(rs.getString(col)).append('|');
        }
      }
    }
    return all.toString();
  }

  long countRows(String kind, String url, String table) throws Exception {
    try (java.sql.Connection c = connect(kind, url); java.sql.Statement st = c.createStatement();
         java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private java.sql.Connection connect(String kind, String url) throws java.sql.SQLException {
    return kind.equals("sqlite") ? java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("db.sqlite"))
        : java.sql.DriverManager.getConnection(Postgres.jdbcUrl(url), "postgres", null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aFleetsStepJobsAreNewestFirstAndNotThoseOfAnEarlierFleetOfTheSameName(String kind) {
    Stores s = started(kind, urlFor(kind));
    FleetSpec spec = spec(1, FleetPolicy.DEFAULT);
    put(s.fleets(), "steps", "alice", "alice", null, spec, tenants("s-", 3));
    planWithSteps(s, Map.of("job-old", List.of("s-0", "s-1", "s-2")));
    assertThat(await(s.applies().fleetJobIds("steps", 10))).containsExactly("job-old");
    assertThat(await(s.fleets().delete("steps"))).isTrue();
    put(s.fleets(), "steps", "alice", "alice", null, spec, tenants("s-", 3));
    assertThat(await(s.applies().fleetJobIds("steps", 10))).as("the deleted fleet's").isEmpty();

    planWithSteps(s, Map.of("job-a", List.of("s-0"), "job-b", List.of("s-1", "s-2")));
    planWithSteps(s, Map.of("job-c", List.of("s-0", "s-1")));
    assertThat(await(s.applies().fleetJobIds("steps", 10))).containsExactly("job-c", "job-b", "job-a");
    assertThat(await(s.applies().fleetJobIds("steps", 2))).containsExactly("job-c", "job-b");
    assertThat(await(s.applies().fleetJobIds("no-such-fleet", 10))).isEmpty();
  }

  /** A plan of fleet "steps" (INSTALL each account) whose jobs (in name order: steps 1, 2, ...) took these accounts. */
  private static void planWithSteps(Stores s, Map<String, List<String>> jobs) {
    // Plans are ordered by their creation time (ISO text): begin each one in a later millisecond.
    long ms = System.currentTimeMillis();
    while (System.currentTimeMillis() == ms) {
      Thread.onSpinWait();
    }
    String planId = await(s.plans().openPlan("steps", 1));
    List<io.onboarder.fleet.Planner.Decision> decisions = jobs.values().stream().flatMap(List::stream)
        .map(a -> new io.onboarder.fleet.Planner.Decision(a, io.onboarder.fleet.PlanAction.INSTALL, "not installed",
            null, null, null)).toList();
    await(s.plans().record(planId, "steps", decisions, false));
    int step = 0;
    for (String job : new java.util.TreeSet<>(jobs.keySet())) {
      await(s.applies().markStep(planId, jobs.get(job), ++step, job));
    }
  }
}
