package io.onboarder.fleet;

import static io.onboarder.fleet.FleetClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.cyclr.CyclrGatewayVerticle;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.store.Stores;
import io.onboarder.support.TestService;
import io.onboarder.time.EventLoopVirtualClock;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reading of a 10,000-tenant reconcile (its plan: every tenant's account and installs at Cyclr) keeps within
 * {@code FLEETS_READ_RATE_PERCENT} of the Cyclr rate limit, counted at the emulator on a virtual clock: the
 * gateway's policies run on it, and the test moves time only when no read is at Cyclr, so the machine's speed
 * does not matter and the test takes seconds. Each step's reads are the emulator's new requests, at the step's
 * virtual instant. The share is also used (the reads are not needlessly slower), and at most its share of the
 * requests in flight is ever at Cyclr.
 */
class ReconcileReadShareTest {
  private static final int TENANTS = 10_000;
  private static final int RATE = 20_000;
  private static final int PERCENT = 20;
  private static final int CONCURRENCY = 100;
  /** Virtual time per step: the read share's burst refills in about this long. */
  private static final long STEP_MS = 20;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  @TempDir
  Path dir;

  @Test
  void aReconcileOfTenThousandTenantsReadsWithinItsShareOfTheRateLimit() {
    // The fleet is put through the API of a service that is then stopped: its store is read below.
    Vertx first = Vertx.vertx();
    TestService s = TestService.start(first, first, dir, e -> { }, c -> { });
    JsonArray tenants = new JsonArray();
    IntStream.range(0, TENANTS).forEach(i -> {
      String account = String.format("big-%05d", i);
      s.cyclr.addAccount(account, "Tenant " + i);
      tenants.add(new JsonObject().put("account", account).put("authValue", "key-" + i));
    });
    // 10,000 tenants (their auth values sealed): more time than a small request gets on a busy machine.
    json(TestService.await(s.http.putAbs(s.base() + "/v1/fleets/big").timeout(180_000)
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Content-Type", "application/json")
        .sendBuffer(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants)
            .toBuffer())), 201);
    TestService.await(s.app.stop(5_000));
    s.close();

    JsonObject conf = s.config().copy();
    ConfigLoader.put(conf, "gateway.ratePerSecond", RATE);
    ConfigLoader.put(conf, "gateway.maxConcurrency", CONCURRENCY);
    ConfigLoader.put(conf, "fleets.readRatePercent", PERCENT);
    Settings settings = Settings.from(conf);
    Vertx vertx = Vertx.vertx();
    Stores stores = Stores.sqlite(vertx, Path.of(settings.sqlitePath()), settings.secretKey(),
        SignInPolicy.of(settings));
    EventLoopVirtualClock clock = new EventLoopVirtualClock();
    try {
      TestService.await(stores.start());
      GatewayContract.register(vertx.eventBus());
      TestService.await(vertx.deployVerticle(new CyclrGatewayVerticle(settings, () -> true, clock)));
      FleetRecord fleet = TestService.await(stores.fleets().fleet("big"));
      PlanRun planning = new PlanRun(vertx, stores.plans(), new JobRequestValidator(settings.maxItemsPerJob()));
      long readsBefore = reads(s);
      long startMs = clock.nowMs();
      Promise<FleetPlans.PlanRecord> plan = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> planning.run(fleet).onComplete(plan));

      // [virtual ms, reads at that instant]; time moves only while every read let through has been answered.
      List<long[]> steps = new ArrayList<>();
      long counted = readsBefore;
      while (!plan.future().isComplete()) {
        JsonObject status = TestService.await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS,
            new JsonObject(), LOCAL)).body();
        JsonObject share = status.getJsonObject("fleetReads");
        boolean atCyclr = status.getInteger("inFlight") > 0;
        boolean held = share.getInteger("waiting") > 0 || status.getInteger("waiting") > 0;
        if (!atCyclr && held) {
          long now = reads(s);
          steps.add(new long[] {clock.nowMs() - startMs, now - counted});
          counted = now;
          clock.advance(STEP_MS);
        } else {
          TestService.await(vertx.timer(1)); // reads at Cyclr, or the plan writing a page: real work, no time
        }
      }
      steps.add(new long[] {clock.nowMs() - startMs, reads(s) - counted});
      FleetPlans.PlanRecord done = TestService.await(plan.future());

      assertThat(done.summary().get(PlanAction.INSTALL)).isEqualTo(TENANTS);
      assertThat(reads(s) - readsBefore).as("an account read and an install list per tenant").isEqualTo(2L * TENANTS);
      int share = RATE * PERCENT / 100;
      assertThat(busiestSecond(steps)).as("reads in any virtual second").isLessThanOrEqualTo(share);
      double seconds = (clock.nowMs() - startMs) / 1000.0;
      assertThat(seconds).as("virtual seconds for 20,000 reads at %d/s", share)
          .isBetween(2.0 * TENANTS / share, 2.0 * TENANTS / share / 0.9);
      assertThat(s.cyclr.stats().maxInFlight()).as("requests at Cyclr at once").isLessThanOrEqualTo(
          CONCURRENCY * PERCENT / 100);
    } finally {
      TestService.await(stores.close());
      TestService.await(vertx.close());
      TestService.await(first.close());
    }
  }

  private static long reads(TestService s) {
    return s.cyclr.stats().requests("GET /v1.0/accounts/{id}")
        + s.cyclr.stats().requests("GET /v1.0/account/connectors");
  }

  /** The most reads in any window of one virtual second. */
  private static long busiestSecond(List<long[]> steps) {
    long most = 0;
    long sum = 0;
    for (int i = 0, j = 0; i < steps.size(); i++) {
      sum += steps.get(i)[1];
      while (steps.get(i)[0] - steps.get(j)[0] >= 1_000) {
        sum -= steps.get(j)[1];
        j++;
      }
      most = Math.max(most, sum);
    }
    return most;
  }
}
