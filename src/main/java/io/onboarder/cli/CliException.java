package io.onboarder.cli;

/** A usage or connection error: printed as one line, exit code 2. */
final class CliException extends RuntimeException {
  CliException(String message) {
    super(message, null, false, false);
  }
}
