package io.onboarder.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The formats of a job's item report ({@code GET /v1/jobs/{id}/items} with an {@code Accept} header):
 * CSV with one row per item, or NDJSON with the item JSON of the API, one per line. Both carry
 * exactly what the items API shows (never an auth value: the store never returns one).
 */
enum ItemReport {
  CSV("text/csv; charset=utf-8", "csv"),
  NDJSON("application/x-ndjson", "ndjson");

  /** Items per store page: one page is all the report holds in memory. */
  static final int PAGE = 1000;
  static final List<String> COLUMNS = List.of("itemId", "account", "connectorId", "installName", "status", "attempts",
      "accountConnectorId", "url", "expiresAt", "errorCode", "errorMessage", "errorHttpStatus");

  private final String contentType;
  private final String extension;

  ItemReport(String contentType, String extension) {
    this.contentType = contentType;
    this.extension = extension;
  }

  /** The report format an Accept header asks for, or null for the paged JSON of the API. */
  static ItemReport of(String accept) {
    if (accept == null) {
      return null;
    }
    for (String part : accept.split(",")) {
      String mime = part.split(";")[0].trim().toLowerCase();
      if (mime.equals("text/csv")) {
        return CSV;
      }
      if (mime.equals("application/x-ndjson") || mime.equals("application/ndjson")) {
        return NDJSON;
      }
      if (mime.equals("application/json") || mime.equals("*/*")) {
        return null;
      }
    }
    return null;
  }

  String contentType() {
    return contentType;
  }

  String extension() {
    return extension;
  }

  Buffer header() {
    return this == CSV ? Buffer.buffer(String.join(",", COLUMNS) + "\r\n") : null;
  }

  /**
   * The rows of {@code items}. With {@code escapeFormulas} (the default of the API), a text cell that a
   * spreadsheet would run as a formula gets a leading {@code '} (OWASP's advice on CSV injection):
   * accounts, install names and Cyclr's error messages come from outside.
   */
  Buffer rows(JsonArray items, boolean escapeFormulas) {
    StringBuilder b = new StringBuilder(items.size() * 120);
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      if (this == NDJSON) {
        b.append(item.encode()).append('\n');
      } else {
        JsonObject oauth = item.getJsonObject("oauth");
        JsonObject error = item.getJsonObject("error");
        Object[] row = {item.getValue("id"), item.getValue("account"), item.getValue("connectorId"),
            item.getValue("installName"), item.getValue("status"), item.getValue("attempts"),
            item.getValue("accountConnectorId"), oauth == null ? null : oauth.getValue("url"),
            oauth == null ? null : oauth.getValue("expiresAt"), error == null ? null : error.getValue("code"),
            error == null ? null : error.getValue("message"), error == null ? null : error.getValue("httpStatus")};
        for (int c = 0; c < row.length; c++) {
          if (c > 0) {
            b.append(',');
          }
          field(b, escapeFormulas ? neutralised(row[c]) : row[c]);
        }
        b.append("\r\n");
      }
    }
    return Buffer.buffer(b.toString());
  }

  /** A text starting with {@code = + - @}, a tab or a carriage return, prefixed by {@code '}; anything else as is. */
  static Object neutralised(Object value) {
    if (value instanceof String s && !s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
      return "'" + s;
    }
    return value;
  }

  /** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
  static void field(StringBuilder b, Object value) {
    if (value == null) {
      return;
    }
    String s = String.valueOf(value);
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      b.append(s);
    } else {
      b.append('"').append(s.replace("\"", "\"\"")).append('"');
    }
  }
}
