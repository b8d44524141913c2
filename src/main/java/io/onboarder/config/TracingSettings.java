package io.onboarder.config;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenTelemetry's settings, by their system-property names ({@code otel.exporter.otlp.endpoint}): the standard
 * {@code OTEL_*} variables folded to those names ({@code OTEL_EXPORTER_OTLP_ENDPOINT} becomes
 * {@code otel.exporter.otlp.endpoint}), so the SDK is configured from this map alone and a test passes one instead
 * of an environment. Tracing is off (no SDK, no tracer, nothing on any request's path) unless
 * {@code otel.traces.exporter} names an exporter other than {@code none} or an OTLP endpoint is set.
 */
public record TracingSettings(Map<String, String> properties) {
  public static final TracingSettings OFF = new TracingSettings(Map.of());
  /** The configuration's object of {@code otel.*} names to values ({@link ConfigLoader} adds the process's). */
  public static final String CONFIG_KEY = "tracing";
  private static final String PREFIX = "otel.";

  public TracingSettings {
    properties = Map.copyOf(properties);
  }

  /**
   * The {@code OTEL_*} entries of {@code environment} and the {@code otel.*} ones of {@code systemProperties} (which
   * win, as in the SDK), by their property names.
   */
  public static TracingSettings from(Map<String, String> environment, Map<String, String> systemProperties) {
    Map<String, String> out = new TreeMap<>();
    environment.forEach((name, value) -> {
      if (name.startsWith("OTEL_") && value != null) {
        out.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    systemProperties.forEach((name, value) -> {
      if (name.startsWith(PREFIX) && value != null) {
        out.put(name, value);
      }
    });
    return new TracingSettings(out);
  }

  /** From the configuration's {@value #CONFIG_KEY} object (null: off); any other value is refused. */
  public static TracingSettings fromConfig(Object value) {
    if (value == null) {
      return OFF;
    }
    if (!(value instanceof io.vertx.core.json.JsonObject json)) {
      throw new ConfigException(CONFIG_KEY, "must be an object of OpenTelemetry settings by their property names "
          + "(e.g. \"otel.exporter.otlp.endpoint\"), or the OTEL_* environment variables");
    }
    Map<String, String> out = new TreeMap<>();
    json.forEach(e -> {
      if (!e.getKey().startsWith(PREFIX) || e.getValue() == null || e.getValue() instanceof Iterable<?>
          || e.getValue() instanceof Map<?, ?>) {
        throw new ConfigException(CONFIG_KEY, "has '" + e.getKey() + "': use OpenTelemetry property names "
            + "(otel.*) with text values");
      }
      out.put(e.getKey(), String.valueOf(e.getValue()));
    });
    return new TracingSettings(out);
  }

  /** The process's own: {@code OTEL_*} variables and {@code -Dotel.*} properties. */
  public static TracingSettings ofProcess() {
    Map<String, String> system = new TreeMap<>();
    System.getProperties().forEach((k, v) -> system.put(String.valueOf(k), String.valueOf(v)));
    return from(System.getenv(), system);
  }

  /** Spans are made and exported: an exporter or an OTLP endpoint is configured, and the SDK is not disabled. */
  public boolean enabled() {
    String exporter = value("otel.traces.exporter");
    if ("true".equalsIgnoreCase(value("otel.sdk.disabled")) || "none".equalsIgnoreCase(exporter)) {
      return false;
    }
    return exporter != null || value("otel.exporter.otlp.endpoint") != null
        || value("otel.exporter.otlp.traces.endpoint") != null;
  }

  private String value(String name) {
    String v = properties.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  /** Names only: header values ({@code otel.exporter.otlp.headers}) may hold an API key. */
  @Override
  public String toString() {
    return enabled() ? "tracing on " + properties.keySet() : "tracing off";
  }
}
