package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.config.ConfigException;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.TestIdentityProvider;
import io.onboarder.support.TestService;
import io.onboarder.time.Clock;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's OIDC sign-in as the service serves it (the browser's side: {@link ConsoleBrowserTest}):
 * {@code /console/oidc.json} names the public client and the endpoints of the issuer's discovery document, the CSP
 * lets the page reach the issuer's origin only while sign-in is on, an issuer that cannot be read is a 503 problem,
 * and the settings refuse a client id without an issuer.
 */
class ConsoleOidcTest {
  private static Vertx vertx;
  private static WebClient client;
  private static TestIdentityProvider idp;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    idp = TestIdentityProvider.start(vertx);
  }

  @AfterAll
  static void stop() {
    client.close();
    idp.close();
    TestService.await(vertx.close());
  }

  private static JsonObject conf(Consumer<JsonObject> more) {
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "api.tokens", TestService.TOKEN);
    ConfigLoader.put(conf, "cyclr.apiUrl", "http://127.0.0.1:1");
    ConfigLoader.put(conf, "cyclr.clientId", "id");
    ConfigLoader.put(conf, "cyclr.clientSecret", "secret");
    more.accept(conf);
    return conf;
  }

  /** An API verticle over {@code settings}, with a key source when JWTs are on; its base URL. */
  private static String api(Settings settings) {
    JwtCallers jwt = null;
    if (settings.jwt().enabled()) {
      JwksSource keys = new JwksSource(settings.jwt(), Clock.of(vertx));
      TestService.await(vertx.deployVerticle(keys));
      jwt = new JwtCallers(settings.jwt(), keys);
    }
    HttpApiVerticle api = HttpApiVerticle.instances(settings, 0, null, null,
        new BearerAuth(settings.apiTokens(), jwt)).get();
    TestService.await(vertx.deployVerticle(api));
    return "http://127.0.0.1:" + api.actualPort();
  }

  private static HttpResponse<Buffer> get(String url) {
    return TestService.await(client.getAbs(url).send());
  }

  private static String connectSrc(HttpResponse<Buffer> r) {
    String csp = r.getHeader("Content-Security-Policy");
    assertThat(csp).doesNotContain("unsafe-inline").contains("default-src 'none'", "script-src 'self'",
        "form-action 'self'", "frame-ancestors 'none'");
    return csp.replaceAll(".*connect-src ([^;]*);.*", "$1");
  }

  @Test
  void withAClientIdAndAnIssuerThePageLearnsWhereToSignInAndMayReachTheIssuer() {
    String base = api(Settings.from(conf(c -> {
      ConfigLoader.put(c, "auth.oidcIssuer", idp.issuer());
      ConfigLoader.put(c, "console.oidcClientId", "onboarder-console");
      ConfigLoader.put(c, "console.oidcScopes", " openid   profile ");
    })));
    HttpResponse<Buffer> r = get(base + "/console/oidc.json");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("enabled", true).put("issuer", idp.issuer())
        .put("clientId", "onboarder-console").put("scopes", "openid profile")
        .put("authorizationEndpoint", idp.issuer() + "/authorize").put("tokenEndpoint", idp.issuer() + "/token"));
    assertThat(connectSrc(r)).isEqualTo("'self' " + idp.issuer());
    for (String page : new String[] {"/console/", "/console/app.js", "/console/oidc.js"}) {
      assertThat(connectSrc(get(base + page))).as(page).isEqualTo("'self' " + idp.issuer());
    }
  }

  @Test
  void withoutAClientIdSignInIsOffAndThePageReachesOnlyThisService() {
    String jwtOnly = api(Settings.from(conf(c -> ConfigLoader.put(c, "auth.oidcIssuer", idp.issuer()))));
    String plain = api(Settings.from(conf(c -> { })));
    for (String base : new String[] {jwtOnly, plain}) {
      HttpResponse<Buffer> r = get(base + "/console/oidc.json");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("enabled", false));
      assertThat(connectSrc(r)).isEqualTo("'self'");
      assertThat(connectSrc(get(base + "/console/"))).isEqualTo("'self'");
    }
  }

  @Test
  void anIssuerThatCannotBeReadIsAProblemNotAHang() {
    String base = api(Settings.from(conf(c -> {
      ConfigLoader.put(c, "auth.oidcIssuer", "http://127.0.0.1:1/realms/gone");
      ConfigLoader.put(c, "console.oidcClientId", "onboarder-console");
    })));
    HttpResponse<Buffer> r = get(base + "/console/oidc.json");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(connectSrc(get(base + "/console/"))).isEqualTo("'self' http://127.0.0.1:1");
  }

  @Test
  void aClientIdNeedsAnIssuerWithDiscovery() {
    assertThatThrownBy(() -> Settings.from(conf(c -> ConfigLoader.put(c, "console.oidcClientId", "console"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("CONSOLE_OIDC_CLIENT_ID")
        .hasMessageContaining("AUTH_OIDC_ISSUER");
    assertThatThrownBy(() -> Settings.from(conf(c -> {
      ConfigLoader.put(c, "auth.jwksUrl", idp.jwksUrl());
      ConfigLoader.put(c, "console.oidcClientId", "console");
    }))).isInstanceOf(ConfigException.class).hasMessageContaining("AUTH_OIDC_ISSUER");
    assertThatThrownBy(() -> Settings.from(conf(c -> ConfigLoader.put(c, "console.oidcScopes", "openid"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("CONSOLE_OIDC_SCOPES");
    assertThat(Settings.from(conf(c -> { })).console().oidc()).isFalse();
  }
}
