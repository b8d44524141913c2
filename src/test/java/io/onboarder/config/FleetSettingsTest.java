package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fleets' share of the Cyclr rate limit: 20 % unless FLEETS_READ_RATE_PERCENT or fleets.readRatePercent say. */
class FleetSettingsTest {
  private static JsonObject base() {
    return new JsonObject()
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
            .put("clientSecret", "s"))
        .put("api", new JsonObject().put("tokens", "t1"));
  }

  @Test
  void readsTakeAFifthOfTheRateLimitByDefault() {
    assertThat(Settings.from(ConfigLoader.foldEnv(base())).fleets()).isEqualTo(FleetSettings.DEFAULT);
    assertThat(FleetSettings.DEFAULT.readRatePercent()).isEqualTo(20);
  }

  @Test
  void theShareComesFromTheEnvironmentOrTheConfigFile() {
    assertThat(Settings.from(ConfigLoader.foldEnv(base().put("FLEETS_READ_RATE_PERCENT", "5"))).fleets()
        .readRatePercent()).isEqualTo(5);
    assertThat(Settings.from(ConfigLoader.foldEnv(base().put("fleets", new JsonObject().put("readRatePercent", 50))))
        .fleets().readRatePercent()).isEqualTo(50);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "101", "-5", "a fifth"})
  void aShareOutside1To100IsRefusedNamingTheEnvVar(String value) {
    assertThatThrownBy(() -> Settings.from(ConfigLoader.foldEnv(base().put("FLEETS_READ_RATE_PERCENT", value))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("FLEETS_READ_RATE_PERCENT");
  }
}
