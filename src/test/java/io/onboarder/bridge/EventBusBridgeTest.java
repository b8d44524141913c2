package io.onboarder.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.BridgeClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCP event-bus bridge as a Node, Python or Go client sees it, spoken here with a raw socket and
 * the bridge's frames (4-byte length + JSON): no token, no service; a token, the public addresses,
 * scoped to the token's caller; bad frames refused without harming other clients.
 */
class EventBusBridgeTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private TestService service;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    service = TestService.start(vertx, dir, e -> { }, c -> {
      ConfigLoader.put(c, "api.tokens", TestService.TOKEN + ",alice:tok-alice,bob:tok-bob,ops:tok-ops:admin");
      ConfigLoader.put(c, "bridge.port", 0);
      ConfigLoader.put(c, "bridge.maxFrameBytes", 64 * 1024);
    });
  }

  @AfterEach
  void tearDown() {
    service.close();
    TestService.await(vertx.close());
  }

  private BridgeClient client() throws IOException {
    return new BridgeClient(service.app.bridgePort());
  }

  @Test
  void framesWithoutAValidTokenAreRefusedWithAnErrorFrameAndTheConnectionStaysUsable() throws IOException {
    try (BridgeClient c = client()) {
      JsonObject noToken = c.request("onboarder.jobs.list", new JsonObject(), null);
      assertThat(noToken.getString("type")).isEqualTo("err");
      assertThat(noToken.getString("address")).isEqualTo("r-1");
      assertThat(noToken.getInteger("failureCode")).isEqualTo(401);
      assertThat(c.request("onboarder.jobs.list", new JsonObject(), "not-a-token").getInteger("failureCode"))
          .isEqualTo(401);
      c.write(new JsonObject().put("type", "register").put("address", "onboarder.events.job"));
      assertThat(c.read().getString("type")).isEqualTo("err");
      c.write(new JsonObject().put("type", "ping"));
      assertThat(c.read().getString("type")).as("even a ping needs the token").isEqualTo("err");
      // The same connection, with a token: served.
      JsonObject listed = c.request("onboarder.jobs.list", new JsonObject(), TestService.TOKEN);
      assertThat(listed.getString("type")).isEqualTo("message");
      assertThat(listed.getJsonObject("body").getJsonArray("jobs")).isEmpty();
    }
  }

  @Test
  void aTokenServesSubmitAndEventsScopedToItsCaller() throws IOException {
    try (BridgeClient alice = client()) {
      alice.write(new JsonObject().put("type", "register").put("address", "onboarder.events.job")
          .put("headers", new JsonObject().put("Authorization", "Bearer tok-alice")));
      JsonObject job = TestService.apiKeyJob("bridge", 3);
      JsonObject submitted = alice.request("onboarder.jobs.submit", job, "tok-alice");
      assertThat(submitted.getString("type")).isEqualTo("message");
      String id = submitted.getJsonObject("body").getString("id");
      // Published job events reach the registered client, up to the finish.
      String status = null;
      while (!TestService.TERMINAL.contains(String.valueOf(status))) {
        JsonObject e = alice.read();
        if ("message".equals(e.getString("type")) && "onboarder.events.job".equals(e.getString("address"))
            && id.equals(e.getJsonObject("body").getString("id"))) {
          status = e.getJsonObject("body").getString("status");
        }
      }
      assertThat(status).isEqualTo("SUCCEEDED");
      alicesJobSeenOnlyByHerAndAdmins(alice, id);
    }
  }

  /** Connected now: a connection must present its token within the deadline (bridge.authTimeoutMs). */
  private void alicesJobSeenOnlyByHerAndAdmins(BridgeClient alice, String id) throws IOException {
    try (BridgeClient bob = client(); BridgeClient ops = client()) {
      // Another caller does not see alice's job, even claiming to be alice in a header; an admin does.
      JsonObject spoofed = new JsonObject().put("type", "send").put("address", "onboarder.jobs.get")
          .put("replyAddress", "r-2").put("body", new JsonObject().put("id", id))
          .put("headers", new JsonObject().put("Authorization", "Bearer tok-bob").put("caller", "alice")
              .put("admin", "true"));
      bob.write(spoofed);
      JsonObject refused = bob.read();
      assertThat(refused.getString("type")).isEqualTo("err");
      assertThat(refused.getInteger("failureCode")).isEqualTo(404);
      JsonObject seen = ops.request("onboarder.jobs.get", new JsonObject().put("id", id), "tok-ops");
      assertThat(seen.getJsonObject("body").getString("status")).isEqualTo("SUCCEEDED");
      // The event log is readable over the bridge too.
      JsonObject events = alice.request("onboarder.jobs.events", new JsonObject().put("id", id), "tok-alice");
      assertThat(events.getJsonObject("body").getJsonArray("events")).hasSize(9);
    }
  }

  @Test
  void onlyThePublicAddressesAreOpen() throws IOException {
    try (BridgeClient c = client()) {
      for (String internal : new String[] {"onboarder.jobs.drain", "onboarder.jobs.ready", "cyclr.gateway.status",
          "onboarder.internal.work", "onboarder.internal.webhooks.deliveries"}) {
        JsonObject answer = c.request(internal, new JsonObject(), TestService.TOKEN);
        assertThat(answer.getString("type")).as(internal).isEqualTo("err");
        assertThat(answer.getString("message")).as(internal).isEqualTo("access_denied");
      }
      c.write(new JsonObject().put("type", "register").put("address", "onboarder.jobs.submit")
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TestService.TOKEN)));
      assertThat(c.read().getString("message")).isEqualTo("access_denied");
      c.write(new JsonObject().put("type", "publish").put("address", "onboarder.events.job")
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TestService.TOKEN)).put("body",
              new JsonObject()));
      assertThat(c.read().getString("message")).as("clients cannot forge events").isEqualTo("access_denied");
    }
    assertThat(service.get("/health/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void oversizedAndMalformedFramesAreRefusedWithoutHarmingOtherClients() throws IOException {
    try (BridgeClient bystander = client(); BridgeClient sloppy = client(); BridgeClient hostile = client()) {
      // Not JSON, and JSON that is not an object: an error each, and the connection goes on.
      byte[] junk = "{not json".getBytes(StandardCharsets.UTF_8);
      sloppy.out.writeInt(junk.length);
      sloppy.out.write(junk);
      sloppy.out.flush();
      assertThat(sloppy.read().getString("message")).startsWith("malformed frame");
      byte[] array = "[1,2]".getBytes(StandardCharsets.UTF_8);
      sloppy.out.writeInt(array.length);
      sloppy.out.write(array);
      sloppy.out.flush();
      assertThat(sloppy.read().getString("message")).startsWith("malformed frame");
      sloppy.write(new JsonObject().put("type", "explode").put("address", "onboarder.jobs.list"));
      assertThat(sloppy.read().getString("message")).startsWith("unknown frame type");
      assertThat(sloppy.request("onboarder.jobs.list", new JsonObject(), TestService.TOKEN).getString("type"))
          .isEqualTo("message");

      // A frame announcing 1 GiB: refused at once, that connection closed, nothing buffered.
      hostile.out.writeInt(1 << 30);
      hostile.out.write(new byte[1024]);
      hostile.out.flush();
      JsonObject err = hostile.read();
      assertThat(err.getInteger("failureCode")).isEqualTo(413);
      assertThat(hostile.readsEndOfStream()).isTrue();
      // A frame just over the limit, too.
      try (BridgeClient big = client()) {
        big.out.writeInt(64 * 1024 + 1);
        big.out.flush();
        assertThat(big.read().getInteger("failureCode")).isEqualTo(413);
      }

      assertThat(bystander.request("onboarder.jobs.list", new JsonObject(), TestService.TOKEN).getString("type"))
          .isEqualTo("message");
    }
  }
}
