package io.onboarder.emulator;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Drives the emulator over real HTTP. Test methods run on the JUnit thread, so they may block on futures with
 * {@code await}; the emulator itself only ever runs on the event loop.
 */
@ExtendWith(VertxExtension.class)
class CyclrEmulatorTest {

  private static final String ACCOUNT = "acct-1";

  private Vertx vertx;
  private CyclrEmulator emulator;
  private WebClient client;
  private String base;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    emulator = new CyclrEmulator(vertx);
    int port = emulator.start(0).await(5, TimeUnit.SECONDS);
    assertThat(port).isPositive().isEqualTo(emulator.port());
    base = emulator.apiUrl();
    assertThat(base).isEqualTo("http://127.0.0.1:" + port);
    // A bigger pool than the default 5, so the concurrency tests really run requests in parallel.
    client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false),
        new PoolOptions().setHttp1MaxSize(50));
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    emulator.stop().await(5, TimeUnit.SECONDS);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static <T> T await(Future<T> f) {
    try {
      return f.await(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  private HttpResponse<Buffer> tokenResponse(String clientId, String secret, String grant) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", grant).add("client_id", clientId).add("client_secret", secret);
    return await(client.postAbs(base + "/oauth/token").sendForm(form));
  }

  private String token() {
    HttpResponse<Buffer> r = tokenResponse("emulator-client", "emulator-secret", "client_credentials");
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsJsonObject().getString("access_token");
  }

  private HttpRequest<Buffer> call(HttpMethod method, String path, String token, String account) {
    HttpRequest<Buffer> req = client.requestAbs(method, base + path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    if (account != null) {
      req.putHeader("X-Cyclr-Account", account);
    }
    return req;
  }

  private HttpResponse<Buffer> install(String token, String account, String connectorPath, JsonObject body) {
    return await(call(HttpMethod.POST, "/v1.0/connectors/" + connectorPath + "/install", token, account)
        .sendJsonObject(body));
  }

  private static String message(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject().getString("Message");
  }

  // ---- tokens -----------------------------------------------------------------------------------

  @Test
  void issuesTokensAndRejectsBadCredentials() {
    HttpResponse<Buffer> ok = tokenResponse("emulator-client", "emulator-secret", "client_credentials");
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonObject body = ok.bodyAsJsonObject();
    assertThat(body.getString("token_type")).isEqualTo("bearer");
    assertThat(body.getString("access_token")).isNotBlank();
    assertThat(body.getInteger("expires_in")).isEqualTo(1209599);
    assertThat(body.getString("clientId")).isEqualTo("emulator-client");

    HttpResponse<Buffer> badSecret = tokenResponse("emulator-client", "nope", "client_credentials");
    assertThat(badSecret.statusCode()).isEqualTo(401);
    assertThat(badSecret.bodyAsJsonObject().getString("error")).isEqualTo("invalid_client");
    assertThat(tokenResponse("emulator-client", "emulator-secret", "password").statusCode()).isEqualTo(401);

    HttpResponse<Buffer> noToken = await(call(HttpMethod.GET, "/v1.0/connectors", null, ACCOUNT).send());
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(message(noToken)).isEqualTo("Authorization has been denied for this request.");
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors", "made-up", ACCOUNT).send()).statusCode())
        .isEqualTo(401);

    // Several tokens are valid at once.
    String first = token();
    String second = token();
    assertThat(first).isNotEqualTo(second);
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors", first, ACCOUNT).send()).statusCode()).isEqualTo(200);
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors", second, ACCOUNT).send()).statusCode()).isEqualTo(200);

    assertThat(emulator.stats().tokenRequests()).isEqualTo(5);
    assertThat(emulator.stats().unauthorized()).isEqualTo(4);
    assertThat(emulator.stats().requests("POST /oauth/token")).isEqualTo(5);
  }

  @Test
  void expiredTokensGet401() {
    String token = token();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/1", token, ACCOUNT).send()).statusCode()).isEqualTo(200);
    emulator.expireAllAccessTokens();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/1", token, ACCOUNT).send()).statusCode()).isEqualTo(401);
    String fresh = token();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/1", fresh, ACCOUNT).send()).statusCode()).isEqualTo(200);

    // A zero lifetime issues tokens that are already expired: no waiting needed.
    emulator.options().setAccessTokenLifetimeSeconds(0);
    String dead = token();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/1", dead, ACCOUNT).send()).statusCode()).isEqualTo(401);
  }

  // ---- accounts and connectors --------------------------------------------------------------------

  @Test
  void accounts() {
    String token = token();
    HttpResponse<Buffer> created = await(call(HttpMethod.POST, "/v1.0/accounts", token, null)
        .sendJsonObject(new JsonObject().put("Id", "tenant-1").put("Name", "Tenant One").put("Timezone", "UTC")));
    assertThat(created.statusCode()).isEqualTo(200);
    assertThat(created.bodyAsJsonObject().getString("Id")).isEqualTo("tenant-1");
    assertThat(created.bodyAsJsonObject().getString("CreatedDate")).isNotBlank();
    assertThat(emulator.hasAccount("tenant-1")).isTrue();

    HttpResponse<Buffer> dup = await(call(HttpMethod.POST, "/v1.0/accounts", token, null)
        .sendJsonObject(new JsonObject().put("Id", "tenant-1").put("Name", "Again")));
    assertThat(dup.statusCode()).isEqualTo(400);
    assertThat(message(dup)).isEqualTo("ID already in use");

    assertThat(await(call(HttpMethod.POST, "/v1.0/accounts", token, null)
        .sendJsonObject(new JsonObject().put("Id", "x"))).statusCode()).isEqualTo(400);
    HttpResponse<Buffer> generated = await(call(HttpMethod.POST, "/v1.0/accounts", token, null)
        .sendJsonObject(new JsonObject().put("Name", "No Id")));
    assertThat(generated.bodyAsJsonObject().getString("Id")).isNotBlank();

    assertThat(await(call(HttpMethod.GET, "/v1.0/accounts/tenant-1", token, null).send()).statusCode()).isEqualTo(200);
    assertThat(await(call(HttpMethod.GET, "/v1.0/accounts/missing", token, null).send()).statusCode()).isEqualTo(404);

    // Account-level calls: header required; unknown accounts are created implicitly unless turned off.
    HttpResponse<Buffer> noHeader = await(call(HttpMethod.GET, "/v1.0/connectors", token, null).send());
    assertThat(noHeader.statusCode()).isEqualTo(400);
    assertThat(message(noHeader)).isEqualTo("X-Cyclr-Account header is required");
    assertThat(await(call(HttpMethod.GET, "/v1.0/account/connectors", token, "implicit").send()).statusCode())
        .isEqualTo(200);
    assertThat(emulator.hasAccount("implicit")).isTrue();
    emulator.options().setAutoCreateAccounts(false);
    HttpResponse<Buffer> unknown = await(call(HttpMethod.GET, "/v1.0/account/connectors", token, "nobody").send());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(message(unknown)).isEqualTo("Account not found");
  }

  @Test
  void connectorLookups() {
    String token = token();
    HttpResponse<Buffer> byId = await(call(HttpMethod.GET, "/v1.0/connectors/2", token, ACCOUNT).send());
    JsonObject salesforce = byId.bodyAsJsonObject();
    assertThat(salesforce.getString("Name")).isEqualTo("Salesforce");
    assertThat(salesforce.getString("OAuth2Type")).isEqualTo("AuthorisationCode");
    assertThat(salesforce.getJsonArray("Authentication").getJsonObject(0).getInteger("Id")).isEqualTo(20);

    HttpResponse<Buffer> byName = await(call(HttpMethod.GET, "/v1.0/connectors/example%20connector", token, ACCOUNT)
        .send());
    assertThat(byName.bodyAsJsonArray()).hasSize(2);
    HttpResponse<Buffer> byVersion = await(call(HttpMethod.GET, "/v1.0/connectors/Example%20Connector/2.0", token,
        ACCOUNT).send());
    assertThat(byVersion.bodyAsJsonArray()).hasSize(1);
    assertThat(byVersion.bodyAsJsonArray().getJsonObject(0).getInteger("Id")).isEqualTo(6);
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/Nothing", token, ACCOUNT).send()).bodyAsJsonArray())
        .isEmpty();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors/999", token, ACCOUNT).send()).statusCode())
        .isEqualTo(404);

    JsonArray all = await(call(HttpMethod.GET, "/v1.0/connectors", token, ACCOUNT).send()).bodyAsJsonArray();
    assertThat(all).hasSize(7);
    JsonArray filtered = await(call(HttpMethod.GET, "/v1.0/connectors", token, ACCOUNT)
        .addQueryParam("query", "OAUTH").send()).bodyAsJsonArray();
    assertThat(filtered).hasSize(2);

    assertThat(emulator.stats().requests("GET /v1.0/connectors/{id}")).isEqualTo(2);
    assertThat(emulator.stats().requests("GET /v1.0/connectors/{name}")).isEqualTo(2);
    assertThat(emulator.stats().requests("GET /v1.0/connectors/{name}/{version}")).isEqualTo(1);

    HttpResponse<Buffer> unknownRoute = await(call(HttpMethod.GET, "/v1.0/nowhere", token, ACCOUNT).send());
    assertThat(unknownRoute.statusCode()).isEqualTo(404);
    assertThat(message(unknownRoute)).isEqualTo("No HTTP resource was found that matches the request URI");
  }

  // ---- installs ---------------------------------------------------------------------------------

  @Test
  void installThenListAndCountDuplicates() {
    String token = token();
    JsonObject body = new JsonObject().put("Name", "My Example").put("Description", "d").put("AuthValue", "secret-key")
        .put("Properties", new JsonArray().add(new JsonObject().put("Name", "Region").put("Value", "EU")));
    HttpResponse<Buffer> r = install(token, ACCOUNT, "1", body);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject ac = r.bodyAsJsonObject();
    assertThat(ac.getInteger("Id")).isGreaterThanOrEqualTo(1000);
    assertThat(ac.getString("AuthValue")).isEqualTo("secret-key"); // echoed, like Cyclr
    assertThat(ac.getBoolean("Authenticated")).isTrue();
    assertThat(ac.getJsonObject("Connector").getInteger("Id")).isEqualTo(1);
    assertThat(ac.getJsonArray("Properties").getJsonObject(0).getString("Value")).isEqualTo("EU");

    JsonArray listed = await(call(HttpMethod.GET, "/v1.0/account/connectors", token, ACCOUNT).send())
        .bodyAsJsonArray();
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getString("Name")).isEqualTo("My Example");
    assertThat(listed.getJsonObject(0).containsKey("AuthValue")).isFalse();
    assertThat(listed.encode()).doesNotContain("secret-key");
    assertThat(emulator.accountConnectors(ACCOUNT)).hasSize(1);
    assertThat(emulator.accountConnectors(ACCOUNT).get(0).containsKey("AuthValue")).isFalse();
    HttpResponse<Buffer> one = await(call(HttpMethod.GET, "/v1.0/account/connectors/" + ac.getInteger("Id"), token,
        ACCOUNT).send());
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(await(call(HttpMethod.GET, "/v1.0/account/connectors/" + ac.getInteger("Id"), token, "other")
        .send()).statusCode()).isEqualTo(404);

    // Same connector, same Name: a duplicate. Same connector, other Name: not one.
    assertThat(install(token, ACCOUNT, "1", body).statusCode()).isEqualTo(200);
    assertThat(install(token, ACCOUNT, "1", new JsonObject().put("Name", "Other")).statusCode()).isEqualTo(200);
    assertThat(emulator.stats().installs()).isEqualTo(3);
    assertThat(emulator.stats().duplicateInstalls()).isEqualTo(1);
    assertThat(emulator.stats().installsFor(ACCOUNT)).isEqualTo(3);
    assertThat(emulator.stats().requests("POST /v1.0/connectors/{id}/install")).isEqualTo(3);

    // By name (latest approved version) and by name + version.
    HttpResponse<Buffer> byName = install(token, ACCOUNT, "Example%20Connector", new JsonObject());
    assertThat(byName.bodyAsJsonObject().getJsonObject("Connector").getInteger("Id")).isEqualTo(6);
    assertThat(byName.bodyAsJsonObject().getString("Name")).isEqualTo("Example Connector");
    HttpResponse<Buffer> byVersion = install(token, ACCOUNT, "Example%20Connector/1.0", new JsonObject());
    assertThat(byVersion.bodyAsJsonObject().getJsonObject("Connector").getInteger("Id")).isEqualTo(1);
    assertThat(emulator.stats().requests("POST /v1.0/connectors/{name}/install")).isEqualTo(1);
    assertThat(emulator.stats().requests("POST /v1.0/connectors/{name}/{version}/install")).isEqualTo(1);

    // OAuth2 authorisation-code and OAuth1 need a user; client credentials and Basic do not.
    assertThat(install(token, ACCOUNT, "2", new JsonObject()).bodyAsJsonObject().getBoolean("Authenticated")).isFalse();
    assertThat(install(token, ACCOUNT, "4", new JsonObject()).bodyAsJsonObject().getBoolean("Authenticated")).isFalse();
    assertThat(install(token, ACCOUNT, "7", new JsonObject()).bodyAsJsonObject().getBoolean("Authenticated")).isTrue();
    assertThat(install(token, ACCOUNT, "3", new JsonObject().put("AuthenticationId", 30)).bodyAsJsonObject()
        .getBoolean("Authenticated")).isTrue();

    // Deauthenticate, then delete.
    String path = "/v1.0/account/connectors/" + ac.getInteger("Id");
    assertThat(await(call(HttpMethod.PUT, path + "/deauthenticate", token, ACCOUNT).send()).statusCode())
        .isEqualTo(200);
    assertThat(await(call(HttpMethod.GET, path, token, ACCOUNT).send()).bodyAsJsonObject().getBoolean("Authenticated"))
        .isFalse();
    assertThat(await(call(HttpMethod.DELETE, path, token, ACCOUNT).send()).statusCode()).isEqualTo(200);
    assertThat(await(call(HttpMethod.GET, path, token, ACCOUNT).send()).statusCode()).isEqualTo(404);
  }

  @Test
  void installErrorsLookLikeCyclr() {
    String token = token();
    HttpResponse<Buffer> draft = install(token, ACCOUNT, "5", new JsonObject().put("Name", "x"));
    assertThat(draft.statusCode()).isEqualTo(400);
    assertThat(message(draft)).isEqualTo("Connector 5 is a draft and cannot be installed.");

    HttpResponse<Buffer> noBody = await(call(HttpMethod.POST, "/v1.0/connectors/1/install", token, ACCOUNT).send());
    assertThat(noBody.statusCode()).isEqualTo(500);
    assertThat(message(noBody)).isEqualTo("An error has occurred.");

    HttpResponse<Buffer> badProperty = install(token, ACCOUNT, "1", new JsonObject()
        .put("Properties", new JsonArray().add(new JsonObject().put("Name", "X").put("Value", "1"))));
    assertThat(badProperty.statusCode()).isEqualTo(400);
    assertThat(message(badProperty)).isEqualTo("There is not a connector property that matches name 'X'.");

    HttpResponse<Buffer> missing = install(token, ACCOUNT, "999", new JsonObject());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(message(missing)).isEqualTo("Connector not found");
    assertThat(install(token, ACCOUNT, "No%20Such", new JsonObject()).statusCode()).isEqualTo(404);

    assertThat(emulator.stats().installs()).isZero();
    assertThat(emulator.accountConnectors(ACCOUNT)).isEmpty();
  }

  // ---- sign-in links ----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"seed", "signintoken"})
  void signInTokenWorksOnceOnItsOAuthPage(String flow) {
    String token = token();
    int acId = install(token, ACCOUNT, "2", new JsonObject().put("Name", "SF")).bodyAsJsonObject().getInteger("Id");
    HttpResponse<Buffer> issued = flow.equals("seed")
        ? await(call(HttpMethod.POST, "/v1.0/accounts/tokens", token, ACCOUNT).send())
        : await(call(HttpMethod.POST, "/v1.0/accounts/" + ACCOUNT + "/signintoken", token, null)
            .sendJsonObject(new JsonObject().put("Username", "user@example.com")));
    assertThat(issued.statusCode()).isEqualTo(200);
    String signIn = issued.bodyAsJsonObject().getString("Token");
    assertThat(signIn).matches(".*[+/=].*"); // clients must URI-encode it
    assertThat(issued.bodyAsJsonObject().getString("ExpiresAtUtc")).endsWith("Z");

    String pagePath = flow.equals("seed") ? "/web/connector/updateaccountconnectoroauth"
        : "/connectorauth/updateaccountconnectoroauth";
    String url = base + pagePath + "?id=" + acId + "&token=" + URLEncoder.encode(signIn, StandardCharsets.UTF_8)
        + "&targetOrigin=" + URLEncoder.encode("https://app.example.com", StandardCharsets.UTF_8);

    HttpResponse<Buffer> first = await(client.getAbs(url).send());
    assertThat(first.statusCode()).isEqualTo(302);
    assertThat(first.getHeader("Location")).isEqualTo("https://app.example.com");
    assertThat(emulator.accountConnectors(ACCOUNT).get(0).getBoolean("Authenticated")).isTrue();

    HttpResponse<Buffer> second = await(client.getAbs(url).send());
    assertThat(second.statusCode()).isEqualTo(403);
    assertThat(second.getHeader("Content-Type")).startsWith("text/html");
    assertThat(emulator.stats().oauthPagesAccepted()).isEqualTo(1);
    assertThat(emulator.stats().oauthPagesRejected()).isEqualTo(1);
    assertThat(emulator.stats().signInTokensIssued()).isEqualTo(1);
  }

  @Test
  void oauthPageChecksAccountOriginAndPostsMessages() {
    String token = token();
    int mine = install(token, ACCOUNT, "2", new JsonObject()).bodyAsJsonObject().getInteger("Id");
    int theirs = install(token, "acct-2", "2", new JsonObject()).bodyAsJsonObject().getInteger("Id");
    String signIn = await(call(HttpMethod.POST, "/v1.0/accounts/tokens", token, ACCOUNT).send())
        .bodyAsJsonObject().getString("Token");
    String enc = URLEncoder.encode(signIn, StandardCharsets.UTF_8);
    String page = base + "/web/connector/updateaccountconnectoroauth";

    // Another account's connector: 403, and the token survives for the right one.
    assertThat(await(client.getAbs(page + "?id=" + theirs + "&token=" + enc + "&targetOrigin=https%3A%2F%2Fa.b")
        .send()).statusCode()).isEqualTo(403);
    assertThat(await(client.getAbs(page + "?id=" + mine + "&token=" + enc).send()).statusCode()).isEqualTo(400);

    // Faults never apply to the browser pages.
    emulator.options().setOutage(true);
    HttpResponse<Buffer> posted = await(client.getAbs(page + "?id=" + mine + "&token=" + enc
        + "&targetOrigin=https%3A%2F%2Fa.b&callbackMessage=" + URLEncoder.encode("done\"</script>", StandardCharsets.UTF_8))
        .send());
    assertThat(posted.statusCode()).isEqualTo(200);
    assertThat(posted.bodyAsString())
        .contains("window.opener.postMessage(\"done\\\"\\u003c/script\\u003e\", \"https://a.b\")")
        .doesNotContain("done\"</script>");
    assertThat(emulator.accountConnectors(ACCOUNT).get(0).getBoolean("Authenticated")).isTrue();
    assertThat(emulator.accountConnectors("acct-2").get(0).getBoolean("Authenticated")).isFalse();

    // Expired sign-in tokens are refused.
    emulator.options().setOutage(false).setSignInTokenLifetimeSeconds(0);
    String expired = await(call(HttpMethod.POST, "/v1.0/accounts/tokens", token, "acct-2").send())
        .bodyAsJsonObject().getString("Token");
    assertThat(await(client.getAbs(page + "?id=" + theirs + "&token=" + URLEncoder.encode(expired,
        StandardCharsets.UTF_8) + "&targetOrigin=https%3A%2F%2Fa.b").send()).statusCode()).isEqualTo(403);

    assertThat(await(call(HttpMethod.POST, "/v1.0/accounts/" + ACCOUNT + "/signintoken", token, null)
        .sendJsonObject(new JsonObject())).statusCode()).isEqualTo(400);
  }

  // ---- faults -----------------------------------------------------------------------------------

  @Test
  void rateLimitAnswers429WithRetryAfter() {
    String token = token();
    emulator.options().setRateLimitPerSecond(3);
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(call(HttpMethod.GET, "/v1.0/account/connectors", token, ACCOUNT).send());
    }
    await(Future.join(calls));
    long ok = calls.stream().filter(f -> f.result().statusCode() == 200).count();
    List<HttpResponse<Buffer>> limited = calls.stream().map(Future::result).filter(r -> r.statusCode() == 429).toList();
    assertThat(ok).isEqualTo(3);
    assertThat(limited).hasSize(3);
    assertThat(limited.get(0).getHeader("Retry-After")).isEqualTo("1");
    assertThat(message(limited.get(0))).isEqualTo("Too many requests");
    assertThat(emulator.stats().rateLimited()).isEqualTo(3);
  }

  @Test
  void failureRateAndOutageAnswer503() {
    String token = token();
    emulator.options().setFailureRate(1.0);
    HttpResponse<Buffer> failed = await(call(HttpMethod.GET, "/v1.0/connectors", token, ACCOUNT).send());
    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(message(failed)).isEqualTo("Service unavailable");
    assertThat(install(token, ACCOUNT, "1", new JsonObject()).statusCode()).isEqualTo(503);
    assertThat(emulator.stats().installs()).isZero();
    token(); // the token endpoint is spared by failureRate

    emulator.options().setFailureRate(0).setOutage(true);
    assertThat(tokenResponse("emulator-client", "emulator-secret", "client_credentials").statusCode()).isEqualTo(503);
    emulator.options().setOutage(false);
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors", token, ACCOUNT).send()).statusCode()).isEqualTo(200);
    assertThat(emulator.stats().failuresInjected()).isEqualTo(3);
  }

  @Test
  void droppedInstallIsCommittedButUnanswered() {
    String token = token();
    emulator.options().setDropInstallRate(1.0);
    Future<HttpResponse<Buffer>> f = call(HttpMethod.POST, "/v1.0/connectors/1/install", token, ACCOUNT)
        .sendJsonObject(new JsonObject().put("Name", "Dropped"));
    assertThatThrownBy(() -> await(f)).isNotNull();
    assertThat(f.failed()).isTrue();
    assertThat(emulator.stats().dropsInjected()).isEqualTo(1);
    assertThat(emulator.stats().installs()).isEqualTo(1);
    assertThat(emulator.accountConnectors(ACCOUNT)).extracting(j -> j.getString("Name")).containsExactly("Dropped");
    eventually(() -> emulator.stats().inFlight() == 0); // a closed connection ends the request too
  }

  @Test
  void concurrentInstallsAreCountedExactly() {
    String token = token();
    int n = 1000;
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(call(HttpMethod.POST, "/v1.0/connectors/1/install", token, ACCOUNT)
          .sendJsonObject(new JsonObject().put("Name", "Same")));
    }
    await(Future.all(calls));
    assertThat(calls).allSatisfy(f -> assertThat(f.result().statusCode()).isEqualTo(200));
    assertThat(calls.stream().map(f -> f.result().bodyAsJsonObject().getInteger("Id")).distinct().count())
        .isEqualTo(n);
    assertThat(emulator.stats().installs()).isEqualTo(n);
    assertThat(emulator.stats().duplicateInstalls()).isEqualTo(n - 1);
    assertThat(emulator.accountConnectors(ACCOUNT)).hasSize(n);
    eventually(() -> emulator.stats().inFlight() == 0);
  }

  /** Polls with event-loop timers (no Thread.sleep) for up to two seconds. */
  private void eventually(java.util.function.BooleanSupplier condition) {
    for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
      await(vertx.timer(10, TimeUnit.MILLISECONDS));
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  @Test
  void maxInFlightCountsConcurrentRequestsDuringLatency() {
    String token = token();
    emulator.resetStats();
    emulator.options().setLatencyMs(200);
    long started = System.nanoTime();
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(call(HttpMethod.GET, "/v1.0/connectors/1", token, ACCOUNT).send());
    }
    await(Future.all(calls));
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(calls).allSatisfy(f -> assertThat(f.result().statusCode()).isEqualTo(200));
    assertThat(elapsedMs).isBetween(200L, 2000L); // waited in parallel, not one after the other
    assertThat(emulator.stats().maxInFlight()).isEqualTo(10);
    assertThat(emulator.stats().requests()).isEqualTo(10);
  }

  @Test
  void paginationHonoursPageSizeMax() {
    String token = token();
    emulator.options().setPageSizeMax(2);
    for (int i = 0; i < 5; i++) {
      assertThat(install(token, ACCOUNT, "3", new JsonObject().put("Name", "B" + i)).statusCode()).isEqualTo(200);
    }
    HttpResponse<Buffer> page1 = await(call(HttpMethod.GET, "/v1.0/account/connectors", token, ACCOUNT)
        .addQueryParam("page", "1").addQueryParam("pageSize", "10").send());
    assertThat(page1.bodyAsJsonArray()).hasSize(2);
    assertThat(page1.getHeader("Total-Pages")).isNull();
    emulator.options().setSendTotalPagesHeader(true);
    HttpResponse<Buffer> page3 = await(call(HttpMethod.GET, "/v1.0/account/connectors", token, ACCOUNT)
        .addQueryParam("page", "3").addQueryParam("pageSize", "10").send());
    assertThat(page3.bodyAsJsonArray()).hasSize(1);
    assertThat(page3.bodyAsJsonArray().getJsonObject(0).getString("Name")).isEqualTo("B4");
    assertThat(page3.getHeader("Total-Pages")).isEqualTo("3");
    assertThat(page3.getHeader("Total-Records")).isEqualTo("5");
    assertThat(await(call(HttpMethod.GET, "/v1.0/account/connectors", token, ACCOUNT).addQueryParam("page", "4")
        .send()).bodyAsJsonArray()).isEmpty();
    assertThat(await(call(HttpMethod.GET, "/v1.0/connectors", token, ACCOUNT).addQueryParam("pageSize", "100")
        .send()).bodyAsJsonArray()).hasSize(2);
  }
}
