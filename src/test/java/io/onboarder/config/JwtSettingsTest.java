package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JWT callers' settings: off by default, read from AUTH_*, and every inconsistent combination refused at start. */
class JwtSettingsTest {
  private static JsonObject base(String tokens) {
    JsonObject conf = new JsonObject()
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
            .put("clientSecret", "s"));
    return tokens == null ? conf : conf.put("api", new JsonObject().put("tokens", tokens));
  }

  private static Settings with(JsonObject conf, String... env) {
    for (int i = 0; i < env.length; i += 2) {
      conf.put(env[i], env[i + 1]);
    }
    return Settings.from(ConfigLoader.foldEnv(conf));
  }

  @Test
  void offUnlessAKeySourceIsSet() {
    assertThat(with(base("t1")).jwt()).isEqualTo(JwtSettings.OFF);
    assertThat(JwtSettings.OFF.enabled()).isFalse();
  }

  @Test
  void readsEverySettingWithItsDefaults() {
    JwtSettings jwt = with(base(null), "AUTH_OIDC_ISSUER", "https://kubernetes.default.svc/",
        "AUTH_JWT_AUDIENCE", "onboarder, other", "AUTH_ADMIN_CLAIM", "groups", "AUTH_ADMIN_VALUE", "onboarder-admins",
        "AUTH_JWKS_CA_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt").jwt();
    assertThat(jwt.enabled()).isTrue();
    assertThat(jwt.discoveryUrl()).isEqualTo("https://kubernetes.default.svc/.well-known/openid-configuration");
    assertThat(jwt.audiences()).isEqualTo(List.of("onboarder", "other"));
    assertThat(jwt.callerClaim()).isEqualTo("sub");
    assertThat(jwt.issuer()).as("the discovered one").isNull();
    assertThat(jwt.refreshMs()).isEqualTo(600_000);
    assertThat(jwt.caFile()).endsWith("ca.crt");
    JwtSettings fromFile = with(base("t1").put("auth", new JsonObject().put("jwksUrl", "https://idp.example/keys")
        .put("jwtIssuer", "https://idp.example").put("callerClaim", "client_id").put("jwksRefreshSeconds", 60))).jwt();
    assertThat(fromFile.jwksUrl()).isEqualTo("https://idp.example/keys");
    assertThat(fromFile.callerClaim()).isEqualTo("client_id");
    assertThat(fromFile.refreshMs()).isEqualTo(60_000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"AUTH_JWT_AUDIENCE", "AUTH_JWT_ISSUER", "AUTH_CALLER_CLAIM", "AUTH_ADMIN_CLAIM",
      "AUTH_JWKS_TOKEN_FILE"})
  void aJwtSettingWithoutAKeySourceIsAStartupError(String env) {
    assertThatThrownBy(() -> with(base("t1"), env, "x")).isInstanceOf(ConfigException.class)
        .hasMessageContaining(env).hasMessageContaining("AUTH_JWKS_URL").hasMessageContaining("AUTH_OIDC_ISSUER");
  }

  @Test
  void inconsistentCombinationsAreStartupErrors() {
    assertThatThrownBy(() -> with(base(null), "AUTH_JWKS_URL", "https://a.example/jwks", "AUTH_OIDC_ISSUER",
        "https://a.example")).isInstanceOf(ConfigException.class).hasMessageContaining("both");
    assertThatThrownBy(() -> with(base(null), "AUTH_JWKS_URL", "https://a.example/jwks", "AUTH_ADMIN_CLAIM",
        "groups")).isInstanceOf(ConfigException.class).hasMessageContaining("AUTH_ADMIN_VALUE");
    assertThatThrownBy(() -> with(base(null), "AUTH_JWKS_URL", "http://idp.example/jwks"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("https");
    assertThatThrownBy(() -> with(base(null), "AUTH_JWKS_URL", "https://a.example/jwks?x=1"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("AUTH_JWKS_URL");
    assertThatThrownBy(() -> with(base(null), "AUTH_JWKS_URL", "https://a.example/jwks",
        "AUTH_JWKS_REFRESH_SECONDS", "0")).isInstanceOf(ConfigException.class).hasMessageContaining("86400");
    assertThatThrownBy(() -> with(base("ci:aaa.bbb.ccc"), "AUTH_JWKS_URL", "https://a.example/jwks"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("API_TOKENS").hasMessageNotContaining("aaa.bbb");
  }

  @Test
  void withJwtCallersStaticTokensAreOptionalAndLocalHttpIsAllowed() {
    Settings s = with(base(null), "AUTH_JWKS_URL", "http://127.0.0.1:8081/jwks");
    assertThat(s.apiTokens()).isEmpty();
    assertThat(s.jwt().jwksUrl()).isEqualTo("http://127.0.0.1:8081/jwks");
    assertThatThrownBy(() -> with(base(null))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("API_TOKENS").hasMessageContaining("AUTH_JWKS_URL");
  }
}
