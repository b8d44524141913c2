package io.onboarder.signin;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sign-in campaign end to end, against the emulator, on real (tiny, fractional) hours: a mail scanner that only
 * fetches the page, a tenant who opens it and presses Connect but gives up, one who signs in, and one whose link
 * the operator revokes. The test waits for the events, never for a fixed time.
 */
@ExtendWith(VertxExtension.class)
class SignInCampaignsTest {

  @Test
  void aCampaignRemindsWhoIsLeftExpiresThemAndCountsItsFunnel(Vertx vertx, @TempDir Path dir) {
    try (TestService s = RelayLinksTest.start(vertx, dir, 300, "168")) {
      List<JsonObject> reminders = new CopyOnWriteArrayList<>();
      List<JsonObject> expired = new CopyOnWriteArrayList<>();
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_OAUTH, m -> {
        if (m.body().containsKey("reminder")) {
          reminders.add(m.body());
        }
      }).completion());
      TestService.await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_ITEM, m -> {
        if ("SIGN_IN_EXPIRED".equals(m.body().getString("status"))) {
          expired.add(m.body());
        }
      }).completion());
      // Reminded after 7.2 s, expired after 9 s: room for the tenant who finishes to sign in first, however busy
      // the machine is (the reminder it must not get is the point).
      JsonObject job = RelayLinksTest.oauthJob("scanner", "gives-up", "finishes", "revoked")
          .put("signIn", new JsonObject().put("remindAfterHours", new JsonArray().add(0.002))
              .put("expireAfterHours", 0.0025));
      String jobId = s.submit(job);
      s.awaitJob(jobId);
      Map<String, JsonObject> items = s.items(jobId, "OAUTH_PENDING").stream()
          .collect(Collectors.toMap(i -> i.getString("account"), Function.identity()));
      Function<String, String> link = account -> RelayLinksTest.link(items.get(account));

      String finishes = link.apply("finishes");
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, finishes).statusCode()).isEqualTo(200);
      HttpResponse<Buffer> atCyclr = RelayLinksTest.send(s, HttpMethod.GET,
          RelayLinksTest.send(s, HttpMethod.POST, finishes).getHeader("Location"));
      assertThat(atCyclr.statusCode()).isEqualTo(302);
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, finishes + "/done").statusCode()).isEqualTo(303);

      String revokePath = "/v1/jobs/" + jobId + "/items/" + items.get("revoked").getString("id") + "/link/revoke";
      HttpResponse<Buffer> revoked = s.post(revokePath, null);
      assertThat(revoked.statusCode()).isEqualTo(200);
      assertThat(revoked.bodyAsJsonObject().getBoolean("revoked")).isTrue();
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, link.apply("revoked")).statusCode()).isEqualTo(410);
      HttpResponse<Buffer> again = s.post(revokePath, null);
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(again.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(s.post("/v1/jobs/" + jobId + "/items/999999/link/revoke", null).statusCode()).isEqualTo(404);
      assertThat(s.post("/v1/jobs/no-such-job/items/1/link/revoke", null).statusCode()).isEqualTo(404);

      for (int i = 0; i < 3; i++) { // a mail scanner fetches the page, maybe more than once; it never POSTs
        assertThat(RelayLinksTest.send(s, HttpMethod.GET, link.apply("scanner")).statusCode()).isEqualTo(200);
      }
      String givesUp = link.apply("gives-up");
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, givesUp).statusCode()).isEqualTo(200);
      assertThat(RelayLinksTest.send(s, HttpMethod.POST, givesUp).statusCode()).isEqualTo(303);

      s.poll(reminders::size, n -> n >= 2, Duration.ofSeconds(30), "the reminders");
      assertThat(reminders).extracting(r -> r.getString("account")).containsExactlyInAnyOrder("scanner", "gives-up");
      assertThat(reminders).allSatisfy(r -> {
        assertThat(r.getInteger("reminder")).isEqualTo(1);
        assertThat(r.getString("url")).as("the same link").isEqualTo(link.apply(r.getString("account")));
      });
      s.poll(expired::size, n -> n >= 2, Duration.ofSeconds(30), "the expiries");
      assertThat(expired).extracting(e -> e.getString("account")).containsExactlyInAnyOrder("scanner", "gives-up");
      assertThat(reminders).as("once each").hasSize(2);
      assertThat(RelayLinksTest.send(s, HttpMethod.GET, link.apply("scanner")).statusCode()).isEqualTo(410);
      assertThat(RelayLinksTest.send(s, HttpMethod.POST, givesUp).statusCode()).isEqualTo(410);
      JsonObject counts = s.job(jobId).getJsonObject("counts");
      assertThat(counts.getLong("SIGN_IN_EXPIRED")).isEqualTo(2);
      assertThat(counts.getLong("AUTHENTICATED")).isEqualTo(1);
      assertThat(counts.getLong("OAUTH_PENDING")).as("the revoked one waits for a new link").isEqualTo(1);

      HttpResponse<Buffer> funnel = s.get("/v1/jobs/" + jobId + "/sign-ins");
      assertThat(funnel.statusCode()).isEqualTo(200);
      JsonObject f = funnel.bodyAsJsonObject();
      assertThat(f.copy().put("medianSecondsToSignIn", null)).isEqualTo(new JsonObject().put("issued", 4)
          .put("opened", 3).put("started", 2).put("authenticated", 1).put("reminded", 2).put("expired", 2)
          .put("medianSecondsToSignIn", null));
      assertThat(f.getDouble("medianSecondsToSignIn")).isBetween(0.0, 7.2);
      assertThat(s.get("/v1/jobs/no-such-job/sign-ins").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aCampaignAgainstItselfIsRefusedWithAClearProblem(Vertx vertx, @TempDir Path dir) {
    try (TestService s = RelayLinksTest.start(vertx, dir, 300, "168")) {
      JsonObject job = RelayLinksTest.oauthJob("x").put("signIn", new JsonObject()
          .put("remindAfterHours", new JsonArray().add(48).add(24).add(0.0001)).put("expireAfterHours", 36)
          .put("remindEvery", 1));
      HttpResponse<Buffer> r = s.post("/v1/jobs", job);
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(r.bodyAsJsonObject().getJsonArray("errors")).extracting(e -> ((JsonObject) e).getString("pointer"))
          .containsExactlyInAnyOrder("/signIn/remindAfterHours/0", "/signIn/remindAfterHours/1",
              "/signIn/remindAfterHours/2", "/signIn/remindEvery");
    }
  }
}
