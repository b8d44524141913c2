package io.onboarder.store;

import io.onboarder.support.TestService;

/**
 * Real store failures for tests, made on the running service's own store: a full disk without
 * filling a disk, and a store that no longer answers.
 */
public final class StoreFaults {
  private StoreFaults() {}

  /**
   * Caps the SQLite store's file at the pages it has now ({@code PRAGMA max_page_count} on the store's
   * own connection): the next write that needs one more page fails with SQLITE_FULL, as on a full disk.
   */
  public static void diskFull(Stores store) {
    if (store.database().dialect() != SqlDialect.SQLITE) {
      throw new IllegalArgumentException("a full disk is made on a SQLite store");
    }
    // The cap cannot go below the file's size: 1 means "no page more than now".
    TestService.await(store.database().pool().query("PRAGMA max_page_count = 1").execute());
  }

  /** Lifts the cap of {@link #diskFull}: there is space again (SQLite's default maximum page count). */
  public static void spaceAgain(Stores store) {
    TestService.await(store.database().pool().query("PRAGMA max_page_count = 1073741823").execute());
  }

  /** Closes the store under the service: every statement from now on fails as on a store that is gone. */
  public static void unreachable(Stores store) {
    TestService.await(store.close());
  }
}
