package io.onboarder.store;

/** The store cannot be used as it is (newer schema, database locked by another process): start-up stops, exit 2. */
public final class StoreRefusedException extends RuntimeException {
  public StoreRefusedException(String message) {
    super(message, null, false, false);
  }
}
