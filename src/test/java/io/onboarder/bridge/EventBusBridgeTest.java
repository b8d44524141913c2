package io.onboarder.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
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

  /** A bridge client on a plain socket. */
  private final class Client implements AutoCloseable {
    final Socket socket;
    final DataOutputStream out;
    final DataInputStream in;

    Client() throws IOException {
      socket = new Socket("127.0.0.1", service.app.bridgePort());
      socket.setSoTimeout(15_000);
      out = new DataOutputStream(socket.getOutputStream());
      in = new DataInputStream(socket.getInputStream());
    }

    void write(JsonObject frame) throws IOException {
      byte[] b = frame.encode().getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
      out.flush();
    }

    JsonObject read() throws IOException {
      int n = in.readInt();
      byte[] b = new byte[n];
      in.readFully(b);
      return new JsonObject(new String(b, StandardCharsets.UTF_8));
    }

    /** A request: send with a reply address; returns the answer frame (message or err). */
    JsonObject request(String address, JsonObject body, String token) throws IOException {
      JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r-1")
          .put("body", body);
      if (token != null) {
        frame.put("headers", new JsonObject().put("Authorization", "Bearer " + token));
      }
      write(frame);
      return read();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void framesWithoutAValidTokenAreRefusedWithAnErrorFrameAndTheConnectionStaysUsable() throws IOException {
    try (Client c = new Client()) {
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
    try (Client alice = new Client(); Client bob = new Client(); Client ops = new Client()) {
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
    try (Client c = new Client()) {
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
    try (Client bystander = new Client(); Client sloppy = new Client(); Client hostile = new Client()) {
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
      assertThat(readsEndOfStream(hostile)).isTrue();
      // A frame just over the limit, too.
      try (Client big = new Client()) {
        big.out.writeInt(64 * 1024 + 1);
        big.out.flush();
        assertThat(big.read().getInteger("failureCode")).isEqualTo(413);
      }

      assertThat(bystander.request("onboarder.jobs.list", new JsonObject(), TestService.TOKEN).getString("type"))
          .isEqualTo("message");
    }
  }

  private static boolean readsEndOfStream(Client c) throws IOException {
    try {
      c.in.readInt();
      return false;
    } catch (EOFException | java.net.SocketException e) {
      return true;
    }
  }
}
