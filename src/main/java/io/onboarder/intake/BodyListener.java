package io.onboarder.intake;

import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * What a {@link BodyReader} finds in a job body, in order. {@code where} maps a JSON pointer inside
 * the item (e.g. "/items/7/account") to its place in the body ({line, column, field}), or is null when
 * the pointer says it all (a JSON body).
 */
public interface BodyListener {
  /** A job-level field: a top-level member of a JSON body (other than items), or of NDJSON line 1. */
  void jobField(String name, Object value);

  /** The job fields are complete (NDJSON after line 1, CSV at once); JSON bodies know only at the end. */
  void jobFieldsDone();

  /** One item, as JSON (to be validated), with where its parts are in the body. */
  void item(Object item, Function<String, JsonObject> where);

  /** An item that could not even be read (e.g. a CSV row with too many fields): counted, reported, not stored. */
  void badItem(String message, JsonObject where);

  /** A problem with the body that is not one item's (e.g. "items" is not an array): reported at the end. */
  void error(String pointer, String message, JsonObject where);
}
