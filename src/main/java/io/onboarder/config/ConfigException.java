package io.onboarder.config;

/** A missing or invalid setting; its message names the key and the env var, fit for one line on stderr. */
public final class ConfigException extends RuntimeException {
  public ConfigException(ConfigKey key, String problem) {
    super("invalid configuration: " + key.describe() + " " + problem);
  }

  /** A setting that has no single env var ({@code tracing}: the {@code OTEL_*} variables). */
  public ConfigException(String setting, String problem) {
    super("invalid configuration: " + setting + " " + problem);
  }

  /** The config file exists but cannot be read as JSON. */
  public ConfigException(String file, Throwable cause) {
    super("invalid configuration: " + file + " is not valid JSON (" + cause.getMessage() + ")");
  }
}
