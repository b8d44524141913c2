package io.onboarder.emulator;

/** A Cyclr-style client error ({@code {"Message": "..."}} with a status), thrown by the state and turned into a response. */
final class ApiError extends RuntimeException {

  private final int status;

  ApiError(int status, String message) {
    // No stack trace: these are expected outcomes on a hot path, not bugs.
    super(message, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
