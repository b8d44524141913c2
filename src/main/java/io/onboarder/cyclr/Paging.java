package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Reads the pages of a Cyclr list, within {@link CyclrLimits}. Cyclr's paging headers are not
 * documented, so: use {@code Total-Pages} when present; stop at an empty page, at a page shorter
 * than the first full one, and at a page with nothing new (a server that ignores {@code page}, or
 * repeats one forever whatever Total-Pages says). A list longer than the limits fails
 * ({@code CYCLR_TOO_MANY_PAGES}, {@code CYCLR_TOO_MANY_ROWS}) rather than pass for complete: a cut
 * list could hide an install.
 * <p>
 * A first page shorter than the {@link #PAGE_SIZE} asked for is the whole list for {@link #findAll} (Cyclr's
 * documented advice: stop at a short page), which saves a read per list. {@link #find}, the check made before
 * installing, still reads the next page then: a server that caps pageSize below what we ask, without
 * {@code Total-Pages}, must not hide an install there (a duplicate would follow), whereas an install a fleet's
 * read misses only makes its plan ask a job, whose own check finds it. Only the rows a caller wants are kept.
 */
final class Paging {
  static final int PAGE_SIZE = 50;

  private Paging() {}

  /** Every row that {@code wanted} accepts, in list order; stops reading once {@code enough} are found. */
  static Future<List<JsonObject>> find(Function<Integer, CyclrCall> pageCall, CyclrClient client,
                                       Predicate<JsonObject> wanted, int enough) {
    return find(pageCall, client, null, wanted, enough);
  }

  /** As above, each page read within {@code share} (null: none) of the rate limit. */
  static Future<List<JsonObject>> find(Function<Integer, CyclrCall> pageCall, CyclrClient client, ReadShare share,
                                       Predicate<JsonObject> wanted, int enough) {
    return next(new Walk(pageCall, client, share, wanted, enough, false), 1);
  }

  /**
   * Every row that {@code wanted} accepts, each page read within {@code share} (null: none) of the rate limit; a
   * page shorter than {@link #PAGE_SIZE} ends the list (unless {@code Total-Pages} says more follow).
   */
  static Future<List<JsonObject>> findAll(Function<Integer, CyclrCall> pageCall, CyclrClient client, ReadShare share,
                                          Predicate<JsonObject> wanted) {
    return next(new Walk(pageCall, client, share, wanted, Integer.MAX_VALUE, true), 1);
  }

  private static final class Walk {
    final Function<Integer, CyclrCall> pageCall;
    final CyclrClient client;
    final ReadShare share;
    final Predicate<JsonObject> wanted;
    final int enough;
    /** A page shorter than asked for ends the list (else it sets the length of a full page). */
    final boolean shortPageEnds;
    final CyclrLimits limits;
    final List<JsonObject> found = new ArrayList<>();
    final Set<String> seen = new HashSet<>();
    int fullPage = -1;

    Walk(Function<Integer, CyclrCall> pageCall, CyclrClient client, ReadShare share, Predicate<JsonObject> wanted,
         int enough, boolean shortPageEnds) {
      this.pageCall = pageCall;
      this.client = client;
      this.share = share;
      this.wanted = wanted;
      this.enough = enough;
      this.shortPageEnds = shortPageEnds;
      this.limits = client.limits();
    }
  }

  private static Future<List<JsonObject>> next(Walk w, int page) {
    CyclrCall call = w.pageCall.apply(page);
    return w.client.send(call, w.share).compose(resp -> {
      JsonArray rows = CyclrJson.rows(call, resp);
      if (rows.size() > CyclrLimits.MAX_ROWS_PER_PAGE) {
        return tooMany("CYCLR_TOO_MANY_ROWS", call, "a page of " + rows.size() + " rows (at most "
            + CyclrLimits.MAX_ROWS_PER_PAGE + " are read)");
      }
      boolean fresh = false;
      for (Object o : rows) {
        if (o instanceof JsonObject row && w.seen.add(key(row))) {
          fresh = true;
          if (w.wanted.test(row)) {
            w.found.add(row);
          }
        }
      }
      if (w.found.size() >= w.enough) {
        return Future.succeededFuture(w.found);
      }
      if (w.seen.size() > w.limits.maxRows()) {
        return tooMany("CYCLR_TOO_MANY_ROWS", call, "more than " + w.limits.maxRows() + " rows (CYCLR_MAX_ROWS)");
      }
      Integer totalPages = intHeader(resp, "Total-Pages");
      boolean last;
      if (rows.isEmpty() || !fresh) {
        last = true;
      } else if (totalPages != null) {
        last = page >= totalPages;
      } else if (w.shortPageEnds && rows.size() < PAGE_SIZE) {
        last = true;
      } else if (w.fullPage < 0) {
        // The first page tells how many rows a full page holds (≤ what we asked for).
        w.fullPage = Math.min(rows.size(), PAGE_SIZE);
        last = false;
      } else {
        last = rows.size() < w.fullPage;
      }
      if (last) {
        return Future.succeededFuture(w.found);
      }
      if (page >= w.limits.maxPages()) {
        return tooMany("CYCLR_TOO_MANY_PAGES", call, "more than " + w.limits.maxPages() + " pages (CYCLR_MAX_PAGES)");
      }
      return next(w, page + 1);
    });
  }

  private static <T> Future<T> tooMany(String code, CyclrCall call, String what) {
    return Future.failedFuture(new CyclrException(code, "Cyclr's list " + call.route() + " has " + what
        + "; the list was not read to its end, so nothing was decided from it.", null));
  }

  /** A row's identity: its Id, or (rarely, for rows without one) a digest of its content. */
  private static String key(JsonObject row) {
    Object id = row.getValue("Id");
    if (id != null) {
      return "id:" + id;
    }
    String text = row.encode();
    return "row:" + text.length() + ":" + text.hashCode();
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
