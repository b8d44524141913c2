package io.onboarder.cyclr;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** A complete answer from Cyclr: status, headers and the whole body. */
public record CyclrResponse(int statusCode, MultiMap headers, Buffer body) {

  public String header(String name) {
    return headers.get(name);
  }

  /** The body as a JSON object, or null when it is empty or not an object. */
  public JsonObject bodyAsJsonObject() {
    return CyclrJson.objectOrNull(body);
  }
}
