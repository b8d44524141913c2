package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.bus.Problem;
import io.onboarder.metrics.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job field {@code signIn}: its checks, its defaults, how it is stored; and the funnel's counter. */
class SignInPlanTest {
  private static final JobRequestValidator VALIDATOR = new JobRequestValidator(100);

  private static JsonObject job(Object signIn) {
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("signIn", signIn)
        .put("items", new JsonArray().add(new JsonObject().put("account", "a")));
  }

  private static List<String> pointers(Object signIn) {
    Problem p = (Problem) org.assertj.core.api.Assertions.catchThrowable(() -> VALIDATOR.validate(job(signIn)));
    assertThat(p.status()).isEqualTo(400);
    return p.toJson().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("pointer")).toList();
  }

  @Test
  void aPlanIsStoredWithTheJobAndReadBackInMilliseconds() {
    JobRequest r = VALIDATOR.validate(job(new JsonObject().put("remindAfterHours", new JsonArray().add(48).add(120.5))
        .put("expireAfterHours", 336)));
    SignInPlan plan = SignInPlan.of(r.specJson());
    assertThat(plan.remindAfterMs()).containsExactly(48 * 3_600_000L, 120 * 3_600_000L + 1_800_000L);
    assertThat(plan.expireAfterMs(1)).isEqualTo(336 * 3_600_000L);
    assertThat(SignInPlan.of(new JsonObject().put("signIn", new JsonObject().put("remindAfterHours",
        new JsonArray().add(0.001)))).remindAfterMs()).as("fractional: 3.6 s").containsExactly(3_600L);
  }

  @Test
  void withoutTheFieldThereAreNoRemindersAndLinksLiveTheirConfiguredTime() {
    JobRequest r = VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("items", new JsonArray().add(new JsonObject().put("account", "a"))));
    assertThat(r.signIn()).isEqualTo(SignInPlan.NONE);
    assertThat(r.specJson().containsKey("signIn")).isFalse();
    assertThat(SignInPlan.of(r.specJson()).remindAfterMs()).isEmpty();
    assertThat(SignInPlan.of(r.specJson()).expireAfterMs(168 * 3_600_000L)).isEqualTo(168 * 3_600_000L);
  }

  @Test
  void badPlansAreRefusedFieldByField() {
    assertThat(pointers("soon")).containsExactly("/signIn");
    assertThat(pointers(new JsonObject().put("remindAfterHours", 48))).containsExactly("/signIn/remindAfterHours");
    assertThat(pointers(new JsonObject().put("remindAfterHours", new JsonArray().add(0.0005).add("x").add(-1))))
        .containsExactly("/signIn/remindAfterHours/0", "/signIn/remindAfterHours/1", "/signIn/remindAfterHours/2");
    assertThat(pointers(new JsonObject().put("remindAfterHours", new JsonArray().add(5).add(5))))
        .as("ascending").containsExactly("/signIn/remindAfterHours/1");
    assertThat(pointers(new JsonObject().put("remindAfterHours", new JsonArray().add(10)).put("expireAfterHours", 10)))
        .as("before expiry").containsExactly("/signIn/remindAfterHours/0");
    assertThat(pointers(new JsonObject().put("expireAfterHours", 721))).containsExactly("/signIn/expireAfterHours");
    JsonArray many = new JsonArray();
    for (int i = 1; i <= 11; i++) {
      many.add(i);
    }
    assertThat(pointers(new JsonObject().put("remindAfterHours", many))).containsExactly("/signIn/remindAfterHours");
    assertThat(pointers(new JsonObject().put("remind", 1))).containsExactly("/signIn/remind");
    assertThatThrownBy(() -> VALIDATOR.validate(job(new JsonObject().put("expireAfterHours", Double.NaN))))
        .isInstanceOf(Problem.class);
  }

  @Test
  void aCsvBodyTakesThePlanAsQueryParameters() {
    JsonObject fields = io.onboarder.intake.JobQuery.fields(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("remindAfterHours", "48, 120.5").add("expireAfterHours", "336"));
    assertThat(fields.getJsonObject("signIn")).isEqualTo(new JsonObject()
        .put("remindAfterHours", new JsonArray().add(48.0).add(120.5)).put("expireAfterHours", 336.0));
    JsonObject merged = io.onboarder.intake.JobQuery.merge(new JsonObject().put("signIn", new JsonObject()
        .put("remindAfterHours", new JsonArray().add(1))), new JsonObject().put("signIn", new JsonObject()
        .put("expireAfterHours", 2)));
    assertThat(merged.getJsonObject("signIn").fieldNames()).containsExactlyInAnyOrder("remindAfterHours",
        "expireAfterHours");
    assertThat(pointers(io.onboarder.intake.JobQuery.fields(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("remindAfterHours", "48,soon")).getJsonObject("signIn"))).containsExactly("/signIn/remindAfterHours/1");
  }

  @Test
  void publishedEventsCountTheFunnelsStages() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Vertx vertx = Vertx.vertx();
    try {
      JobEvents events = new JobEvents(vertx.eventBus(), Metrics.on(registry));
      JsonObject link = new JsonObject().put("jobId", "j").put("url", "https://x/connect/t");
      events.published(List.of(new JobEvent("j", 1, JobEvent.Kind.OAUTH, link),
          new JobEvent("j", 2, JobEvent.Kind.OAUTH, link.copy().put("reminder", 1)),
          new JobEvent("j", 3, JobEvent.Kind.OAUTH, link.copy().put("reminder", 2)),
          new JobEvent("j", 4, JobEvent.Kind.ITEM, new JsonObject().put("status", "AUTHENTICATED")),
          new JobEvent("j", 5, JobEvent.Kind.ITEM, new JsonObject().put("status", "SIGN_IN_EXPIRED")),
          new JobEvent("j", 6, JobEvent.Kind.ITEM, new JsonObject().put("status", "INSTALLED"))));
      assertThat(registry.get("onboarder.signin.funnel").tag("stage", "issued").counter().count()).isEqualTo(1);
      assertThat(registry.get("onboarder.signin.funnel").tag("stage", "reminded").counter().count()).isEqualTo(2);
      assertThat(registry.get("onboarder.signin.funnel").tag("stage", "authenticated").counter().count()).isEqualTo(1);
      assertThat(registry.get("onboarder.signin.funnel").tag("stage", "expired").counter().count()).isEqualTo(1);
      assertThat(registry.get("onboarder.signin.funnel").counters()).hasSize(4);
    } finally {
      vertx.close();
    }
  }
}
