package io.onboarder.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Vert.x's OpenTelemetry tracer (HTTP server and client spans, event-bus hops) with two changes: probes and scrapes
 * ({@code /health/*}, {@code /metrics}) make no spans, and no URL reaches a span whole. A sign-in link's token
 * ({@code /connect/{token}}) is replaced by {@code {token}}, user info is dropped, and query strings keep their
 * parameter names only, so no link token, password or key given in a URL is exported.
 */
final class ServiceTracer implements VertxTracer<Object, Object> {
  private static final Pattern CONNECT_TOKEN = Pattern.compile("(/connect/)[^/?#]+");
  private static final Pattern USER_INFO = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@");

  private final VertxTracer<Object, Object> vertx;
  private final Tracer tracer;
  private final Runnable close;

  @SuppressWarnings("unchecked")
  ServiceTracer(OpenTelemetry openTelemetry, Runnable close) {
    this.vertx = (VertxTracer<Object, Object>) new OpenTelemetryTracingFactory(openTelemetry)
        .tracer(new TracingOptions());
    this.tracer = openTelemetry.getTracer("io.onboarder");
    this.close = close;
  }

  Tracer tracer() {
    return tracer;
  }

  @Override
  public <R> Object receiveRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                   Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tags) {
    if (request instanceof HttpServerRequest http && untraced(http.path())) {
      return null;
    }
    return vertx.receiveRequest(context, kind, policy, request, operation, headers, redacted(tags));
  }

  @Override
  public <R> void sendResponse(Context context, R response, Object payload, Throwable failure, TagExtractor<R> tags) {
    vertx.sendResponse(context, response, payload, failure, tags);
  }

  @Override
  public <R> Object sendRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                BiConsumer<String, String> headers, TagExtractor<R> tags) {
    return vertx.sendRequest(context, kind, policy, request, operation, headers, redacted(tags));
  }

  @Override
  public <R> void receiveResponse(Context context, R response, Object payload, Throwable failure,
                                  TagExtractor<R> tags) {
    vertx.receiveResponse(context, response, payload, failure, tags);
  }

  /** Vert.x closes its tracer after its event loops: the last spans are flushed here, and the SDK shut down. */
  @Override
  public void close() {
    vertx.close();
    close.run();
  }

  /** Kubernetes probes and Prometheus scrapes: many a minute, nothing to learn from their spans. */
  static boolean untraced(String path) {
    return path != null && (path.startsWith("/health/") || path.equals("/metrics"));
  }

  private static <R> TagExtractor<R> redacted(TagExtractor<R> tags) {
    return new TagExtractor<>() {
      @Override
      public int len(R obj) {
        return tags.len(obj);
      }

      @Override
      public String name(R obj, int index) {
        return tags.name(obj, index);
      }

      @Override
      public String value(R obj, int index) {
        return redact(tags.name(obj, index), tags.value(obj, index));
      }
    };
  }

  /** The value of tag {@code name}, safe to export: URLs, paths and queries lose what may be a secret. */
  static String redact(String name, String value) {
    if (value == null) {
      return null;
    }
    return switch (name) {
      case "http.url", "url.full" -> url(value);
      case "url.path" -> CONNECT_TOKEN.matcher(value).replaceAll("$1{token}");
      case "url.query" -> queryNames(value);
      default -> value;
    };
  }

  private static String url(String value) {
    String noFragment = value.split("#", 2)[0];
    String[] pathAndQuery = noFragment.split("\\?", 2);
    String base = CONNECT_TOKEN.matcher(USER_INFO.matcher(pathAndQuery[0]).replaceFirst("$1")).replaceAll("$1{token}");
    return pathAndQuery.length == 1 ? base : base + "?" + queryNames(pathAndQuery[1]);
  }

  /** {@code a=1&b=2} becomes {@code a&b}. */
  private static String queryNames(String query) {
    StringBuilder out = new StringBuilder();
    for (String pair : query.split("&")) {
      if (!pair.isEmpty()) {
        out.append(out.length() == 0 ? "" : "&").append(pair.split("=", 2)[0]);
      }
    }
    return out.toString();
  }
}
