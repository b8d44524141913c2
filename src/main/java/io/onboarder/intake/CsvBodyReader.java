package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A CSV job body (RFC 4180: comma-separated, fields quoted with {@code "} when they hold commas,
 * quotes or line breaks, quotes doubled inside; CRLF or LF; UTF-8 with or without a BOM), read by a
 * small state machine as bytes arrive. The header row names the columns: {@code account} (required),
 * {@code authValue}, {@code installName}, {@code description}, {@code connectorId},
 * {@code connectorName}, {@code connectorVersion}, {@code prop:<Name>}. Each row becomes an item in
 * the JSON shape, so that it is validated by the same rules; errors name the line and column.
 */
final class CsvBodyReader implements BodyReader {
  /** Longest field; the longest valid one (an auth value) is 8 KiB. */
  static final int MAX_FIELD_CHARS = 65_536;
  static final int MAX_COLUMNS = 1_000;
  static final List<String> COLUMNS = List.of("account", "authValue", "installName", "description", "connectorId",
      "connectorName", "connectorVersion");
  private static final java.util.regex.Pattern CONNECTOR_ID = java.util.regex.Pattern.compile("\\d{1,15}");

  private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_CR }

  private final BodyListener listener;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  /** Bytes of a character split between two chunks. */
  private ByteBuffer leftover = ByteBuffer.allocate(0);
  private final CharBuffer chars = CharBuffer.allocate(16 * 1024);
  private State state = State.FIELD_START;
  private boolean first = true;
  private long line = 1;
  private long recordLine = 1;
  private final StringBuilder field = new StringBuilder();
  private boolean fieldTooLong;
  private List<String> record = new ArrayList<>();
  /**
   * The previous record's fields: a field equal to the one above it is that same String. Big lists repeat most
   * columns (install name, properties, connector) on every row, so their items share those values in memory.
   */
  private List<String> above = new ArrayList<>();
  /** The previous row's properties, when {@link #above} was a row whose item was built; else null. */
  private JsonArray aboveProperties;
  private boolean aboveIsRow;
  private boolean tooManyFields;
  private boolean recordStarted;
  /** The header row, null until it is read. */
  private CsvHeader header;

  CsvBodyReader(BodyListener listener) {
    this.listener = listener;
  }

  @Override
  public void feed(Buffer chunk) {
    ByteBuffer in;
    ByteBuffer bytes = BodyReader.bytes(chunk);
    if (leftover.hasRemaining()) {
      in = ByteBuffer.allocate(leftover.remaining() + bytes.remaining());
      in.put(leftover).put(bytes).flip();
    } else {
      in = bytes;
    }
    decode(in, false);
    leftover = in.hasRemaining() ? ByteBuffer.allocate(in.remaining()).put(in).flip() : ByteBuffer.allocate(0);
  }

  private void decode(ByteBuffer in, boolean endOfInput) {
    while (true) {
      CoderResult r = decoder.decode(in, chars, endOfInput);
      chars.flip();
      while (chars.hasRemaining()) {
        accept(chars.get());
      }
      chars.clear();
      if (r.isError()) {
        throw BodyReader.syntax("not valid UTF-8 text (save the file as CSV UTF-8)", line, 0);
      }
      if (r.isUnderflow()) {
        return;
      }
    }
  }

  @Override
  public void end() {
    decode(leftover, true);
    CoderResult r = decoder.flush(chars);
    if (r.isError()) {
      throw BodyReader.syntax("not valid UTF-8 text", line, 0);
    }
    if (state == State.QUOTED) {
      throw BodyReader.syntax("a quoted field is not closed (it starts on line " + recordLine
          + "); a quote inside a quoted field is written twice (\"\")", line, record.size() + 1);
    }
    if (recordStarted || field.length() > 0 || !record.isEmpty()) {
      endField();
      endRecord();
    }
    if (header == null) {
      throw Problem.badRequest("The CSV body is empty: it needs a header row with an 'account' column, then one "
          + "row per item.");
    }
  }

  private void accept(char c) {
    if (first) {
      first = false;
      if (c == '\uFEFF') {
        return; // the UTF-8 byte order mark that spreadsheet programs write
      }
    }
    switch (state) {
      case AFTER_CR -> {
        state = State.FIELD_START;
        if (c == '\n') {
          return;
        }
        accept(c);
      }
      case FIELD_START -> {
        if (!recordStarted) {
          recordStarted = true;
          recordLine = line;
        }
        if (c == '"') {
          state = State.QUOTED;
        } else if (c == ',') {
          endField();
        } else if (c == '\r' || c == '\n') {
          lineBreak(c);
        } else {
          append(c);
          state = State.UNQUOTED;
        }
      }
      case UNQUOTED -> {
        if (c == ',') {
          endField();
          state = State.FIELD_START;
        } else if (c == '\r' || c == '\n') {
          lineBreak(c);
        } else if (c == '"') {
          throw BodyReader.syntax("a quote inside an unquoted field; quote the whole field and write the quote "
              + "twice (\"\")", line, record.size() + 1);
        } else {
          append(c);
        }
      }
      case QUOTED -> {
        if (c == '"') {
          state = State.QUOTE_IN_QUOTED;
        } else {
          if (c == '\n') {
            line++; // a line break inside a quoted field: the record goes on, on the next line
          }
          append(c);
        }
      }
      case QUOTE_IN_QUOTED -> {
        if (c == '"') {
          append('"');
          state = State.QUOTED;
        } else if (c == ',') {
          endField();
          state = State.FIELD_START;
        } else if (c == '\r' || c == '\n') {
          lineBreak(c);
        } else {
          throw BodyReader.syntax("unexpected text after the closing quote of a field", line, record.size() + 1);
        }
      }
      default -> throw new IllegalStateException();
    }
  }

  /** A CRLF inside quotes counts one line; outside it ends the record. */
  private void lineBreak(char c) {
    endField();
    endRecord();
    line++;
    state = c == '\r' ? State.AFTER_CR : State.FIELD_START;
  }

  private void append(char c) {
    if (field.length() < MAX_FIELD_CHARS) {
      field.append(c);
    } else {
      fieldTooLong = true;
    }
  }

  private void endField() {
    if (record.size() < MAX_COLUMNS) {
      int at = record.size();
      String same = at < above.size() ? above.get(at) : null;
      record.add(fieldTooLong ? null : same != null && same.contentEquals(field) ? same : field.toString());
    } else {
      tooManyFields = true;
    }
    field.setLength(0);
    fieldTooLong = false;
  }

  private void endRecord() {
    boolean wasRow = aboveIsRow;
    aboveIsRow = false;
    try {
      if (record.size() == 1 && "".equals(record.get(0)) && !tooManyFields) {
        return; // a blank line
      }
      if (header == null) {
        header = CsvHeader.parse(record, tooManyFields);
        listener.jobFieldsDone();
      } else {
        row(record, wasRow);
      }
    } finally {
      List<String> done = record;
      record = above;
      above = done;
      record.clear();
      tooManyFields = false;
      recordStarted = false;
    }
  }

  // ---- rows --------------------------------------------------------------------------------------

  private void row(List<String> values, boolean aboveIsRow) {
    long at = recordLine;
    if (values.size() != header.columns().size() || tooManyFields) {
      listener.badItem("has " + (tooManyFields ? "more than " + MAX_COLUMNS : values.size()) + " fields; the header "
          + "row has " + header.columns().size() + " (a field with a comma or line break must be in quotes)",
          new JsonObject().put("line", at));
      return;
    }
    JsonObject item = new JsonObject(new java.util.LinkedHashMap<>(8));
    JsonObject connector = null;
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      if (v == null) {
        listener.badItem("is longer than " + MAX_FIELD_CHARS + " characters", where(at, i));
        return;
      }
      String name = header.columns().get(i);
      if (name.equals("account")) {
        item.put("account", v);
        continue;
      }
      if (v.isEmpty()) {
        continue; // an empty cell is a field not given
      }
      switch (name) {
        case "authValue", "installName", "description" -> item.put(name, v);
        case "connectorId" -> {
          connector = connector == null ? new JsonObject() : connector;
          connector.put("id", CONNECTOR_ID.matcher(v).matches() ? (Object) Long.parseLong(v) : v);
        }
        case "connectorName" -> {
          connector = connector == null ? new JsonObject() : connector;
          connector.put("name", v);
        }
        case "connectorVersion" -> {
          connector = connector == null ? new JsonObject() : connector;
          connector.put("version", v);
        }
        default -> { } // a property: below
      }
    }
    if (connector != null) {
      item.put("connector", connector);
    }
    JsonArray properties = properties(values, aboveIsRow);
    if (properties != null) {
      item.put("properties", properties);
    }
    aboveProperties = properties;
    this.aboveIsRow = true;
    JsonObject c = connector;
    int[] given = givenProperties(values);
    listener.item(item, pointer -> where(at, column(pointer, c, given)));
  }

  /** The prop: columns of the row's properties (its cells that are not empty): usually all of them, unallocated. */
  private int[] givenProperties(List<String> values) {
    int[] columns = header.propertyColumns();
    for (int column : columns) {
      if (values.get(column).isEmpty()) {
        return java.util.Arrays.stream(columns).filter(i -> !values.get(i).isEmpty()).toArray();
      }
    }
    return columns;
  }

  /**
   * The row's properties: those of the row above (the same instance) when its property cells are the same
   * Strings, which {@link #endField} makes them when they are equal; else built from the cells.
   */
  private JsonArray properties(List<String> values, boolean aboveIsRow) {
    int[] columns = header.propertyColumns();
    if (aboveIsRow) {
      boolean same = true;
      for (int column : columns) {
        if (values.get(column) != above.get(column)) {
          same = false;
          break;
        }
      }
      if (same) {
        return aboveProperties;
      }
    }
    JsonArray properties = null;
    for (int k = 0; k < columns.length; k++) {
      String v = values.get(columns[k]);
      if (!v.isEmpty()) {
        properties = properties == null ? new JsonArray(new ArrayList<>(columns.length)) : properties;
        properties.add(new JsonObject(new java.util.LinkedHashMap<>(4)).put("name", header.propertyNames()[k])
            .put("value", v));
      }
    }
    return properties;
  }

  private JsonObject where(long line, Integer column) {
    JsonObject w = new JsonObject().put("line", line);
    if (column != null) {
      w.put("column", column + 1).put("field", header.columns().get(column));
    }
    return w;
  }

  /** The column an item pointer ("/items/7/connector/id") came from, or null. */
  private Integer column(String pointer, JsonObject connector, int[] props) {
    String[] parts = pointer.split("/");
    // "", "items", index, field, …
    if (parts.length < 4) {
      return null;
    }
    String field = parts[3];
    String sub = parts.length > 4 ? parts[4] : null;
    return switch (field) {
      case "account", "authValue", "installName", "description" -> indexOf(field);
      case "connector" -> {
        if ("id".equals(sub)) {
          yield indexOf("connectorId");
        }
        if ("name".equals(sub)) {
          yield indexOf("connectorName");
        }
        if ("version".equals(sub)) {
          yield indexOf("connectorVersion");
        }
        yield connector != null && connector.containsKey("id") ? indexOf("connectorId")
            : connector != null && connector.containsKey("name") ? indexOf("connectorName")
            : connector != null ? indexOf("connectorVersion") : null;
      }
      case "properties" -> {
        if (props.length == 0) {
          yield null;
        }
        int k = sub != null && sub.matches("\\d+") ? Integer.parseInt(sub) : 0;
        yield k < props.length ? props[k] : props[0];
      }
      default -> null;
    };
  }

  private Integer indexOf(String column) {
    int i = header.columns().indexOf(column);
    return i < 0 ? null : i;
  }

  /** Column names in header order (for tests and messages). */
  List<String> header() {
    return header.columns();
  }
}
