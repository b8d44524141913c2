package io.onboarder.cyclr;

/**
 * How much of Cyclr's answers the gateway reads for one item: bytes per response (on the wire and
 * after inflating), pages per list, and rows per list. Past a limit the item fails with a clear
 * code; the process never holds more than this for one call.
 */
public record CyclrLimits(long maxResponseBytes, int maxPages, int maxRows) {
  /** We ask for 50 rows a page; a page far beyond that is not a page. */
  public static final int MAX_ROWS_PER_PAGE = 1_000;
  public static final CyclrLimits DEFAULT = new CyclrLimits(4L * 1024 * 1024, 100, 10_000);
}
