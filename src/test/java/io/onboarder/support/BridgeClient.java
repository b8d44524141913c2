package io.onboarder.support;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A TCP event-bus bridge client as a Node, Python or Go program is one: a plain socket and length-prefixed JSON frames. */
public final class BridgeClient implements AutoCloseable {
  private final Socket socket;
  private final DataOutputStream out;
  private final DataInputStream in;

  public BridgeClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    out = new DataOutputStream(socket.getOutputStream());
    in = new DataInputStream(socket.getInputStream());
  }

  /** Sends a request with a reply address and the bearer {@code token}; returns the answer frame (message or err). */
  public JsonObject request(String address, Object body, String token) throws IOException {
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r-1")
        .put("body", body).put("headers", new JsonObject().put("Authorization", "Bearer " + token));
    byte[] b = frame.encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
    out.flush();
    byte[] answer = new byte[in.readInt()];
    in.readFully(answer);
    return new JsonObject(new String(answer, StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
