package io.onboarder.intake;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.onboarder.bus.JsonBounds;
import io.onboarder.bus.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.function.Function;

/**
 * A JSON job body ({@code {"connector": …, "items": [ … ]}}) or an NDJSON one (line 1 the job
 * fields, then one item per line), read with Jackson's non-blocking parser: each item becomes a small
 * JSON tree on its own (bounded in size), never the whole body. Job fields may come before or after
 * the items in a JSON body.
 */
final class JsonBodyReader implements BodyReader {
  /** Longest string anywhere in a body; the longest valid field (an auth value) is 8 KiB. */
  static final int MAX_STRING = JsonBounds.MAX_STRING_CHARS;
  /** Most characters (strings, names and numbers) one item, or all job fields together, may have. */
  static final int MAX_VALUE_CHARS = 1_000_000;
  /** String, key and depth bounds, and repeated keys, are checked by the parser; number length here. */
  /**
   * The bounds of every JSON entrance, but a repeated key is found here, as values are built ({@link
   * JsonTreeBuilder}, {@link #topLevel}): Jackson's own check kept a hash set for every object of a million-line body.
   */
  private static final JsonFactory FACTORY = JsonBounds.factoryBuilder()
      .disable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final String REPEATED_KEY = "a key appears twice in one object";

  private enum State { ROOT, FIELDS, ITEMS, DONE }

  private final boolean ndjson;
  private final BodyListener listener;
  /** The name of the list: "items" in a job, "tenants" in a fleet. */
  private final String list;
  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  private State state = State.ROOT;
  /** The value being built (an item or a job field), or skipped (depth only). */
  private final JsonTreeBuilder tree = new JsonTreeBuilder();
  private String fieldName;
  private boolean sawItems;
  private long jobFieldChars;
  private int lastValueEndLine;
  private boolean anyInput;

  JsonBodyReader(boolean ndjson, BodyListener listener) {
    this(ndjson, listener, "items");
  }

  JsonBodyReader(boolean ndjson, BodyListener listener, String list) {
    this.ndjson = ndjson;
    this.listener = listener;
    this.list = list;
    try {
      this.parser = FACTORY.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
  }

  @Override
  public void feed(Buffer chunk) {
    if (chunk.length() == 0) {
      return;
    }
    anyInput = true;
    java.nio.ByteBuffer bytes = BodyReader.bytes(chunk);
    try {
      feeder.feedInput(bytes.array(), bytes.position(), bytes.limit());
    } catch (IOException e) {
      throw syntax(e);
    }
    drain();
  }

  @Override
  public void end() {
    feeder.endOfInput();
    drain();
    if (ndjson) {
      if (state == State.ROOT) {
        throw Problem.badRequest("The body is empty: line 1 must be the job object (e.g. {\"connector\": {\"id\": 2}}), "
            + "then one item per line.");
      }
      if (tree.building()) {
        throw BodyReader.syntax("the last line ends in the middle of a JSON value", line(), 0);
      }
      return;
    }
    if (state != State.DONE) {
      if (!anyInput || state == State.ROOT) {
        throw Problem.badRequest("The request body must be a JSON object.");
      }
      throw BodyReader.syntax("the body ends before the JSON object is complete", line(), 0);
    }
    if (!sawItems) {
      listener.error("/" + list, "is required: a non-empty array of " + list, null);
    }
  }

  /** The job object's keys so far (JSON body). */
  private final java.util.Set<String> topLevel = new java.util.HashSet<>();

  static Problem repeatedKey(JsonParser p) {
    JsonLocation at = p.currentTokenLocation();
    return BodyReader.syntax(REPEATED_KEY, at.getLineNr(), at.getColumnNr());
  }

  private long line() {
    return parser.currentLocation().getLineNr();
  }

  private void drain() {
    try {
      JsonToken t;
      while ((t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE) {
        // Before anything converts it (a 1,000,000-digit BigInteger takes some 20 s), skipped or not.
        if (t.isNumeric() && parser.getTextLength() > JsonBounds.MAX_NUMBER_CHARS) {
          JsonLocation at = parser.currentTokenLocation();
          throw BodyReader.syntax("a number is longer than " + JsonBounds.MAX_NUMBER_CHARS + " characters",
              at.getLineNr(), at.getColumnNr());
        }
        token(t);
      }
    } catch (StreamConstraintsException e) {
      JsonLocation at = parser.currentLocation();
      throw BodyReader.syntax(JsonBounds.describe(e), at.getLineNr(), at.getColumnNr());
    } catch (JsonProcessingException e) {
      if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
        JsonLocation at = parser.currentTokenLocation();
        throw BodyReader.syntax(JsonBounds.describe(e), at.getLineNr(), at.getColumnNr());
      }
      throw syntax(e);
    } catch (IOException e) {
      throw syntax(e);
    }
  }

  /** Jackson's messages can quote the body (an unquoted token might be a secret): only the place is kept. */
  private Problem syntax(IOException e) {
    JsonLocation at = e instanceof JsonProcessingException jpe && jpe.getLocation() != null ? jpe.getLocation()
        : parser.currentLocation();
    return BodyReader.syntax("not valid JSON" + (ndjson ? " (NDJSON: one JSON value per line)" : ""),
        at.getLineNr(), at.getColumnNr());
  }

  private void token(JsonToken t) throws IOException {
    if (tree.active()) {
      if (tree.add(t, parser)) {
        valueDone();
      }
      return;
    }
    if (ndjson) {
      ndjsonToken(t);
      return;
    }
    switch (state) {
      case ROOT -> {
        if (t != JsonToken.START_OBJECT) {
          throw Problem.badRequest("The request body must be a JSON object.");
        }
        state = State.FIELDS;
      }
      case FIELDS -> {
        if (t == JsonToken.END_OBJECT) {
          state = State.DONE;
        } else if (t == JsonToken.FIELD_NAME) {
          fieldName = parser.currentName();
          if (!topLevel.add(fieldName)) {
            throw repeatedKey(parser);
          }
        } else if (list.equals(fieldName)) {
          if (sawItems) {
            throw BodyReader.syntax("\"" + list + "\" appears more than once", line(), 0);
          }
          sawItems = true;
          if (t == JsonToken.START_ARRAY) {
            state = State.ITEMS;
          } else {
            listener.error("/" + list, t == JsonToken.VALUE_NULL ? "is required: a non-empty array of " + list
                : "must be an array", null);
            tree.skip(t);
          }
        } else {
          tree.start(t, parser, MAX_VALUE_CHARS - jobFieldChars);
          if (!tree.active()) {
            valueDone();
          }
        }
      }
      case ITEMS -> {
        if (t == JsonToken.END_ARRAY) {
          state = State.FIELDS;
          fieldName = null;
          return;
        }
        tree.start(t, parser, MAX_VALUE_CHARS);
        if (!tree.active()) {
          valueDone();
        }
      }
      case DONE -> throw BodyReader.syntax("there is more after the end of the JSON object", line(),
          parser.currentLocation().getColumnNr());
      default -> throw new IllegalStateException();
    }
  }

  private void ndjsonToken(JsonToken t) throws IOException {
    JsonLocation at = parser.currentTokenLocation();
    int line = at.getLineNr();
    if (state != State.ROOT && line <= lastValueEndLine) {
      throw BodyReader.syntax("a second JSON value on the same line (NDJSON: one per line)", line,
          at.getColumnNr());
    }
    if (state == State.ROOT) {
      if (t != JsonToken.START_OBJECT) {
        throw BodyReader.syntax("line 1 must be the job object, e.g. {\"connector\": {\"id\": 2}}", line, 1);
      }
      state = State.FIELDS;
      tree.start(t, parser, MAX_VALUE_CHARS);
      return;
    }
    tree.start(t, parser, MAX_VALUE_CHARS);
    if (!tree.active()) {
      valueDone();
    }
  }

  private void valueDone() {
    if (tree.skipped()) {
      fieldName = null;
      return;
    }
    Object value = tree.take();
    boolean tooLarge = tree.tooLarge();
    if (ndjson) {
      lastValueEndLine = parser.currentLocation().getLineNr();
      if (state == State.FIELDS) {
        state = State.ITEMS;
        if (tooLarge) {
          throw BodyReader.syntax("the job object is too large", 1, 0);
        }
        JsonObject job = (JsonObject) value;
        for (String name : job.fieldNames()) {
          if (name.equals(list)) {
            listener.error("/" + list, "must not be on line 1: in NDJSON the " + list + " follow, one per line",
                new JsonObject().put("line", 1));
          } else {
            listener.jobField(name, job.getValue(name));
          }
        }
        listener.jobFieldsDone();
        return;
      }
      int startLine = tree.startLine();
      if (tooLarge) {
        listener.badItem("is too large (more than " + MAX_VALUE_CHARS + " characters)",
            new JsonObject().put("line", startLine));
      } else {
        // Built only for an error: a million valid lines need none.
        listener.item(value, pointer -> new JsonObject().put("line", startLine));
      }
      return;
    }
    if (state == State.ITEMS) {
      if (tooLarge) {
        listener.badItem("is too large (more than " + MAX_VALUE_CHARS + " characters)", null);
      } else {
        listener.item(value, (Function<String, JsonObject>) null);
      }
    } else {
      if (tooLarge) {
        throw BodyReader.syntax("the job fields (everything but the items) are too large", line(), 0);
      }
      jobFieldChars += tree.chars();
      listener.jobField(fieldName, value);
      fieldName = null;
    }
  }
}
