package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void anAuthValueQuotedInCyclrsErrorMessageIsRedacted() {
    JsonObject reply = new JsonObject().put("status", "FAILED").put("error", new JsonObject()
        .put("code", "CYCLR_4XX").put("message", "Invalid API key 'sk-live-123456' for this connector"));
    JsonObject out = CyclrGatewayVerticle.redact(reply, "sk-live-123456");
    assertThat(out.getJsonObject("error").getString("message"))
        .isEqualTo("Invalid API key '[redacted]' for this connector");
  }

  @Test
  void messagesWithoutTheAuthValueAreLeftAlone() {
    JsonObject reply = new JsonObject().put("status", "FAILED").put("error", new JsonObject()
        .put("code", "CYCLR_4XX").put("message", "Connector 5 is a draft and cannot be installed."));
    assertThat(CyclrGatewayVerticle.redact(reply, "key-1").getJsonObject("error").getString("message"))
        .isEqualTo("Connector 5 is a draft and cannot be installed.");
  }

  @Test
  void numbersMayArriveAsStrings() {
    assertThat(OnboardFlow.longOf("1042", null)).isEqualTo(1042L);
    assertThat(OnboardFlow.longOf(1042, null)).isEqualTo(1042L);
    assertThat(OnboardFlow.longOf("n/a", 7L)).isEqualTo(7L);
    assertThat(OnboardFlow.longOf(null, null)).isNull();
  }
}
