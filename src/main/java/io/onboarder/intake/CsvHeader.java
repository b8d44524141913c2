package io.onboarder.intake;

import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The header row of a CSV job body: its columns as the rest of the code names them (index → name), and
 * its {@code prop:} columns with the property name of each.
 */
record CsvHeader(List<String> columns, int[] propertyColumns, String[] propertyNames) {
  private static final String PROP = "prop:";

  /** The header of {@code names}, the first record; a 400 naming every unusable column otherwise. */
  static CsvHeader parse(List<String> names, boolean tooManyFields) {
    List<String> columns = new ArrayList<>(names.size());
    Map<String, Integer> seen = new HashMap<>();
    JsonArray errors = new JsonArray();
    int accountColumn = -1;
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i) != null && names.get(i).strip().equalsIgnoreCase("account")) {
        accountColumn = i;
      }
    }
    if (accountColumn < 0) {
      errors.add(new JsonObject().put("pointer", "/items").put("line", 1)
          .put("message", "the header row has no 'account' column (it names the tenant account of each row)"));
    }
    for (int i = 0; i < names.size(); i++) {
      String raw = names.get(i) == null ? "" : names.get(i).strip();
      String name = canonical(raw);
      if (name == null) {
        errors.add(headerError(i, "unknown column '" + cut(raw) + "' (columns: " + String.join(", ", CsvBodyReader.COLUMNS)
            + ", prop:<Name>)"));
      } else if (seen.putIfAbsent(name.toLowerCase(Locale.ROOT), i) != null) {
        // Case-blind, prop: columns too: "prop:Region" and "PROP:region" would set one property twice.
        errors.add(headerError(i, "column '" + cut(raw) + "' appears twice"));
      }
      columns.add(name);
    }
    if (tooManyFields) {
      errors.add(headerError(CsvBodyReader.MAX_COLUMNS, "more than " + CsvBodyReader.MAX_COLUMNS + " columns"));
    }

    if (!errors.isEmpty()) {
      JsonObject firstError = errors.getJsonObject(0);
      throw Problem.validation(400, "The CSV header row is not usable: line 1"
          + (firstError.containsKey("column") ? ", column " + firstError.getInteger("column") : "") + ": "
          + firstError.getString("message") + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""),
          errors);
    }
    int[] properties = IntStream.range(0, columns.size()).filter(i -> columns.get(i).startsWith(PROP)).toArray();
    return new CsvHeader(List.copyOf(columns), properties,
        Arrays.stream(properties).mapToObj(i -> columns.get(i).substring(PROP.length())).toArray(String[]::new));
  }

  private static JsonObject headerError(int index, String message) {
    return new JsonObject().put("pointer", "").put("line", 1).put("column", index + 1).put("message", message);
  }

  private static String cut(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }

  /** The column's name as the rest of the code spells it, or null if it is not a column. */
  private static String canonical(String raw) {
    for (String c : CsvBodyReader.COLUMNS) {
      if (c.equalsIgnoreCase(raw)) {
        return c;
      }
    }
    if (raw.regionMatches(true, 0, PROP, 0, PROP.length()) && !raw.substring(PROP.length()).isBlank()) {
      return PROP + raw.substring(PROP.length()).strip();
    }
    return null;
  }

}
