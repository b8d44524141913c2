package io.onboarder.intake;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/** Builds one JSON value from tokens, counting its characters; past the limit it only skips. */
final class JsonTreeBuilder {
  private final Deque<Object> stack = new ArrayDeque<>();
  private final Deque<String> names = new ArrayDeque<>();
  private Object result;
  private boolean active;
  private boolean skipping;
  private int depth;
  private long chars;
  private long limit;
  private boolean tooLarge;
  private boolean skippedOnly;
  private int startLine;

  boolean active() {
    return active;
  }

  boolean building() {
    return active;
  }

  boolean tooLarge() {
    return tooLarge;
  }

  long chars() {
    return chars;
  }

  int startLine() {
    return startLine;
  }

  /** Starts a value at token {@code t}; a scalar completes at once (then {@link #active()} is false). */
  void start(JsonToken t, JsonParser p, long limit) throws IOException {
    this.limit = limit;
    chars = 0;
    tooLarge = false;
    skippedOnly = false;
    skipping = false;
    result = null;
    startLine = p.currentTokenLocation().getLineNr();
    active = true;
    if (add(t, p)) {
      active = false;
    }
  }

  /** Skips a value without building it. */
  void skip(JsonToken t) {
    skippedOnly = true;
    tooLarge = false;
    skipping = true;
    active = true;
    depth = 0;
    result = null;
    if (t.isStructStart()) {
      depth = 1;
    } else {
      active = false;
      skipping = false;
    }
  }

  /** Adds a token; true when the value is complete. */
  boolean add(JsonToken t, JsonParser p) throws IOException {
    if (skipping) {
      if (t.isStructStart()) {
        depth++;
      } else if (t.isStructEnd()) {
        depth--;
      }
      if (depth == 0) {
        active = false;
        skipping = false;
        return true;
      }
      return false;
    }
    switch (t) {
      case START_OBJECT -> {
        stack.push(new JsonObject());
        return false;
      }
      case START_ARRAY -> {
        stack.push(new JsonArray());
        return false;
      }
      case FIELD_NAME -> {
        String name = p.currentName();
        if (count(name.length())) {
          return overLimit();
        }
        if (stack.peek() instanceof JsonObject o && o.containsKey(name)) {
          throw JsonBodyReader.repeatedKey(p);
        }
        names.push(name);
        return false;
      }
      case END_OBJECT, END_ARRAY -> {
        return put(stack.pop());
      }
      case VALUE_STRING -> {
        String text = p.getText();
        return count(text.length()) ? overLimit() : put(text);
      }
      case VALUE_NUMBER_INT -> {
        return count(p.getTextLength()) ? overLimit() : put(p.getNumberValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        return count(p.getTextLength()) ? overLimit() : put(p.getDoubleValue());
      }
      case VALUE_TRUE -> {
        return put(Boolean.TRUE);
      }
      case VALUE_FALSE -> {
        return put(Boolean.FALSE);
      }
      case VALUE_NULL -> {
        return put(null);
      }
      default -> throw new IllegalStateException("unexpected token " + t);
    }
  }

  /** True when this pushes the value over its limit. */
  private boolean count(int n) {
    chars += n;
    return chars > limit;
  }

  /** Drops what was built and skips the rest of the value; true if nothing is left of it. */
  private boolean overLimit() {
    tooLarge = true;
    depth = stack.size();
    stack.clear();
    names.clear();
    if (depth == 0) {
      active = false;
      return true;
    }
    skipping = true;
    return false;
  }

  boolean skipped() {
    return skippedOnly;
  }

  private boolean put(Object value) {
    if (stack.isEmpty()) {
      result = value;
      active = false;
      return true;
    }
    Object top = stack.peek();
    if (top instanceof JsonObject o) {
      o.put(names.pop(), value);
    } else {
      ((JsonArray) top).add(value);
    }
    return false;
  }

  Object take() {
    Object r = result;
    result = null;
    return r;
  }
}
