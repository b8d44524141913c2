package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.GatewayContract.ItemReply;
import io.onboarder.bus.GatewayContract.ItemRequest;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.VirtualClock;
import io.onboarder.store.MemoryStores;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's item pump on a virtual clock: the item queue in memory ({@link MemoryStores}, the same
 * rules as the SQL stores' contract tests state) and a gateway the test answers. Ordering between jobs,
 * back-pressure, a lease lost to another node, and a shutdown with items on the wire, in milliseconds;
 * the same pump runs end to end against the emulator in {@code OnboardingTest} and the chaos tests.
 */
class ItemPumpTest {
  private static final long LEASE_MS = 30_000;
  private static final JobRequestValidator VALIDATOR = new JobRequestValidator(100_000);

  private final VirtualClock clock = new VirtualClock();
  private final MemoryStores store = new MemoryStores(clock::nowMs);
  private final NodeLifecycle node = new NodeLifecycle(clock, LEASE_MS, err -> false);
  private final Settings settings = Settings.from(new JsonObject()
      .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
          .put("clientSecret", "a-secret-of-the-test"))
      .put("api", new JsonObject().put("tokens", "t1"))
      .put("gateway", new JsonObject().put("maxConcurrency", 4))
      .put("jobs", new JsonObject().put("leaseMs", LEASE_MS)));
  /** The window: three items in flight per gateway request slot. */
  private final int window = Math.max(8, settings.maxConcurrency() * 3);
  /** Requests the gateway holds, in the order it got them, with their answer. */
  private final Map<ItemRequest, Promise<ItemReply>> held = new LinkedHashMap<>();
  private final List<String> notices = new ArrayList<>();
  private final Function<ItemRequest, Future<ItemReply>> gateway = request -> {
    Promise<ItemReply> answer = Promise.promise();
    held.put(request, answer);
    return answer.future();
  };

  private LeasePump<ClaimedItem, ItemOutcome> start() {
    node.start(() -> store.jobs().ping());
    LeasePump<ClaimedItem, ItemOutcome> pump = new Dispatcher(settings, store.jobs(), store.items(), null, node)
        .pump(clock, gateway, notices::add);
    node.register(pump);
    pump.start();
    return pump;
  }

  private String submit(String prefix, int items) {
    return submit(prefix, items, 100);
  }

  private String submit(String prefix, int items, int toleratedFailurePercent) {
    JsonArray list = new JsonArray();
    IntStream.range(0, items).forEach(i -> list.add(new JsonObject().put("account", prefix + i).put("authValue", "k")));
    JobRequest request = VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("options", new JsonObject().put("toleratedFailurePercent", toleratedFailurePercent)).put("items", list));
    return store.intake().create(request, "alice", null).result().job().id();
  }

  private static ItemReply installed() {
    return new ItemReply("INSTALLED", 1L, "c", 10L, null, null, null, false, false);
  }

  private static ItemReply failed() {
    return new ItemReply("FAILED", null, null, null, null, null, new JsonObject().put("code", "CYCLR_4XX"), false,
        false);
  }

  /** Answers the first {@code n} held requests with {@code reply}, then lets the outcomes be written. */
  private void answer(int n, ItemReply reply) {
    List<Promise<ItemReply>> first = new ArrayList<>(held.values()).subList(0, Math.min(n, held.size()));
    held.values().removeAll(first);
    first.forEach(p -> p.complete(reply));
    clock.advance(20); // past the outcome buffer's delay
  }

  private JobStatus status(String jobId) {
    return store.jobs().job(jobId).result().status();
  }

  private long count(String jobId, ItemStatus status) {
    return store.jobs().counts(jobId).result().get(status);
  }

  @Test
  void aSmallJobIsSentBesideABigOneAndEachJobFinishesWithItsLastOutcome() {
    String big = submit("big-", 100);
    String small = submit("small-", 3);
    LeasePump<ClaimedItem, ItemOutcome> pump = start();
    assertThat(held).hasSize(window);
    assertThat(held.keySet()).extracting(ItemRequest::jobId).as("the small job is not behind the big one")
        .filteredOn(small::equals).hasSize(3);
    assertThat(status(big)).isEqualTo(JobStatus.RUNNING);
    assertThat(status(small)).isEqualTo(JobStatus.RUNNING);
    while (!held.isEmpty()) {
      answer(held.size(), installed());
    }
    assertThat(status(small)).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(status(big)).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(count(big, ItemStatus.INSTALLED)).isEqualTo(100);
    assertThat(store.events().events(big, 0, 1_000).result()).filteredOn(e -> e.kind() == JobEvent.Kind.JOB)
        .extracting(e -> e.body().getString("status")).containsExactly("PENDING", "RUNNING", "SUCCEEDED");
    assertThat(pump.inFlight()).isZero();
    assertThat(pump.unrecorded()).isZero();
  }

  @Test
  void claimsOnlyWhileThereIsRoomInFlightAndInBatches() {
    String job = submit("a-", 200);
    LeasePump<ClaimedItem, ItemOutcome> pump = start();
    assertThat(held).hasSize(window);
    assertThat(count(job, ItemStatus.RUNNING)).as("nothing leased beyond the window").isEqualTo(window);
    answer(window / 4 - 1, installed());
    assertThat(held).as("less than a batch of room: no claim yet").hasSize(window - (window / 4 - 1));
    answer(1, installed());
    assertThat(held).as("a batch of room: claimed up to the window again").hasSize(window);
    assertThat(pump.inFlight()).isEqualTo(window);
    assertThat(count(job, ItemStatus.INSTALLED)).isEqualTo(window / 4);
  }

  @Test
  void anOutcomeArrivingAfterTheLeaseWasTakenOverIsDroppedAndTheNewOwnerDecides() {
    String job = submit("a-", 2);
    LeasePump<ClaimedItem, ItemOutcome> pump = start();
    assertThat(held).hasSize(2);
    // The store is cut off for longer than a lease: renewals fail, another node takes the items over.
    store.failWith(StoreException.Kind.UNAVAILABLE);
    clock.advance(LEASE_MS + 2_000);
    assertThat(node.leasesLapsed()).isTrue();
    store.failWith(null);
    assertThat(store.items().releaseExpired().result()).hasSize(2);
    List<ClaimedItem> theirs = store.items().claim("node-2", 10, LEASE_MS).result();
    assertThat(theirs).extracting(ClaimedItem::halted).containsOnly(false);
    answer(2, installed()); // this node's late answers are refused
    assertThat(pump.unrecorded()).isZero();
    assertThat(count(job, ItemStatus.RUNNING)).as("still the new owner's").isEqualTo(2);
    store.items().record("node-2", theirs.stream().map(i -> ItemOutcome.failed(i, "X", "checked: not there"))
        .toList());
    assertThat(count(job, ItemStatus.FAILED)).isEqualTo(2);
    assertThat(status(job)).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
  }

  @Test
  void aDrainWaitsForItemsOnTheWireUntilItsGraceThenHandsOverTheRest() {
    String job = submit("a-", 40);
    LeasePump<ClaimedItem, ItemOutcome> pump = start();
    assertThat(held).hasSize(window);
    Future<Integer> drained = pump.drain(10_000);
    answer(4, installed());
    // Items the gateway had not sent yet come back untried (its drain answers them PENDING).
    answer(4, new ItemReply("PENDING", null, null, null, null, null, null, false, false));
    assertThat(held).as("nothing new is claimed while draining").hasSize(window - 8);
    assertThat(drained.isComplete()).isFalse();
    clock.advance(10_000);
    assertThat(drained.result()).as("still on the wire when the grace ran out").isEqualTo(window - 8);
    assertThat(count(job, ItemStatus.INSTALLED)).isEqualTo(4);
    assertThat(count(job, ItemStatus.PENDING)).as("handed back: any node takes them").isEqualTo(40 - window + 4);
    assertThat(notices).contains(job);
    assertThat(count(job, ItemStatus.RUNNING)).as("their leases lapse; another node checks them").isEqualTo(window - 8);
  }

  @Test
  void theFailurePolicyStopsAJobAndCancelsWhatNeverStarted() {
    String job = submit("a-", 50, 0);
    start();
    answer(1, failed());
    assertThat(store.jobs().job(job).result().stopped()).isTrue();
    assertThat(count(job, ItemStatus.CANCELLED)).isEqualTo(50 - window);
    answer(held.size(), installed());
    assertThat(status(job)).isEqualTo(JobStatus.COMPLETED_WITH_ERRORS);
  }
}
