package io.onboarder.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Application;
import io.onboarder.config.TracingSettings;
import io.onboarder.logs.LogTrace;
import io.onboarder.support.TestService;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the real exporter: the SDK configured from OTEL_* settings (by their property names, as a map)
 * sends a job's spans over OTLP/HTTP to a receiver, which decodes them: the service's name, the submit request's
 * span and the item spans with their job id arrive; closing Vert.x flushes the last ones.
 */
class OtlpExportTest {

  @AfterEach
  void noLogTracing() {
    LogTrace.install(null);
  }

  @Test
  void aJobsSpansReachAnOtlpHttpReceiver(@TempDir Path dir) throws Exception {
    Vertx cyclr = Vertx.vertx();
    List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
    List<String> contentTypes = new CopyOnWriteArrayList<>();
    HttpServer receiver = TestService.await(cyclr.createHttpServer().requestHandler(req -> {
      if (!"/v1/traces".equals(req.path())) {
        req.response().setStatusCode(404).end();
        return;
      }
      contentTypes.add(req.getHeader("Content-Type"));
      req.body().onSuccess(body -> {
        try {
          received.add(ExportTraceServiceRequest.parseFrom(body.getBytes()));
          req.response().putHeader("Content-Type", "application/x-protobuf").end();
        } catch (Exception e) {
          req.response().setStatusCode(400).end();
        }
      });
    }).listen(0, "127.0.0.1"));
    Tracing tracing = Tracing.start(TracingSettings.fromConfig(new JsonObject()
        .put("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + receiver.actualPort())
        .put("otel.bsp.schedule.delay", "100")));
    assertThat(tracing.enabled()).isTrue();
    Vertx service = Application.newVertx(tracing);
    String jobId;
    try (TestService s = TestService.start(cyclr, service, dir, e -> { }, c -> { })) {
      jobId = s.submit(TestService.apiKeyJob("otlp", 2));
      assertThat(s.awaitJob(jobId).getString("status")).isEqualTo("SUCCEEDED");
    } finally {
      // Closing Vert.x flushes the spans still buffered and shuts the SDK down.
      TestService.await(service.close());
    }
    try {
      assertThat(contentTypes).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("application/x-protobuf"));
      List<ResourceSpans> resources = received.stream().flatMap(r -> r.getResourceSpansList().stream()).toList();
      assertThat(resources).isNotEmpty().allSatisfy(r -> assertThat(value(r.getResource().getAttributesList(),
          "service.name")).isEqualTo(Tracing.SERVICE_NAME));
      List<io.opentelemetry.proto.trace.v1.Span> spans = resources.stream()
          .flatMap(r -> r.getScopeSpansList().stream()).map(ScopeSpans::getSpansList).flatMap(List::stream).toList();
      assertThat(spans).anySatisfy(sp -> {
        assertThat(sp.getName()).isEqualTo("POST /v1/jobs");
        assertThat(sp.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
      });
      List<io.opentelemetry.proto.trace.v1.Span> items = spans.stream()
          .filter(sp -> sp.getName().equals("onboard item")).toList();
      assertThat(items).hasSize(2).allSatisfy(sp -> assertThat(value(sp.getAttributesList(), "onboarder.job_id"))
          .isEqualTo(jobId));
      assertThat(spans).anySatisfy(sp -> assertThat(sp.getName()).startsWith("POST /v1.0/connectors/"));
    } finally {
      TestService.await(cyclr.close());
    }
  }

  private static String value(List<KeyValue> attributes, String key) {
    return attributes.stream().filter(a -> a.getKey().equals(key)).map(a -> a.getValue().getStringValue())
        .findFirst().orElse(null);
  }
}
