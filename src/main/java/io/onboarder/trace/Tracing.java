package io.onboarder.trace;

import io.onboarder.config.ConfigException;
import io.onboarder.config.TracingSettings;
import io.onboarder.logs.LogTrace;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.resources.Resource;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.internal.VertxInternal;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry for one Vert.x instance, installed where Vert.x is built: Vert.x's own spans (HTTP requests,
 * event-bus hops, through vertx-opentelemetry) and the service's (each Cyclr call, each item), exported as
 * {@link TracingSettings} say. Off ({@link #OFF}), nothing is built or installed: no SDK, no tracer, and the
 * code that makes spans asks {@link #tracer(Vertx)} once at start-up and skips them all.
 */
public final class Tracing {
  /** No tracing: Vert.x gets no tracer. */
  public static final Tracing OFF = new Tracing(null, () -> { });
  /** The name spans are reported under unless {@code OTEL_SERVICE_NAME} (or a resource attribute) says otherwise. */
  public static final String SERVICE_NAME = "cyclr-onboarder";
  /** How long closing Vert.x waits for the last spans to be exported. */
  private static final long FLUSH_SECONDS = 5;
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");

  private final OpenTelemetry openTelemetry;
  private final Runnable close;

  private Tracing(OpenTelemetry openTelemetry, Runnable close) {
    this.openTelemetry = openTelemetry;
    this.close = close;
  }

  /**
   * The SDK {@code settings} configure (through the SDK's autoconfigure module), or {@link #OFF} when they turn
   * tracing off. The service exports traces only: OpenTelemetry metrics and logs stay off (Prometheus and the JSON
   * log lines are the service's). Fails with a {@link ConfigException} when the SDK refuses the settings.
   */
  public static Tracing start(TracingSettings settings) {
    if (!settings.enabled()) {
      return OFF;
    }
    Map<String, String> overrides = new HashMap<>(settings.properties());
    overrides.put("otel.metrics.exporter", "none");
    overrides.put("otel.logs.exporter", "none");
    try {
      OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
          // Only the HTTP sender is shipped (the JDK's client): OTLP over HTTP unless said otherwise.
          .addPropertiesSupplier(() -> Map.of("otel.exporter.otlp.protocol", "http/protobuf"))
          // These settings, not whatever else the process environment holds: a test passes its own map.
          .addPropertiesCustomizer(config -> overrides)
          .addResourceCustomizer((resource, config) -> named(resource))
          // Closing Vert.x flushes and shuts the SDK down (see ServiceTracer#close).
          .disableShutdownHook()
          .build()
          .getOpenTelemetrySdk();
      return new Tracing(sdk, () -> sdk.shutdown().join(FLUSH_SECONDS, TimeUnit.SECONDS));
    } catch (ConfigurationException e) {
      throw new ConfigException("OTEL_* (tracing)", "was refused by OpenTelemetry: " + e.getMessage());
    }
  }

  /** Tracing into {@code openTelemetry}, which the caller owns and closes (tests: an in-memory exporter). */
  public static Tracing of(OpenTelemetry openTelemetry) {
    return new Tracing(openTelemetry, () -> { });
  }

  private static Resource named(Resource resource) {
    String name = resource.getAttribute(SERVICE);
    return name == null || name.startsWith("unknown_service")
        ? resource.toBuilder().put(SERVICE, SERVICE_NAME).build() : resource;
  }

  public boolean enabled() {
    return openTelemetry != null;
  }

  /**
   * {@code builder} with this tracing's tracer (when on), and log lines reading their {@code traceId} and
   * {@code spanId} from the current span.
   */
  public VertxBuilder install(VertxBuilder builder) {
    if (openTelemetry == null) {
      return builder;
    }
    LogTrace.install(Tracing::currentIds);
    return builder.withTracer(options -> new ServiceTracer(openTelemetry, close));
  }

  /** The tracer the service's own spans come from on {@code vertx}, or null when it traces nothing. */
  public static Tracer tracer(Vertx vertx) {
    return vertx instanceof VertxInternal internal && internal.tracer() instanceof ServiceTracer tracer
        ? tracer.tracer() : null;
  }

  private static LogTrace.Ids currentIds() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? new LogTrace.Ids(span.getTraceId(), span.getSpanId()) : null;
  }
}
