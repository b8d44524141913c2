package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The job fields {@code template} and {@code activate}: what is accepted, and the 400/422 for the rest. */
class TemplateFieldsValidationTest {
  private final JobRequestValidator validator = new JobRequestValidator(100);

  private static JsonObject job() {
    return new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("items", new JsonArray().add(new JsonObject().put("account", "t-1").put("authValue", "k")));
  }

  @Test
  void aTemplateByIdOrByNameAndAnActivationAreKeptInTheJobSpec() {
    JobRequest byId = validator.validate(job().put("template", new JsonObject().put("id", " 6c0b-1 "))
        .put("activate", new JsonObject().put("interval", 60).put("startTime", "2030-01-31T09:00:00Z")));
    assertThat(byId.template()).isEqualTo(TemplateRef.ofId("6c0b-1"));
    assertThat(byId.activate()).isEqualTo(new Activation(60, false, "2030-01-31T09:00:00Z"));
    assertThat(byId.specJson().getJsonObject("template")).isEqualTo(new JsonObject().put("id", "6c0b-1"));
    assertThat(byId.specJson().getJsonObject("activate").getInteger("interval")).isEqualTo(60);
    assertThat(byId.activate().cyclrBody()).isEqualTo(new JsonObject().put("Interval", 60)
        .put("StartTime", "2030-01-31T09:00:00Z"));

    JobRequest byName = validator.validate(job().put("template", new JsonObject().put("name", "Contact Sync")));
    assertThat(byName.template()).isEqualTo(TemplateRef.ofName("Contact Sync"));
    assertThat(byName.activate()).isNull();
    assertThat(byName.specJson().containsKey("activate")).isFalse();

    JobRequest numericId = validator.validate(job().put("template", new JsonObject().put("id", 42)));
    assertThat(numericId.template().id()).isEqualTo("42");

    JobRequest once = validator.validate(job().put("template", new JsonObject().put("id", "t"))
        .put("activate", new JsonObject().put("runOnce", true)));
    assertThat(once.activate().runOnce()).isTrue();
    assertThat(once.activate().cyclrBody().getBoolean("RunOnce")).isTrue();
  }

  @Test
  void everyCyclrIntervalIsAccepted() {
    for (int minutes : Activation.INTERVALS) {
      JobRequest r = validator.validate(job().put("template", new JsonObject().put("id", "t"))
          .put("activate", new JsonObject().put("interval", minutes)));
      assertThat(r.activate().interval()).isEqualTo(minutes);
    }
  }

  static Stream<Arguments> badFields() {
    JsonObject t = new JsonObject().put("id", "t");
    return Stream.of(
        Arguments.of(new JsonObject().put("template", "Contact Sync"), 400, "/template"),
        Arguments.of(new JsonObject().put("template", new JsonObject()), 400, "/template"),
        Arguments.of(new JsonObject().put("template", new JsonObject().put("id", "a").put("name", "b")), 400,
            "/template"),
        Arguments.of(new JsonObject().put("template", new JsonObject().put("id", "")), 400, "/template/id"),
        Arguments.of(new JsonObject().put("template", new JsonObject().put("id", -3)), 400, "/template/id"),
        Arguments.of(new JsonObject().put("template", new JsonObject().put("name", 7)), 400, "/template/name"),
        Arguments.of(new JsonObject().put("template", new JsonObject().put("name", "a\nb")), 400, "/template/name"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", 7)), 422,
            "/activate/interval"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", 60.5)),
            422, "/activate/interval"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject()), 422,
            "/activate/interval"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", "60")),
            400, "/activate/interval"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", 60)
            .put("startTime", "next monday")), 422, "/activate/startTime"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", 60)
            .put("runOnce", "yes")), 400, "/activate/runOnce"),
        Arguments.of(new JsonObject().put("template", t).put("activate", new JsonObject().put("interval", 60)
            .put("every", 5)), 400, "/activate/every"),
        Arguments.of(new JsonObject().put("template", t).put("activate", 60), 400, "/activate"),
        Arguments.of(new JsonObject().put("activate", new JsonObject().put("interval", 60)), 422, "/activate"));
  }

  @ParameterizedTest
  @MethodSource("badFields")
  void badTemplateOrActivationFieldsGetAClearProblemWithAPointer(JsonObject fields, int status, String pointer) {
    JsonObject body = job();
    fields.forEach(e -> body.put(e.getKey(), e.getValue()));
    Problem p = catchThrowableOfType(() -> validator.validate(body), Problem.class);
    assertThat(p).as(fields.encode()).isNotNull();
    assertThat(p.status()).as(fields.encode()).isEqualTo(status);
    assertThat(p.toJson().getJsonArray("errors").getJsonObject(0).getString("pointer")).isEqualTo(pointer);
  }
}
