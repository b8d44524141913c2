package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.signin.SignInPolicy;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Settings are resolved once at start-up: sensible defaults, and every bad value fails with a message naming
 * both the config key and the env var. Values are fed the way {@link ConfigLoader} hands them over: env
 * strings folded onto nested keys.
 */
class SettingsTest {
  private static final String SECRET = "cl13nt-s3cr3t-do-not-print";
  private static final String KEY_32 = Base64.getEncoder().encodeToString(new byte[32]);
  private static final String KEY_16 = Base64.getEncoder().encodeToString(new byte[16]);

  private static JsonObject minimal() {
    return new JsonObject()
        .put("cyclr", new JsonObject()
            .put("apiUrl", "https://api.cyclr.com")
            .put("clientId", "client-1")
            .put("clientSecret", SECRET))
        .put("api", new JsonObject().put("tokens", "t1, t2"));
  }

  /** The minimal config plus env-style overrides, as ConfigLoader would merge them. */
  private static Settings withEnv(String... envPairs) {
    JsonObject merged = minimal();
    for (int i = 0; i < envPairs.length; i += 2) {
      merged.put(envPairs[i], envPairs[i + 1]);
    }
    return Settings.from(ConfigLoader.foldEnv(merged));
  }

  private static ConfigKey byEnv(String env) {
    return Arrays.stream(ConfigKey.values()).filter(k -> k.env.equals(env)).findFirst().orElseThrow();
  }

  @Test
  void minimalConfigGetsTheDocumentedDefaults() {
    Settings s = Settings.from(minimal());
    assertThat(s.httpPort()).isEqualTo(8080);
    assertThat(s.apiTokens()).containsExactly("t1", "t2");
    assertThat(s.authDisabled()).isFalse();
    assertThat(s.cyclrApiUrl()).isEqualTo("https://api.cyclr.com");
    assertThat(s.cyclrServiceUrl()).as("service URL defaults to the API URL").isEqualTo("https://api.cyclr.com");
    assertThat(s.clientId()).isEqualTo("client-1");
    assertThat(s.clientSecret()).isEqualTo(SECRET);
    assertThat(s.signInMode()).isEqualTo(SignInMode.ACCOUNT_TOKENS);
    assertThat(s.maxConcurrency()).isEqualTo(16);
    assertThat(s.ratePerSecond()).as("0 = unlimited").isZero();
    assertThat(s.maxAttempts()).isEqualTo(6);
    assertThat(s.breakerThreshold()).isEqualTo(10);
    assertThat(s.breakerOpenMs()).isEqualTo(5_000);
    assertThat(s.cyclrRequestTimeoutMs()).isEqualTo(30_000);
    assertThat(s.maxItemsPerJob()).isEqualTo(1_000_000);
    assertThat(s.maxBodyBytes()).isEqualTo(256L * 1024 * 1024);
    assertThat(s.maxIntakeBytes()).isEqualTo(1L << 30);
    assertThat(s.maxIntakeItems()).isEqualTo(2_000_000);
    assertThat(s.maxPendingItems()).isEqualTo(5_000_000);
    assertThat(s.storeUrl()).isEqualTo("sqlite:data/onboarder.db");
    assertThat(s.sqlitePath()).isEqualTo("data/onboarder.db");
    assertThat(s.secretKey()).as("no key configured: the store makes one").isNull();
  }

  @Test
  void boundsOnCyclrAnswersAndTheHttpServerHaveTheDocumentedDefaultsAndComeFromTheEnvironment() {
    Settings s = Settings.from(minimal());
    assertThat(s.cyclrMaxResponseBytes()).isEqualTo(4L * 1024 * 1024);
    assertThat(s.cyclrMaxPages()).isEqualTo(100);
    assertThat(s.cyclrMaxRows()).isEqualTo(10_000);
    assertThat(s.httpIdleTimeoutMs()).isEqualTo(30_000);
    assertThat(s.httpHeaderTimeoutMs()).isEqualTo(10_000);
    assertThat(s.httpBodyTimeoutMs()).isEqualTo(60_000);
    assertThat(s.httpMaxConnections()).isEqualTo(1_000);
    Settings env = withEnv("CYCLR_MAX_RESPONSE_BYTES", "1048576", "CYCLR_MAX_PAGES", "7", "CYCLR_MAX_ROWS", "500",
        "HTTP_IDLE_TIMEOUT_MS", "1000", "HTTP_HEADER_TIMEOUT_MS", "2000", "HTTP_BODY_TIMEOUT_MS", "3000",
        "HTTP_MAX_CONNECTIONS", "50");
    assertThat(env.cyclrMaxResponseBytes()).isEqualTo(1_048_576);
    assertThat(env.cyclrMaxPages()).isEqualTo(7);
    assertThat(env.cyclrMaxRows()).isEqualTo(500);
    assertThat(env.httpIdleTimeoutMs()).isEqualTo(1000);
    assertThat(env.httpHeaderTimeoutMs()).isEqualTo(2000);
    assertThat(env.httpBodyTimeoutMs()).isEqualTo(3000);
    assertThat(env.httpMaxConnections()).isEqualTo(50);
  }

  @Test
  void acceptsValuesAsStringsTheWayTheEnvironmentGivesThem() {
    Settings s = withEnv(
        "HTTP_PORT", "8081",
        "API_AUTH_DISABLED", "true",
        "API_TOKENS", "",
        "CYCLR_API_URL", "http://localhost:9000/",
        "CYCLR_SERVICE_URL", "https://my.cyclr.com",
        "CYCLR_SIGNIN_MODE", "signintoken",
        "GATEWAY_MAX_CONCURRENCY", "32",
        "GATEWAY_RATE_PER_SECOND", "2.5",
        "GATEWAY_MAX_ATTEMPTS", "3",
        "STORE_URL", "sqlite:/var/lib/onboarder/jobs.db",
        "STORE_SECRET_KEY", KEY_32);
    assertThat(s.httpPort()).isEqualTo(8081);
    assertThat(s.authDisabled()).isTrue();
    assertThat(s.apiTokens()).isEmpty();
    assertThat(s.cyclrApiUrl()).as("trailing slash dropped").isEqualTo("http://localhost:9000");
    assertThat(s.cyclrServiceUrl()).isEqualTo("https://my.cyclr.com");
    assertThat(s.signInMode()).isEqualTo(SignInMode.SIGNINTOKEN);
    assertThat(s.maxConcurrency()).isEqualTo(32);
    assertThat(s.ratePerSecond()).isEqualTo(2.5);
    assertThat(s.maxAttempts()).isEqualTo(3);
    assertThat(s.sqlitePath()).isEqualTo("/var/lib/onboarder/jobs.db");
    assertThat(s.secretKey()).hasSize(32);
  }

  @ParameterizedTest(name = "API_AUTH_DISABLED={0}")
  @CsvSource({"true, true", "TRUE, true", "' true ', true", "false, false", "False, false"})
  void authDisabledAcceptsTrueAndFalseInAnyCase(String value, boolean expected) {
    assertThat(withEnv("API_AUTH_DISABLED", value).authDisabled()).isEqualTo(expected);
  }

  @Test
  void acceptsJsonTypedValuesFromTheConfigFile() {
    JsonObject conf = minimal()
        .put("http", new JsonObject().put("port", 9090))
        .put("gateway", new JsonObject().put("ratePerSecond", 10).put("maxConcurrency", 4))
        .put("api", new JsonObject().put("authDisabled", true));
    Settings s = Settings.from(conf);
    assertThat(s.httpPort()).isEqualTo(9090);
    assertThat(s.ratePerSecond()).isEqualTo(10.0);
    assertThat(s.maxConcurrency()).isEqualTo(4);
    assertThat(s.authDisabled()).isTrue();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
      "API_AUTH_DISABLED,       maybe",
      "API_AUTH_DISABLED,       1",
      "HTTP_PORT,               abc",
      "HTTP_PORT,               70000",
      "HTTP_PORT,               -1",
      "HTTP_PORT,               8080.5",
      "CYCLR_API_URL,           not-a-url",
      "CYCLR_API_URL,           ftp://x",
      "CYCLR_API_URL,           https://",
      "CYCLR_API_URL,           'http://bad host'",
      "CYCLR_SERVICE_URL,       not-a-url",
      "CYCLR_SERVICE_URL,       file:///etc/passwd",
      "CYCLR_CLIENT_ID,         '   '",
      "CYCLR_CLIENT_SECRET,     '   '",
      "CYCLR_SIGNIN_MODE,       other",
      "GATEWAY_MAX_CONCURRENCY, 0",
      "GATEWAY_MAX_CONCURRENCY, many",
      "GATEWAY_RATE_PER_SECOND, -1",
      "GATEWAY_RATE_PER_SECOND, NaN",
      "GATEWAY_RATE_PER_SECOND, Infinity",
      "GATEWAY_RATE_PER_SECOND, fast",
      "GATEWAY_MAX_ATTEMPTS,    0",
      "GATEWAY_BREAKER_OPEN_MS, 1",
      "STORE_URL,               mysql://x",
      "JOBS_LEASE_MS,           10",
      "CLUSTER_PORT,            70000",
      "CLUSTER_MEMBERS,         'a b:1'",
      "STORE_URL,               /tmp/jobs.db",
      "STORE_SECRET_KEY,        'not base64!'",
      "BRIDGE_AUTH_TIMEOUT_MS,  0",
      "BRIDGE_MAX_UNAUTHENTICATED, 0",
      "BRIDGE_MAX_QUEUED_BYTES, 1",
  })
  void rejectsAnInvalidValueNamingTheKeyAndTheEnvVar(String env, String value) {
    ConfigKey key = byEnv(env);
    assertThatThrownBy(() -> withEnv(env, value))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(key.key)
        .hasMessageContaining(key.env);
  }

  @Test
  void clusterModeNeedsPostgresAndASharedSecretKey() {
    assertThatThrownBy(() -> withEnv("CLUSTER_MEMBERS", "127.0.0.1:5701"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("STORE_URL").hasMessageContaining("PostgreSQL");
    assertThatThrownBy(() -> withEnv("CLUSTER_DNS", "svc.ns.svc.cluster.local",
        "STORE_URL", "postgresql://u:pw@db:5432/onboarder"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("STORE_SECRET_KEY")
        .hasMessageNotContaining("pw");
    Settings s = withEnv("CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2", "STORE_URL",
        "postgresql://u:pw@db:5432/onboarder?sslmode=require", "STORE_SECRET_KEY", KEY_32);
    assertThat(s.clustered()).isTrue();
    assertThat(s.postgres()).isTrue();
    assertThat(s.clusterMembers()).containsExactly("10.0.0.1:5701", "10.0.0.2");
    assertThat(s.clusterName()).isEqualTo("cyclr-onboarder");
    assertThat(s.clusterPort()).isEqualTo(5701);
    assertThat(s.clusterBusPort()).isEqualTo(5710);
    assertThat(s.leaseMs()).isEqualTo(15_000);
    assertThat(s.toString()).doesNotContain("pw").contains("cluster=cyclr-onboarder");
  }

  @Test
  void withoutClusteringVariablesTheServiceRunsAlone() {
    Settings s = Settings.from(minimal());
    assertThat(s.clustered()).isFalse();
    assertThat(s.postgres()).isFalse();
  }

  @Test
  void rejectsASecretKeyOfTheWrongLength() {
    assertThatThrownBy(() -> withEnv("STORE_SECRET_KEY", KEY_16))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("store.secretKey")
        .hasMessageContaining("STORE_SECRET_KEY")
        .hasMessageContaining("32 bytes");
  }

  @ParameterizedTest(name = "missing {0}")
  @CsvSource({
      "cyclr, apiUrl,       CYCLR_API_URL",
      "cyclr, clientId,     CYCLR_CLIENT_ID",
      "cyclr, clientSecret, CYCLR_CLIENT_SECRET",
      "api,   tokens,       API_TOKENS",
  })
  void rejectsAMissingRequiredSettingNamingTheKeyAndTheEnvVar(String parent, String field, String env) {
    JsonObject conf = minimal();
    conf.getJsonObject(parent).remove(field);
    assertThatThrownBy(() -> Settings.from(conf))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(parent + "." + field)
        .hasMessageContaining(env);
  }

  @ParameterizedTest(name = "API_TOKENS=''{0}''")
  @ValueSource(strings = {"", " ", " , ,"})
  void blankTokensWithoutAuthDisabledAreAStartupError(String tokens) {
    assertThatThrownBy(() -> withEnv("API_TOKENS", tokens))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.tokens")
        .hasMessageContaining("API_TOKENS")
        .hasMessageContaining("API_AUTH_DISABLED");
  }

  @ParameterizedTest(name = "API_TOKENS=''{0}''")
  @ValueSource(strings = {"default:tok-sneaky", "alice:tok-a, Default:tok-sneaky:admin", " default :tok-sneaky"})
  void aTokenNamedDefaultIsAStartupErrorThatNeverShowsTheToken(String tokens) {
    assertThatThrownBy(() -> withEnv("API_TOKENS", tokens))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("API_TOKENS")
        .hasMessageContaining("reserved")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tok-sneaky"));
  }

  @Test
  void missingTokensAreFineWhenAuthIsDisabled() {
    JsonObject conf = minimal();
    conf.remove("api");
    conf.put("API_AUTH_DISABLED", "true");
    Settings s = Settings.from(ConfigLoader.foldEnv(conf));
    assertThat(s.authDisabled()).isTrue();
    assertThat(s.apiTokens()).isEmpty();
  }

  @Test
  void toStringNeverShowsSecrets() {
    Settings s = withEnv("STORE_SECRET_KEY", KEY_32, "API_TOKENS", "bearer-token-123");
    String text = s.toString();
    assertThat(text).doesNotContain(SECRET).doesNotContain("bearer-token-123").doesNotContain(KEY_32);
    assertThat(text).contains("https://api.cyclr.com"); // still useful in a start-up log line
  }

  @Test
  void everyConfigKeyHasADistinctKeyAndEnvName() {
    List<ConfigKey> keys = List.of(ConfigKey.values());
    assertThat(keys.stream().map(k -> k.key).distinct().count()).isEqualTo(keys.size());
    assertThat(keys.stream().map(k -> k.env).distinct().count()).isEqualTo(keys.size());
    assertThat(keys).allSatisfy(k -> assertThat(k.env).matches("[A-Z][A-Z0-9_]*"));
  }

  @Test
  void webhooksNeedAStandardSecretWithTheirUrlAndKnownEventTypes() {
    String key = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    Settings off = Settings.from(minimal());
    assertThat(off.webhooksEnabled()).isFalse();
    assertThat(off.bridgeEnabled()).as("BRIDGE_PORT unset = off").isFalse();
    Settings on = withEnv("WEBHOOK_URL", "https://hooks.example.com/in?token=abc", "WEBHOOK_SECRET", key,
        "WEBHOOK_EVENTS", "item.failed, job.finished", "BRIDGE_PORT", "7000");
    assertThat(on.webhooksEnabled()).isTrue();
    assertThat(on.webhookKey()).hasSize(32);
    assertThat(on.webhookEvents()).containsExactlyInAnyOrder("item.failed", "job.finished");
    assertThat(on.bridgePort()).isEqualTo(7000);
    assertThat(on.bridgeBounds()).as("bridge bounds by default")
        .isEqualTo(new BridgeBounds(100, 100, 5_000, 300_000, 256 * 1024));
    assertThat(on.toString()).doesNotContain("abc").doesNotContain(key.substring(6));
    assertThat(withEnv("WEBHOOK_URL", "https://h.example.com", "WEBHOOK_SECRET", key).webhookEvents())
        .containsExactlyInAnyOrder("item.oauth_pending", "item.authenticated", "item.failed", "job.finished",
            "account.active", "account.setup_required", "account.failed", "item.sign_in_reminder",
            "item.sign_in_expired", "item.deauthenticated", "fleet.converged", "fleet.drifted", "fleet.halted");
    assertThatThrownBy(() -> withEnv("WEBHOOK_URL", "https://h.example.com"))
        .hasMessageContaining("WEBHOOK_SECRET").hasMessageContaining("required");
    assertThatThrownBy(() -> withEnv("WEBHOOK_URL", "https://h.example.com", "WEBHOOK_SECRET", "plain-secret"))
        .hasMessageContaining("whsec_");
    assertThatThrownBy(() -> withEnv("WEBHOOK_URL", "https://h.example.com", "WEBHOOK_SECRET",
        "whsec_" + Base64.getEncoder().encodeToString(new byte[8]))).hasMessageContaining("8 bytes");
    assertThatThrownBy(() -> withEnv("WEBHOOK_URL", "https://h.example.com", "WEBHOOK_SECRET", key,
        "WEBHOOK_EVENTS", "item.deleted")).hasMessageContaining("item.deleted").hasMessageContaining("job.finished");
    assertThatThrownBy(() -> withEnv("WEBHOOK_URL", "ftp://h.example.com", "WEBHOOK_SECRET", key))
        .hasMessageContaining("WEBHOOK_URL");
  }

  @Test
  void relayLinksAreOffByDefaultAndTheWatchStartsAtThirtySeconds() {
    Settings s = Settings.from(minimal());
    assertThat(s.publicUrl()).isNull();
    assertThat(SignInPolicy.of(s).relayLinks()).isFalse();
    assertThat(SignInPolicy.of(s).linkTtlMs()).isEqualTo(168 * 3_600_000L);
    assertThat(SignInPolicy.of(s).watchFirstMs()).isEqualTo(30_000);
    assertThat(SignInPolicy.of(s).watchMaxMs()).isEqualTo(15 * 60_000);
    assertThat(s.linksRatePerMinute()).isEqualTo(30);
  }

  @Test
  void publicUrlTurnsRelayLinksOn() {
    Settings s = withEnv("PUBLIC_URL", "https://onboard.example.com/", "LINKS_TTL_HOURS", "0.5",
        "OAUTH_WATCH_INTERVAL_MS", "5000", "LINKS_RATE_LIMIT_PER_MINUTE", "120");
    assertThat(SignInPolicy.of(s).relayLinks()).isTrue();
    assertThat(SignInPolicy.of(s).linkUrl("t0k3n")).isEqualTo("https://onboard.example.com/connect/t0k3n");
    assertThat(SignInPolicy.of(s).returnUrl("t0k3n")).isEqualTo("https://onboard.example.com/connect/t0k3n/done");
    assertThat(SignInPolicy.of(s).linkTtlMs()).isEqualTo(1_800_000);
    assertThat(SignInPolicy.of(s).watchFirstMs()).isEqualTo(5_000);
    assertThat(s.linksRatePerMinute()).isEqualTo(120);
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "PUBLIC_URL; ftp://onboard.example.com",
      "PUBLIC_URL; onboard.example.com",
      "PUBLIC_URL; https://onboard.example.com/?x=1",
      "LINKS_TTL_HOURS; 721",
      "LINKS_TTL_HOURS; 0",
      "LINKS_TTL_HOURS; a week",
      "OAUTH_WATCH_INTERVAL_MS; 900001",
      "OAUTH_WATCH_INTERVAL_MS; 0",
      "LINKS_RATE_LIMIT_PER_MINUTE; 0",
  })
  void badLinkSettingsFailNamingTheirEnvVar(String env, String value) {
    assertThatThrownBy(() -> withEnv(env, value)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(env).hasMessageContaining(byEnv(env).key);
  }
}
