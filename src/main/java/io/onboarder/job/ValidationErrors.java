package io.onboarder.job;

import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Violations found in a request, as problem+json {@code errors} entries {pointer, message} (plus
 * {@code line}/{@code column}/{@code field} for CSV and NDJSON bodies). Keeps the first
 * {@value #MAX_REPORTED} and only counts the rest, so a million bad items cost no memory.
 */
public final class ValidationErrors {
  public static final int MAX_REPORTED = 100;

  private final List<JsonObject> kept = new ArrayList<>();
  private long count;
  /** Violations by a well-formed value the service cannot use (422), as opposed to a malformed one (400). */
  private long unprocessable;

  public void add(String pointer, String message) {
    count++;
    if (kept.size() < MAX_REPORTED) {
      kept.add(new JsonObject().put("pointer", pointer).put("message", message));
    }
  }

  /** A value of the right shape that the service cannot use (e.g. an activation interval Cyclr does not take). */
  public void unprocessable(String pointer, String message) {
    add(pointer, message);
    unprocessable++;
  }

  /** 422 when every violation is about a value the service cannot use, else 400. */
  public int status() {
    return count > 0 && unprocessable == count ? 422 : 400;
  }

  public boolean isEmpty() {
    return count == 0;
  }

  public long count() {
    return count;
  }

  /** A mark for {@link #annotate}: entries added after it can be given a location. */
  public long mark() {
    return count;
  }

  /** Adds the fields {@code where} returns for an entry's pointer (e.g. line and column) to entries added since {@code mark}. */
  public void annotate(long mark, Function<String, JsonObject> where) {
    for (long i = mark; i < Math.min(count, kept.size()); i++) {
      JsonObject e = kept.get((int) i);
      JsonObject extra = where.apply(e.getString("pointer"));
      if (extra != null) {
        // Keep pointer first and message last, for people reading the JSON.
        String message = (String) e.remove("message");
        e.mergeIn(extra).put("message", message);
      }
    }
  }

  /** Points the listed entries under {@code to} instead of {@code from} (a fleet's "/tenants/7" for "/items/7"). */
  public void repoint(String from, String to) {
    for (JsonObject e : kept) {
      String pointer = e.getString("pointer");
      if (pointer != null && (pointer.equals(from) || pointer.startsWith(from + "/"))) {
        e.put("pointer", to + pointer.substring(from.length()));
      }
    }
  }

  public JsonArray json() {
    JsonArray a = new JsonArray();
    kept.forEach(e -> a.add(e.copy()));
    return a;
  }

  /** "line 7, column 1 (account): must not be empty (and 2 more)", or "/items/3/account must not be empty". */
  public String summary() {
    JsonObject first = kept.get(0);
    String more = count > 1 ? " (and " + (count - 1) + " more)" : "";
    return describe(first) + more;
  }

  /** Counts {@code n} more violations that are not listed (beyond the first {@value #MAX_REPORTED}). */
  public void addUnlisted(long n) {
    count += n;
  }

  static String describe(JsonObject e) {
    Integer line = e.getInteger("line");
    if (e.getString("parameter") != null) {
      return "query parameter " + e.getString("parameter") + " " + e.getString("message");
    }
    if (line == null) {
      return e.getString("pointer") + " " + e.getString("message");
    }
    Integer column = e.getInteger("column");
    String field = e.getString("field");
    return "line " + line + (column == null ? "" : ", column " + column) + (field == null ? "" : " (" + field + ")")
        + ": " + e.getString("message");
  }

  public Problem problem(int status) {
    return Problem.validation(status, summary(), json());
  }

  /** Throws the problem (400, or 422 when only unusable values were found) if anything was found. */
  public void throwIfAny() {
    if (count > 0) {
      throw problem(status());
    }
  }
}
