package io.onboarder.cyclr;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.onboarder.bus.JsonBounds;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;

/**
 * Reads Cyclr's JSON bodies, bounded, and turns a body that cannot be read into the failure
 * {@link RetryPolicy} assigns: a 2xx to an install is ambiguous (it may have been done: check),
 * anything else fails the item with {@code CYCLR_BAD_RESPONSE}. Error texts never quote the body,
 * which may echo an auth value.
 */
final class CyclrJson {
  /**
   * Values in one body. A page of 50 connectors is some 10,000; the cap keeps a small body of tiny
   * objects ({@code [{},{},…]}) from inflating into hundreds of MB of maps.
   */
  static final long MAX_TOKENS = 500_000;
  private static final JsonFactory FACTORY = new JsonFactoryBuilder()
      .streamReadConstraints(StreamReadConstraints.builder().maxTokenCount(MAX_TOKENS)
          .maxNumberLength(JsonBounds.MAX_NUMBER_CHARS).maxNestingDepth(JsonBounds.MAX_DEPTH).build())
      .build();

  private CyclrJson() {}

  /** The body as a JSON object; an empty body is an empty object. */
  static JsonObject object(CyclrCall call, CyclrResponse response) {
    Object v = value(call, response);
    if (v == null) {
      return new JsonObject();
    }
    if (v instanceof JsonObject o) {
      return o;
    }
    throw unreadable(call, response, "CYCLR_BAD_RESPONSE", "a JSON " + kind(v) + " where an object was expected");
  }

  /** The rows of a list: a JSON array, or an object wrapping one; an empty body has none. */
  static JsonArray rows(CyclrCall call, CyclrResponse response) {
    Object v = value(call, response);
    if (v == null) {
      return new JsonArray();
    }
    if (v instanceof JsonArray a) {
      return a;
    }
    if (v instanceof JsonObject o) {
      for (String k : new String[] {"Items", "items", "Data", "data", "Results"}) {
        if (o.getValue(k) instanceof JsonArray a) {
          return a;
        }
      }
      return new JsonArray();
    }
    throw unreadable(call, response, "CYCLR_BAD_RESPONSE", "a JSON " + kind(v) + " where a list was expected");
  }

  /** Any JSON value, or null for an empty body. */
  static Object value(CyclrCall call, CyclrResponse response) {
    Buffer b = response.body();
    if (b == null || b.length() == 0) {
      return null;
    }
    try {
      return parse(b);
    } catch (DecodeException e) {
      // A bound of the parser (values, number length, depth) was passed: refused before anything is built.
      if (e.getCause() instanceof StreamConstraintsException past) {
        throw unreadable(call, response, "CYCLR_RESPONSE_TOO_LARGE",
            String.valueOf(past.getOriginalMessage()).startsWith("Token count")
                ? "a body of more than " + MAX_TOKENS + " JSON values" : "a body in which " + JsonBounds.describe(past));
      }
      throw unreadable(call, response, "CYCLR_BAD_RESPONSE", "a body that is not valid JSON");
    }
  }

  /** Parses with the caps; {@link DecodeException} when the text is not one JSON value within them. */
  static Object parse(Buffer b) {
    try (JsonParser p = FACTORY.createParser(b.getBytes())) {
      return JacksonCodec.fromParser(p, Object.class);
    } catch (IOException e) {
      throw new DecodeException("unreadable JSON", e);
    }
  }

  /** The body as a JSON object, or null when it is empty, unreadable or not an object (for error texts). */
  static JsonObject objectOrNull(Buffer b) {
    if (b == null || b.length() == 0) {
      return null;
    }
    try {
      return parse(b) instanceof JsonObject o ? o : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  /** The failure for an answer whose body cannot be used, as {@link RetryPolicy} classifies it. */
  static CyclrException unreadable(CyclrCall call, CyclrResponse response, String code, String what) {
    String text = "Cyclr answered HTTP " + response.statusCode() + " to " + call.route() + " with " + what;
    if (RetryPolicy.classify(response.statusCode(), call.idempotent(), false) == CallKind.AMBIGUOUS) {
      return new CyclrException.Ambiguous(text + "; it may have taken effect");
    }
    return new CyclrException.Unreadable(code, text + ".", response.statusCode());
  }

  private static String kind(Object v) {
    return v instanceof JsonArray ? "array" : v instanceof String ? "string" : v instanceof Number ? "number"
        : v instanceof Boolean ? "boolean" : "value";
  }
}
