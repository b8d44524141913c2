package io.onboarder.bridge;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** A bridge client on a plain blocking socket, speaking the bridge's frames (4-byte length + JSON). */
final class BridgeClient implements AutoCloseable {
  final Socket socket;
  final DataOutputStream out;
  final DataInputStream in;

  BridgeClient(int port) throws IOException {
    this(port, 0);
  }

  /** {@code receiveBuffer} > 0: a small kernel buffer, so that a client that does not read is felt soon. */
  BridgeClient(int port, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(15_000);
    out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
    in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
  }

  static JsonObject bearer(String token) {
    return new JsonObject().put("Authorization", "Bearer " + token);
  }

  void write(JsonObject frame) throws IOException {
    writeRaw(frame.encode().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** One frame, not flushed yet. */
  void writeRaw(byte[] payload) throws IOException {
    out.writeInt(payload.length);
    out.write(payload);
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
      frame.put("headers", bearer(token));
    }
    write(frame);
    return read();
  }

  /** True if the server closed the connection (end of stream or reset) before sending another frame. */
  boolean readsEndOfStream() throws IOException {
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
