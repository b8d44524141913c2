package io.onboarder.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.Application;
import io.onboarder.config.ConfigException;
import io.onboarder.config.Settings;
import io.onboarder.config.TracingSettings;
import io.onboarder.logs.LogTrace;
import io.onboarder.support.LogCapture;
import io.onboarder.support.TestService;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces of a whole job, exported to memory: the submit request's {@code traceparent} continues into the HTTP server
 * span, the job, one span per item ({@code onboarder.job_id}, {@code onboarder.item_id}) and, under each item, its
 * event-bus hop and Cyclr calls; log lines inside a span carry its ids; nothing secret is exported; and without
 * {@code OTEL_*} settings nothing is traced at all.
 */
class TracingTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_ID = "00f067aa0ba902b7";

  @AfterEach
  void noLogTracing() {
    LogTrace.install(null);
  }

  @Test
  void aSubmitsTraceparentContinuesIntoItsItemsAndTheirCyclrCalls(@TempDir Path dir) {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exported)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    Vertx cyclr = Vertx.vertx();
    Vertx service = Application.newVertx(Tracing.of(sdk));
    String jobId;
    String logs;
    List<SpanData> spans;
    try (LogCapture capture = LogCapture.start();
         TestService s = TestService.start(cyclr, service, dir, e -> { }, c -> { })) {
      WebClient client = WebClient.create(cyclr);
      HttpResponse<Buffer> r = TestService.await(client.postAbs(s.base() + "/v1/jobs")
          .bearerTokenAuthentication(TestService.TOKEN).putHeader("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID
              + "-01").putHeader("Content-Type", "application/json")
          .sendBuffer(TestService.apiKeyJob("traced", 3).toBuffer()));
      assertThat(r.statusCode()).isEqualTo(202);
      jobId = r.bodyAsJsonObject().getString("id");
      assertThat(s.awaitJob(jobId).getString("status")).isEqualTo("SUCCEEDED");
      s.poll(() -> items(exported.getFinishedSpanItems()).size(), n -> n == 3, Duration.ofSeconds(10),
          "three item spans");
      logs = capture.jsonText();
      // Read before the SDK closes: closing empties the in-memory exporter.
      spans = exported.getFinishedSpanItems();
      client.close();
    } finally {
      TestService.await(service.close());
      TestService.await(cyclr.close());
      sdk.close();
    }
    Map<String, SpanData> byId = spans.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));

    SpanData submit = spans.stream().filter(sp -> sp.getKind() == SpanKind.SERVER && PARENT_ID.equals(
        sp.getParentSpanId())).findFirst().orElseThrow();
    assertThat(submit.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(submit.getAttributes().asMap().toString()).contains("POST", "/v1/jobs", "202");
    // Named by its route, as OpenTelemetry's HTTP conventions ask: the template, never the job's id.
    assertThat(submit.getName()).isEqualTo("POST /v1/jobs");
    assertThat(submit.getAttributes().get(RouteNames.HTTP_ROUTE)).isEqualTo("/v1/jobs");
    List<String> serverNames = spans.stream().filter(sp -> sp.getKind() == SpanKind.SERVER).map(SpanData::getName)
        .toList();
    assertThat(serverNames).contains("GET /v1/jobs/:id").noneMatch(name -> name.contains(jobId));

    List<SpanData> items = items(spans);
    assertThat(items).allSatisfy(item -> {
      assertThat(item.getTraceId()).as("the submit's trace").isEqualTo(TRACE_ID);
      assertThat(item.getAttributes().get(ItemSpans.JOB_ID)).isEqualTo(jobId);
      assertThat(item.getAttributes().get(ItemSpans.STATUS)).isEqualTo("INSTALLED");
    });
    assertThat(items).extracting(item -> item.getAttributes().get(ItemSpans.ITEM_ID)).doesNotHaveDuplicates()
        .hasSize(3);

    List<SpanData> calls = spans.stream().filter(sp -> sp.getKind() == SpanKind.CLIENT
        && sp.getAttributes().get(CallSpans.ATTEMPT) != null).toList();
    assertThat(calls).isNotEmpty();
    // Every Cyclr call made for an item hangs under that item's span (through the gateway's event-bus hop).
    List<SpanData> itemCalls = calls.stream().filter(call -> itemOf(call, byId) != null).toList();
    assertThat(itemCalls.stream().map(call -> itemOf(call, byId).getSpanId()).distinct()).hasSize(3);
    assertThat(itemCalls).allSatisfy(call -> {
      assertThat(call.getTraceId()).isEqualTo(TRACE_ID);
      assertThat(call.getName()).matches("(GET|POST|PUT|DELETE) /.*");
      assertThat(call.getAttributes().get(CallSpans.STATUS)).isBetween(200L, 299L);
    });
    // The hop from the dispatcher to the gateway is an event-bus span between the item and its calls.
    assertThat(itemCalls).allSatisfy(call -> assertThat(byId.get(call.getParentSpanId()).getAttributes().asMap()
        .toString()).contains("vertx-eventbus", "cyclr.gateway.onboard"));

    // Nothing secret leaves in a span: no auth value, no client secret, no access token.
    String everything = spans.toString();
    assertThat(everything).doesNotContain("secret-key-traced").doesNotContain("Bearer");

    // Log lines inside a span carry its ids; the job's accepted line is in the submit's trace.
    List<JsonObject> lines = LogCapture.lines(logs);
    assertThat(lines).anySatisfy(l -> {
      assertThat(l.getString("jobId")).isEqualTo(jobId);
      assertThat(l.getString("traceId")).isEqualTo(TRACE_ID);
      assertThat(l.getString("spanId")).matches("[0-9a-f]{16}");
    });
  }

  @Test
  void withoutOtelSettingsNothingIsTracedAndVertxGetsNoTracer(@TempDir Path dir) {
    JsonObject conf = new JsonObject().put("api", new JsonObject().put("authDisabled", true))
        .put("cyclr", new JsonObject().put("apiUrl", "http://127.0.0.1:1").put("clientId", "id")
            .put("clientSecret", "s"));
    Settings settings = Settings.from(conf);
    assertThat(settings.tracing().enabled()).isFalse();
    assertThat(Tracing.start(settings.tracing())).isSameAs(Tracing.OFF);
    Vertx vertx = TestService.await(Application.newVertx(settings));
    try {
      assertThat(((VertxInternal) vertx).tracer()).as("no tracer: nothing on any request's path").isNull();
      assertThat(Tracing.tracer(vertx)).isNull();
      assertThat(ItemSpans.of(vertx)).isNull();
      assertThat(CallSpans.of(vertx, "cyclr", 443)).isNull();
    } finally {
      TestService.await(vertx.close());
    }
  }

  @Test
  void tracingIsOnOnlyWithAnExporterOrAnOtlpEndpoint() {
    assertThat(TracingSettings.from(Map.of(), Map.of()).enabled()).isFalse();
    assertThat(TracingSettings.from(Map.of("OTEL_SERVICE_NAME", "x", "PATH", "/bin"), Map.of()).enabled()).isFalse();
    TracingSettings endpoint = TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        Map.of());
    assertThat(endpoint.enabled()).isTrue();
    assertThat(endpoint.properties()).containsEntry("otel.exporter.otlp.endpoint", "http://collector:4318");
    assertThat(TracingSettings.from(Map.of("OTEL_TRACES_EXPORTER", "otlp"), Map.of()).enabled()).isTrue();
    assertThat(TracingSettings.from(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector:4318"), Map.of()).enabled()).isFalse();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SDK_DISABLED",
        "true"), Map.of()).enabled()).isFalse();
    // A system property wins over the variable, as in the SDK.
    assertThat(TracingSettings.from(Map.of("OTEL_TRACES_EXPORTER", "otlp"), Map.of("otel.traces.exporter", "none"))
        .enabled()).isFalse();
    // An embedding program's configuration: the same names in the "tracing" object.
    assertThat(TracingSettings.fromConfig(new JsonObject().put("otel.traces.exporter", "otlp")).enabled()).isTrue();
    assertThat(TracingSettings.fromConfig(null)).isSameAs(TracingSettings.OFF);
    assertThatThrownBy(() -> TracingSettings.fromConfig("otlp")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("tracing");
    assertThatThrownBy(() -> TracingSettings.fromConfig(new JsonObject().put("endpoint", "x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("otel.*");
    // Header values (an API key) never reach a log line.
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_EXPORTER_OTLP_HEADERS", "api-key=hush"), Map.of()).toString()).doesNotContain("hush");
  }

  @Test
  void urlsLoseLinkTokensUserInfoAndQueryValuesBeforeTheyReachASpan() {
    assertThat(ServiceTracer.redact("url.path", "/connect/AbC123tok/done")).isEqualTo("/connect/{token}/done");
    assertThat(ServiceTracer.redact("http.url", "http://h:8080/connect/AbC123tok?code=xyz&state=s"))
        .isEqualTo("http://h:8080/connect/{token}?code&state");
    assertThat(ServiceTracer.redact("url.full", "https://user:pw@hooks.example.com/in?key=hush#frag"))
        .isEqualTo("https://hooks.example.com/in?key");
    assertThat(ServiceTracer.redact("url.query", "cursor=abc&limit=5")).isEqualTo("cursor&limit");
    assertThat(ServiceTracer.redact("messaging.destination.name", "onboarder.jobs.submit"))
        .isEqualTo("onboarder.jobs.submit");
    assertThat(ServiceTracer.untraced("/health/ready")).isTrue();
    assertThat(ServiceTracer.untraced("/metrics")).isTrue();
    assertThat(ServiceTracer.untraced("/v1/jobs")).isFalse();
  }

  private static List<SpanData> items(List<SpanData> spans) {
    return spans.stream().filter(sp -> sp.getAttributes().get(ItemSpans.JOB_ID) != null).toList();
  }

  /** The item span {@code span} hangs under, or null. */
  private static SpanData itemOf(SpanData span, Map<String, SpanData> byId) {
    SpanData at = byId.get(span.getParentSpanId());
    while (at != null) {
      if (at.getAttributes().get(ItemSpans.JOB_ID) != null) {
        return at;
      }
      at = byId.get(at.getParentSpanId());
    }
    return null;
  }
}
