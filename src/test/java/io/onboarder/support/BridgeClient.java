package io.onboarder.support;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** A TCP event-bus bridge client as a Node, Python or Go program is one: a socket and length-prefixed JSON frames. */
public final class BridgeClient implements AutoCloseable {
  public final Socket socket;
  public final DataOutputStream out;
  public final DataInputStream in;

  public BridgeClient(int port) throws IOException {
    this(port, 0);
  }

  /** {@code receiveBuffer} > 0: a small kernel buffer, so that a client that does not read is felt soon. */
  public BridgeClient(int port, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(20_000);
    out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
    in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
  }

  public static JsonObject bearer(String token) {
    return new JsonObject().put("Authorization", "Bearer " + token);
  }

  public void write(JsonObject frame) throws IOException {
    writeRaw(frame.encode().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** One frame, not flushed yet. */
  public void writeRaw(byte[] payload) throws IOException {
    out.writeInt(payload.length);
    out.write(payload);
  }

  public JsonObject read() throws IOException {
    int n = in.readInt();
    byte[] b = new byte[n];
    in.readFully(b);
    return new JsonObject(new String(b, StandardCharsets.UTF_8));
  }

  /** Sends a request with a reply address and the bearer {@code token} (null: none); returns the answer frame. */
  public JsonObject request(String address, Object body, String token) throws IOException {
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r-1")
        .put("body", body);
    if (token != null) {
      frame.put("headers", bearer(token));
    }
    write(frame);
    return read();
  }

  /** True if the server closed the connection (end of stream or reset) before sending another frame. */
  public boolean readsEndOfStream() throws IOException {
    try {
      in.readInt();
      return false;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
