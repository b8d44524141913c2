package io.onboarder.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Which proxies are trusted ({@code TRUSTED_PROXIES}, CIDR blocks: none by default) and the bounds on event
 * streams and on sign-in token mints: documented defaults, and bad values refused naming the env var.
 */
class TrustAndBoundSettingsTest {
  private static Settings withEnv(String... envPairs) {
    JsonObject merged = new JsonObject()
        .put("cyclr", new JsonObject().put("apiUrl", "https://api.cyclr.com").put("clientId", "c")
            .put("clientSecret", "s"))
        .put("api", new JsonObject().put("tokens", "t1"));
    for (int i = 0; i < envPairs.length; i += 2) {
      merged.put(envPairs[i], envPairs[i + 1]);
    }
    return Settings.from(ConfigLoader.foldEnv(merged));
  }

  @Test
  void defaultsTrustNoProxyAndBoundStreamsAndMints() {
    Settings s = withEnv();
    assertThat(s.trustedProxies()).isEmpty();
    assertThat(s.streamsPerCaller()).isEqualTo(100);
    assertThat(s.streamsPerNode()).isEqualTo(500);
    assertThat(s.linkMaxMints()).isEqualTo(5);
    assertThat(s.linkMintWindowMs()).isEqualTo(600_000);
  }

  @Test
  void trustedProxiesAreCidrBlocksOfEitherFamily() {
    Settings s = withEnv("TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1");
    assertThat(s.trustedProxies()).extracting(Cidr::toString)
        .containsExactly("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1");
    Cidr ten = s.trustedProxies().get(0);
    assertThat(ten.contains("10.255.3.4")).isTrue();
    assertThat(ten.contains("11.0.0.1")).isFalse();
    assertThat(ten.contains("::ffff:10.1.2.3")).as("IPv4-mapped IPv6 is IPv4").isTrue();
    assertThat(ten.contains("fd00::1")).isFalse();
    assertThat(s.trustedProxies().get(1).contains("192.168.1.7")).isTrue();
    assertThat(s.trustedProxies().get(1).contains("192.168.1.8")).isFalse();
    assertThat(s.trustedProxies().get(2).contains("fdab:cd::7")).isTrue();
    assertThat(s.trustedProxies().get(2).contains("fe80::1")).isFalse();
    assertThat(s.trustedProxies().get(3).contains("0:0:0:0:0:0:0:1%0")).as("zone dropped").isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains("203.0.113.9")).isTrue();
    assertThat(Cidr.parse("203.0.113.0/25").contains("203.0.113.127")).isTrue();
    assertThat(Cidr.parse("203.0.113.0/25").contains("203.0.113.128")).isFalse();
    assertThat(ten.contains("localhost")).as("names are never resolved").isFalse();
    assertThat(ten.contains("10.0.0")).as("legacy short forms are not addresses").isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "TRUSTED_PROXIES; 10.0.0.0/33",
      "TRUSTED_PROXIES; proxy.internal",
      "TRUSTED_PROXIES; 10.0.0.256",
      "TRUSTED_PROXIES; fd00::/129",
      "TRUSTED_PROXIES; 10.0.0.0/",
      "STREAMS_MAX_PER_CALLER; 0",
      "STREAMS_MAX_PER_NODE; many",
      "LINKS_MAX_MINTS; 0",
      "LINKS_MINT_WINDOW_MINUTES; 0",
  })
  void badValuesFailNamingTheirEnvVar(String env, String value) {
    assertThatThrownBy(() -> withEnv(env, value)).isInstanceOf(ConfigException.class).hasMessageContaining(env);
  }
}
