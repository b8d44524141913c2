package io.onboarder.bus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * The bounds every JSON value from outside is held to, whatever its entrance (HTTP bodies, the event
 * bus, the bridge): past one, it is refused with a 400 before anything slow is done with it. Numbers
 * matter most: turning a 1,000,000-digit number into a {@link BigInteger} takes some 20 s of one
 * thread, and Jackson's non-blocking parser (2.18) does not check a number's length by itself.
 */
public final class JsonBounds {
  /** Longest number, in characters as written (a {@code long} has at most 20). */
  public static final int MAX_NUMBER_CHARS = 1000;
  /** Longest string value; the longest valid field (an auth value) is 8 KiB. */
  public static final int MAX_STRING_CHARS = 1_000_000;
  /** Longest key of an object. */
  public static final int MAX_NAME_CHARS = 1000;
  /** Deepest nesting of objects and arrays. */
  public static final int MAX_DEPTH = 64;

  /** A number of {@link #MAX_NUMBER_CHARS} decimal digits has at most this many bits. */
  private static final int MAX_NUMBER_BITS = (int) Math.ceil(MAX_NUMBER_CHARS * Math.log(10) / Math.log(2));

  private static final JsonFactory FACTORY = factoryBuilder().build();

  private JsonBounds() {}

  /** A factory builder with these bounds that refuses a key repeated in one object. */
  public static com.fasterxml.jackson.core.JsonFactoryBuilder factoryBuilder() {
    return (com.fasterxml.jackson.core.JsonFactoryBuilder) JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNumberLength(MAX_NUMBER_CHARS)
            .maxStringLength(MAX_STRING_CHARS)
            .maxNameLength(MAX_NAME_CHARS)
            .maxNestingDepth(MAX_DEPTH)
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
  }

  /**
   * One JSON value from text, within the bounds and without repeated keys; otherwise a 400 that names
   * the place and the broken bound, never quoting the text (it may hold a secret).
   */
  public static Object parse(Buffer text) {
    try (JsonParser p = FACTORY.createParser(text.getBytes())) {
      Object value = JacksonCodec.fromParser(p, Object.class);
      if (p.nextToken() != null) {
        throw Problem.badRequest("The JSON text has more after its first value.");
      }
      return value;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw Problem.badRequest("The JSON text cannot be read"
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": " + describe(e));
    } catch (IOException e) {
      throw Problem.badRequest("The JSON text cannot be read.");
    } catch (io.vertx.core.json.DecodeException e) {
      throw e.getCause() instanceof JsonProcessingException jpe
          ? Problem.badRequest("The JSON text cannot be read: " + describe(jpe))
          : Problem.badRequest("The JSON text cannot be read.");
    }
  }

  /** What a parse failure means, in words fit for a caller (Jackson's own text may quote the input). */
  public static String describe(JsonProcessingException e) {
    String m = String.valueOf(e.getOriginalMessage());
    if (e instanceof StreamConstraintsException) {
      return m.startsWith("Number") ? "a number is longer than " + MAX_NUMBER_CHARS + " characters"
          : m.startsWith("String") ? "a string is longer than " + MAX_STRING_CHARS + " characters"
          : m.startsWith("Name") ? "a key is longer than " + MAX_NAME_CHARS + " characters"
          : m.contains("nesting") ? "values are nested more than " + MAX_DEPTH + " deep"
          : "the JSON exceeds a bound of this service";
    }
    return m.startsWith("Duplicate field") ? "a key appears twice in one object" : "not valid JSON";
  }

  /**
   * Checks a tree that arrived already built (an event-bus message): depth, key and string lengths,
   * and numbers, by their size rather than by printing them. A 400 names the first value past a bound.
   */
  public static void check(Object tree) {
    check(tree, "", 0);
  }

  private static void check(Object v, String at, int depth) {
    if (v instanceof JsonObject o) {
      check(o.getMap(), at, depth);
    } else if (v instanceof JsonArray a) {
      check(a.getList(), at, depth);
    } else if (v instanceof Map<?, ?> m) {
      nested(at, depth);
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        if (key.length() > MAX_NAME_CHARS) {
          throw refused(at, "has a key longer than " + MAX_NAME_CHARS + " characters");
        }
        String step = key.length() > 40 ? key.substring(0, 40) + "…" : key;
        check(e.getValue(), at + "/" + step.replace("~", "~0").replace("/", "~1"), depth + 1);
      }
    } else if (v instanceof List<?> l) {
      nested(at, depth);
      for (int i = 0; i < l.size(); i++) {
        check(l.get(i), at + "/" + i, depth + 1);
      }
    } else if (v instanceof CharSequence s && s.length() > MAX_STRING_CHARS) {
      throw refused(at, "is a string longer than " + MAX_STRING_CHARS + " characters");
    } else if (v instanceof BigInteger b && b.bitLength() > MAX_NUMBER_BITS
        || v instanceof BigDecimal d && (d.precision() > MAX_NUMBER_CHARS || Math.abs(d.scale()) > MAX_NUMBER_CHARS)) {
      throw refused(at, "is a number longer than " + MAX_NUMBER_CHARS + " characters");
    }
  }

  private static void nested(String at, int depth) {
    if (depth >= MAX_DEPTH) {
      throw refused(at, "is nested more than " + MAX_DEPTH + " deep");
    }
  }

  private static Problem refused(String at, String message) {
    String pointer = at.isEmpty() ? "" : at;
    return Problem.validation(400, "The request is refused: " + (pointer.isEmpty() ? "the body" : pointer) + " "
        + message + ".", new JsonArray().add(new JsonObject().put("pointer", pointer).put("message", message)));
  }
}
