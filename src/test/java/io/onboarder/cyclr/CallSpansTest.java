package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.Application;
import io.onboarder.metrics.Metrics;
import io.onboarder.support.TestService;
import io.onboarder.time.Clock;
import io.onboarder.trace.CallSpans;
import io.onboarder.trace.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Each attempt of a Cyclr call is a span of its own under the caller's span: a 429 ends one attempt
 * ({@code rate_limited}, with Cyclr's Retry-After as an event), a 503 the next, and the call's retry succeeds; the
 * token call is a span too, and no secret (client secret, access token) is in any of them.
 */
class CallSpansTest {
  private static final String SECRET = "client-secret-never-exported";
  private static final String TOKEN = "access-token-never-exported";

  @Test
  void retriesAndRateLimitPausesAreSeparateAttemptsUnderTheCallersSpan() {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exported)).build()).build();
    Vertx cyclr = Vertx.vertx();
    Vertx vertx = Application.newVertx(Tracing.of(sdk));
    AtomicInteger asked = new AtomicInteger();
    try {
      Router router = Router.router(cyclr);
      router.post("/oauth/token").handler(rc -> rc.json(new JsonObject().put("access_token", TOKEN)
          .put("expires_in", 3600)));
      router.get("/v1.0/accounts/:id").handler(rc -> {
        switch (asked.incrementAndGet()) {
          case 1 -> rc.response().setStatusCode(429).putHeader("Retry-After", "0").end();
          case 2 -> rc.response().setStatusCode(503).end();
          default -> rc.json(new JsonObject().put("Id", rc.pathParam("id")));
        }
      });
      HttpServer server = TestService.await(cyclr.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
      Clock time = Clock.of(vertx);
      CyclrClient client = new CyclrClient(vertx, "http://127.0.0.1:" + server.actualPort(), "id", SECRET, 5_000, 4,
          4, RequestGate.create(time, 4, 0, 100, 1_000, 60_000), new RetryPolicy(1, 5), Metrics.current(),
          new CyclrLimits(65_536, 5, 100));
      Span caller = sdk.getTracer("test").spanBuilder("onboard item").startSpan();
      // From an event loop, as the gateway calls it, with the caller's span current.
      Promise<CyclrResponse> sent = Promise.promise();
      vertx.runOnContext(v -> {
        try (var scope = Context.root().with(caller).makeCurrent()) {
          client.send(CyclrCall.get("/v1.0/accounts/tenant-1", null, "GET /v1.0/accounts/{id}")).onComplete(sent);
        }
      });
      CyclrResponse answer = TestService.await(sent.future());
      caller.end();
      assertThat(answer.statusCode()).isEqualTo(200);
      TestService.await(client.close());
    } finally {
      TestService.await(vertx.close());
      TestService.await(cyclr.close());
    }
    List<SpanData> spans = exported.getFinishedSpanItems();
    sdk.close();
    String callerId = spans.stream().filter(s -> s.getName().equals("onboard item")).findFirst().orElseThrow()
        .getSpanId();
    List<SpanData> attempts = spans.stream().filter(s -> s.getName().equals("GET /v1.0/accounts/{id}")).toList();
    assertThat(attempts).hasSize(3).allSatisfy(a -> {
      assertThat(a.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(a.getParentSpanId()).as("under the caller's span").isEqualTo(callerId);
      assertThat(a.getEvents()).extracting(EventData::getName).contains("cyclr.permit");
    });
    SpanData limited = attempts.get(0);
    assertThat(limited.getAttributes().get(CallSpans.STATUS)).isEqualTo(429);
    assertThat(limited.getAttributes().get(CallSpans.OUTCOME)).isEqualTo("rate_limited");
    assertThat(limited.getAttributes().get(CallSpans.ATTEMPT)).isEqualTo(1);
    assertThat(limited.getEvents()).extracting(EventData::getName).contains("cyclr.retry_after");
    // A 429 burns no attempt: the next one is attempt 1 again, after one rate-limited answer.
    SpanData failed = attempts.get(1);
    assertThat(failed.getAttributes().get(CallSpans.STATUS)).isEqualTo(503);
    assertThat(failed.getAttributes().get(CallSpans.OUTCOME)).isEqualTo("retryable");
    assertThat(failed.getAttributes().get(CallSpans.ATTEMPT)).isEqualTo(1);
    assertThat(failed.getAttributes().asMap().toString()).contains("onboarder.cyclr.rate_limited_before=1");
    SpanData ok = attempts.get(2);
    assertThat(ok.getAttributes().get(CallSpans.STATUS)).isEqualTo(200);
    assertThat(ok.getAttributes().get(CallSpans.OUTCOME)).isEqualTo("success");
    assertThat(ok.getAttributes().get(CallSpans.ATTEMPT)).isEqualTo(2);
    assertThat(limited.getStartEpochNanos()).isLessThan(failed.getStartEpochNanos());
    assertThat(failed.getEndEpochNanos()).isLessThanOrEqualTo(ok.getStartEpochNanos());
    assertThat(spans).anySatisfy(s -> assertThat(s.getName()).isEqualTo("POST /oauth/token"));
    assertThat(spans.toString()).doesNotContain(SECRET).doesNotContain(TOKEN).doesNotContain("tenant-1");
  }
}
