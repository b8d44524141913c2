package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads every page of a Cyclr list. Cyclr's paging headers are not documented, so: use
 * {@code Total-Pages} when present; otherwise stop at an empty page, or at a page shorter than
 * the first full one (a server may cap pageSize below what we ask), or at a page that repeats.
 */
final class Paging {
  static final int PAGE_SIZE = 50;
  static final int MAX_PAGES = 2_000;

  private Paging() {}

  static Future<List<JsonObject>> all(Function<Integer, CyclrCall> pageCall, CyclrClient client) {
    return next(pageCall, client, 1, new ArrayList<>(), new HashSet<>(), -1);
  }

  private static Future<List<JsonObject>> next(Function<Integer, CyclrCall> pageCall, CyclrClient client, int page,
                                               List<JsonObject> acc, Set<String> seen, int fullPage) {
    return client.send(pageCall.apply(page)).compose(resp -> {
      JsonArray rows = rows(resp);
      boolean fresh = false;
      for (Object o : rows) {
        if (o instanceof JsonObject row) {
          String key = String.valueOf(row.getValue("Id", row.encode()));
          if (seen.add(key)) {
            acc.add(row);
            fresh = true;
          }
        }
      }
      Integer totalPages = intHeader(resp, "Total-Pages");
      boolean last;
      int full = fullPage;
      if (totalPages != null) {
        last = page >= totalPages;
      } else if (rows.isEmpty() || !fresh) {
        last = true;
      } else {
        if (full < 0) {
          // The first page tells how many rows a full page holds (≤ what we asked for).
          full = rows.size();
          last = false;
          if (rows.size() >= PAGE_SIZE) {
            full = PAGE_SIZE;
          }
        } else {
          last = rows.size() < full;
        }
      }
      if (last || page >= MAX_PAGES) {
        return Future.succeededFuture(acc);
      }
      return next(pageCall, client, page + 1, acc, seen, full);
    });
  }

  /** A list is a JSON array; tolerate an object wrapping it. */
  private static JsonArray rows(CyclrResponse resp) {
    Buffer b = resp.body();
    if (b == null || b.length() == 0) {
      return new JsonArray();
    }
    Object v = io.vertx.core.json.Json.decodeValue(b);
    if (v instanceof JsonArray a) {
      return a;
    }
    if (v instanceof JsonObject o) {
      for (String k : new String[] {"Items", "items", "Data", "data", "Results"}) {
        if (o.getValue(k) instanceof JsonArray a) {
          return a;
        }
      }
    }
    return new JsonArray();
  }

  private static Integer intHeader(CyclrResponse resp, String name) {
    String v = resp.header(name);
    if (v == null) {
      return null;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
