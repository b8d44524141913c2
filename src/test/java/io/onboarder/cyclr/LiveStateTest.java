package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.LiveConnector;
import io.onboarder.bus.FleetContract.LiveCycle;
import io.onboarder.bus.FleetContract.LiveStateReply;
import io.onboarder.bus.FleetContract.LiveStateRequest;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.onboarder.bus.GatewayContract;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.emulator.CyclrEmulator;
import io.onboarder.emulator.DefaultCatalogue;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.emulator.TenantChanges;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant's live state and the removal of installs, through the gateway's typed addresses, against the emulator:
 * what is read matches what Cyclr has, also after someone changed the tenant behind the service's back (through
 * Cyclr's public API: {@link TenantChanges}); removals remove exactly one thing and count a 404 as gone.
 */
@ExtendWith(VertxExtension.class)
class LiveStateTest {
  private static final JsonObject API_KEY_CONNECTOR = new JsonObject().put("id", 1);
  private static final JsonObject API_KEY_SYNC = new JsonObject().put("name", "API Key Sync");

  private Vertx vertx;
  private CyclrEmulator cyclr;
  private WebClient http;
  private TenantChanges changes;
  private String token;

  @BeforeEach
  void start(Vertx vertx, @TempDir Path dir) {
    start(vertx, dir, options -> { }, conf -> { });
  }

  void start(Vertx vertx, Path dir, Consumer<EmulatorOptions> emulator, Consumer<JsonObject> config) {
    this.vertx = vertx;
    EmulatorOptions options = new EmulatorOptions();
    emulator.accept(options);
    cyclr = new CyclrEmulator(vertx, options);
    TestService.await(cyclr.start(0));
    JsonObject conf = cyclr.serviceConfig(dir.resolve("unused.db"));
    ConfigLoader.put(conf, "api.authDisabled", true);
    config.accept(conf);
    GatewayContract.register(vertx.eventBus());
    TestService.await(vertx.deployVerticle(new CyclrGatewayVerticle(Settings.from(conf), () -> true)));
    http = WebClient.create(vertx);
    changes = TenantChanges.at(vertx, cyclr);
    token = TestService.await(http.postAbs(cyclr.apiUrl() + "/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials").add("client_id", options.getClientId())
        .add("client_secret", options.getClientSecret()))).bodyAsJsonObject().getString("access_token");
  }

  @AfterEach
  void stop() {
    changes.close();
    http.close();
  }

  // ---- setting a tenant up at Cyclr, as an install would ----------------------------------------------------

  private JsonObject cyclrPost(String path, String account, JsonObject body) {
    return TestService.await(http.postAbs(cyclr.apiUrl() + path).bearerTokenAuthentication(token)
        .putHeader("X-Cyclr-Account", account).sendJsonObject(body)).bodyAsJsonObject();
  }

  private long install(String account, int connectorId, String name) {
    return cyclrPost("/v1.0/connectors/" + connectorId + "/install", account, new JsonObject().put("Name", name)
        .put("AuthValue", "key-" + account)).getLong("Id");
  }

  private String installTemplate(String account) {
    return cyclrPost("/v1.0/templates/" + DefaultCatalogue.API_KEY_TEMPLATE + "/install", account, new JsonObject())
        .getString("Id");
  }

  private void activate(String account, String cycleId) {
    assertThat(TestService.await(http.putAbs(cyclr.apiUrl() + "/v1.0/cycles/" + cycleId + "/activate")
        .bearerTokenAuthentication(token).putHeader("X-Cyclr-Account", account)
        .sendJsonObject(new JsonObject().put("Interval", 60))).statusCode()).isEqualTo(200);
  }

  private LiveStateReply read(String account, JsonObject connector, JsonObject template) {
    return TestService.await(vertx.eventBus().<LiveStateReply>request(Addresses.GATEWAY_LIVE_STATE,
        new LiveStateRequest(account, connector, template))).body();
  }

  private RemovalReply remove(String account, RemovalKind kind, String id) {
    return TestService.await(vertx.eventBus().<RemovalReply>request(Addresses.GATEWAY_REMOVE,
        new RemovalRequest(account, kind, id))).body();
  }

  private static <T> T await(Future<T> f) {
    return TestService.await(f);
  }

  // ---- reads ---------------------------------------------------------------------------------------------------

  @Test
  void readsTheInstallsOfTheConnectorAndTheCyclesOfTheTemplateAsCyclrHasThem() {
    long a = install("t-1", 1, "Sync A");
    long b = install("t-1", 1, "Sync B");
    install("t-1", 6, "Other connector");
    String cycle = installTemplate("t-1"); // reuses an API-key install: no new account connector
    install("t-2", 1, "Another tenant");

    LiveStateReply state = read("t-1", API_KEY_CONNECTOR, API_KEY_SYNC);
    assertThat(state.succeeded()).as(String.valueOf(state.failure())).isTrue();
    assertThat(state.accountExists()).isTrue();
    assertThat(state.connectors()).containsExactly(new LiveConnector(a, 1L, "Sync A", "1.0", true),
        new LiveConnector(b, 1L, "Sync B", "1.0", true));
    assertThat(state.cycles()).containsExactly(new LiveCycle(cycle, DefaultCatalogue.API_KEY_TEMPLATE, "Paused"));
    activate("t-1", cycle);
    assertThat(read("t-1", API_KEY_CONNECTOR, API_KEY_SYNC).cycles()).extracting(LiveCycle::status)
        .containsExactly("Active");
    assertThat(read("t-1", API_KEY_CONNECTOR, null).cycles()).as("no template: no cycles read").isEmpty();
    assertThat(cyclr.stats().requests("GET /v1.0/cycles")).as("one page each: a short page is the last")
        .isEqualTo(2);
  }

  @Test
  void seesWhatWasChangedBehindTheServicesBack() {
    long a = install("t-3", 1, "Sync A");
    long b = install("t-3", 1, "Sync B");
    String cycle = installTemplate("t-3");
    activate("t-3", cycle);

    await(changes.deauthenticate("t-3", a));
    await(changes.deleteInstall("t-3", b));
    await(changes.deactivateCycle("t-3", cycle));
    LiveStateReply state = read("t-3", API_KEY_CONNECTOR, API_KEY_SYNC);
    assertThat(state.connectors()).containsExactly(new LiveConnector(a, 1L, "Sync A", "1.0", false));
    assertThat(state.cycles()).extracting(LiveCycle::status).containsExactly("Paused");

    await(changes.deleteCycle("t-3", cycle));
    assertThat(read("t-3", API_KEY_CONNECTOR, API_KEY_SYNC).cycles()).isEmpty();

    await(changes.deleteAccount("t-3"));
    LiveStateReply gone = read("t-3", API_KEY_CONNECTOR, API_KEY_SYNC);
    assertThat(gone.succeeded()).isTrue();
    assertThat(gone.accountExists()).isFalse();
    assertThat(gone.connectors()).isEmpty();
    assertThat(cyclr.hasAccount("t-3")).as("looking creates nothing").isFalse();
  }

  @Test
  void anAccountThatDoesNotExistCostsOneRead() {
    LiveStateReply state = read("never-created", API_KEY_CONNECTOR, API_KEY_SYNC);
    assertThat(state.succeeded()).isTrue();
    assertThat(state.accountExists()).isFalse();
    assertThat(cyclr.stats().requests("GET /v1.0/accounts/{id}")).isEqualTo(1);
    assertThat(cyclr.stats().requests("GET /v1.0/account/connectors")).isZero();
    assertThat(cyclr.hasAccount("never-created")).isFalse();
  }

  @Test
  void aConnectorGivenByNameMatchesItsVersionOnlyWhenOneIsGiven() {
    long v2 = install("t-4", 6, "Example");
    assertThat(read("t-4", new JsonObject().put("name", "example connector"), null).connectors())
        .extracting(LiveConnector::accountConnectorId).containsExactly(v2);
    assertThat(read("t-4", new JsonObject().put("name", "Example Connector").put("version", "2.0"), null)
        .connectors()).hasSize(1);
    assertThat(read("t-4", new JsonObject().put("name", "Example Connector").put("version", "1.0"), null)
        .connectors()).isEmpty();
  }

  @Test
  void aBadRequestIsAFailureThatWillNotHeal() {
    LiveStateReply noConnector = read("t-5", new JsonObject(), null);
    assertThat(noConnector.succeeded()).isFalse();
    assertThat(noConnector.failure().code()).isEqualTo("BAD_REQUEST");
    assertThat(noConnector.failure().retryable()).isFalse();
    assertThat(read(" ", API_KEY_CONNECTOR, null).failure().code()).isEqualTo("BAD_REQUEST");
    assertThat(cyclr.stats().requests()).as("nothing was asked of Cyclr").isEqualTo(1); // the test's own token
  }

  // ---- removals -----------------------------------------------------------------------------------------------

  @Test
  void removesAnInstallOnceAndThenCountsItGone() {
    long a = install("t-6", 1, "Sync A");
    long b = install("t-6", 1, "Sync B");
    assertThat(remove("t-6", RemovalKind.CONNECTOR, String.valueOf(a))).isEqualTo(RemovalReply.REMOVED);
    assertThat(remove("t-6", RemovalKind.CONNECTOR, String.valueOf(a))).isEqualTo(RemovalReply.ALREADY_GONE);
    assertThat(cyclr.accountConnectors("t-6")).extracting(j -> j.getLong("Id")).containsExactly(b);
    assertThat(remove("t-6", RemovalKind.CONNECTOR, String.valueOf(b) + "0")).isEqualTo(RemovalReply.ALREADY_GONE);
    RemovalReply bad = remove("t-6", RemovalKind.CONNECTOR, "1; DROP");
    assertThat(bad.outcome()).isEqualTo(RemovalOutcome.FAILED);
    assertThat(bad.failure().code()).isEqualTo("BAD_REQUEST");
    assertThat(bad.failure().retryable()).isFalse();
    assertThat(cyclr.accountConnectors("t-6")).hasSize(1);
  }

  @Test
  void anActiveCycleIsDeactivatedThenRemoved() {
    install("t-7", 1, "Sync");
    String paused = installTemplate("t-7");
    String active = installTemplate("t-7");
    activate("t-7", active);
    assertThat(remove("t-7", RemovalKind.CYCLE, paused)).isEqualTo(RemovalReply.REMOVED);
    assertThat(cyclr.stats().requests("PUT /v1.0/cycles/{id}/deactivate")).isZero();
    assertThat(remove("t-7", RemovalKind.CYCLE, active)).isEqualTo(RemovalReply.REMOVED);
    assertThat(cyclr.stats().requests("PUT /v1.0/cycles/{id}/deactivate")).isEqualTo(1);
    assertThat(cyclr.cycles("t-7")).isEmpty();
    assertThat(cyclr.accountConnectors("t-7")).as("the cycle only: its connector stays").hasSize(1);
    assertThat(remove("t-7", RemovalKind.CYCLE, active)).isEqualTo(RemovalReply.ALREADY_GONE);
    assertThat(cyclr.stats().requests("DELETE /v1.0/cycles/{id}")).isEqualTo(4);
  }

  @Test
  void readsReportTheirShareInTheGatewayStatus(Vertx vertx) {
    JsonObject status = await(vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS, new JsonObject())).body();
    assertThat(status.getJsonObject("fleetReads").getInteger("inFlight")).isZero();
    assertThat(status.getJsonObject("fleetReads").getValue("ratePerSecond")).as("unlimited gateway").isNull();
  }

  @Test
  void aShortPageEndsTheListAndAFullOneIsFollowedByTheNext() {
    // Cyclr's advice without Total-Pages: a page shorter than the 50 asked for is the last one, so one read.
    for (int i = 0; i < 8; i++) {
      install("t-8", 1, "Sync " + i);
    }
    assertThat(read("t-8", API_KEY_CONNECTOR, null).connectors()).hasSize(8);
    assertThat(cyclr.stats().requests("GET /v1.0/account/connectors")).isEqualTo(1L);
    // Exactly a page of installs: the next (empty) page is read too; one more row makes it a short second page.
    for (int i = 0; i < Paging.PAGE_SIZE; i++) {
      install("t-50", 1, "Sync " + i);
    }
    assertThat(read("t-50", API_KEY_CONNECTOR, null).connectors()).hasSize(Paging.PAGE_SIZE);
    assertThat(cyclr.stats().requests("GET /v1.0/account/connectors")).isEqualTo(1L + 2L);
    install("t-50", 1, "Sync 50");
    assertThat(read("t-50", API_KEY_CONNECTOR, null).connectors()).hasSize(Paging.PAGE_SIZE + 1);
    assertThat(cyclr.stats().requests("GET /v1.0/account/connectors")).isEqualTo(1L + 2L + 2L);
  }

  @Test
  void pagesAreReadToTheEndWhereTotalPagesSaysSo() {
    for (int i = 0; i < 8; i++) {
      install("t-8", 1, "Sync " + i);
    }
    // A server that caps pageSize below what is asked, and says how many pages there are.
    cyclr.options().setPageSizeMax(3);
    cyclr.options().setSendTotalPagesHeader(true);
    assertThat(read("t-8", API_KEY_CONNECTOR, null).connectors()).hasSize(8);
    assertThat(List.of(cyclr.stats().requests("GET /v1.0/account/connectors"))).containsExactly(3L);
  }
}
