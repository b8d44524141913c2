package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Credential health settings: once a day at a tenth of the rate limit unless SIGNIN_HEALTH_INTERVAL_HOURS (0 = off,
 * else at least 0.001) or SIGNIN_HEALTH_RATE_PERCENT say.
 */
class CredentialHealthSettingsTest {
  private static JsonObject base() {
    return new JsonObject()
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
            .put("clientSecret", "s"))
        .put("api", new JsonObject().put("tokens", "t1"));
  }

  private static CredentialHealthSettings read(JsonObject conf) {
    return Settings.from(ConfigLoader.foldEnv(conf)).credentialHealth();
  }

  @Test
  void onceADayAtATenthOfTheRateLimitByDefault() {
    CredentialHealthSettings s = read(base());
    assertThat(s).isEqualTo(CredentialHealthSettings.DEFAULT);
    assertThat(s.enabled()).isTrue();
    assertThat(s.intervalMs()).isEqualTo(86_400_000L);
    assertThat(s.checksPerSecond(20)).isEqualTo(2.0);
    assertThat(s.checksPerSecond(0)).as("no gateway limit: a fixed pace")
        .isEqualTo(CredentialHealthSettings.UNLIMITED_GATEWAY_RATE);
  }

  @Test
  void theEnvironmentAndTheFileSetIntervalAndShare() {
    CredentialHealthSettings env = read(base().put("SIGNIN_HEALTH_INTERVAL_HOURS", "0.001")
        .put("SIGNIN_HEALTH_RATE_PERCENT", "25"));
    assertThat(env.intervalMs()).isEqualTo(3_600L);
    assertThat(env.checksPerSecond(8)).isEqualTo(2.0);
    CredentialHealthSettings file = read(base().put("signIn", new JsonObject().put("healthIntervalHours", 0)));
    assertThat(file.enabled()).as("0 = off").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0005", "-1", "abc", "9000"})
  void anIntervalThatIsNeitherOffNorAtLeastAThousandthOfAnHourIsRefused(String hours) {
    assertThatThrownBy(() -> read(base().put("SIGNIN_HEALTH_INTERVAL_HOURS", hours)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("SIGNIN_HEALTH_INTERVAL_HOURS");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "101", "x"})
  void aShareOutsideOneToAHundredPercentIsRefused(String percent) {
    assertThatThrownBy(() -> read(base().put("SIGNIN_HEALTH_RATE_PERCENT", percent)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("SIGNIN_HEALTH_RATE_PERCENT");
  }
}
