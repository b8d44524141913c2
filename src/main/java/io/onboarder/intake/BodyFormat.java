package io.onboarder.intake;

import java.util.Locale;

/** The three ways to send a job to {@code POST /v1/jobs}, by Content-Type. */
public enum BodyFormat {
  JSON, NDJSON, CSV;

  /** The format of a Content-Type header, or null if it is none of them. */
  public static BodyFormat of(String contentType) {
    String mime = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (mime.equals("application/json") || (mime.startsWith("application/") && mime.endsWith("+json"))) {
      return JSON;
    }
    if (mime.equals("application/x-ndjson") || mime.equals("application/ndjson") || mime.equals("application/jsonl")
        || mime.equals("application/x-jsonlines")) {
      return NDJSON;
    }
    if (mime.equals("text/csv")) {
      return CSV;
    }
    return null;
  }

  BodyReader reader(BodyListener listener) {
    return reader(listener, "items");
  }

  /**
   * A reader of a body in this format whose list member is {@code list} ("items" for a job, "tenants" for
   * a fleet): the same parsing, bounds and errors for both.
   */
  public BodyReader reader(BodyListener listener, String list) {
    return switch (this) {
      case JSON -> new JsonBodyReader(false, listener, list);
      case NDJSON -> new JsonBodyReader(true, listener, list);
      case CSV -> new CsvBodyReader(listener);
    };
  }
}
