package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.config.WebhookTypeNames;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.junit5.VertxExtension;
import io.vertx.json.schema.OutputUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** openapi.json against the code: the router's routes, the webhook types, and vertx-openapi's reading of it. */
@ExtendWith(VertxExtension.class)
class OpenApiDocumentTest {
  private static final OpenApiSchemas SCHEMAS = OpenApiSchemas.load();

  /** A node's full configuration: auth on, relay links on (the /connect pages are mounted only then). */
  private static Settings everyRouteOn() {
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "api.tokens", TestService.TOKEN);
    ConfigLoader.put(conf, "api.publicUrl", "https://onboard.example.com");
    ConfigLoader.put(conf, "cyclr.apiUrl", "http://127.0.0.1:1");
    ConfigLoader.put(conf, "cyclr.clientId", "id");
    ConfigLoader.put(conf, "cyclr.clientSecret", "secret");
    return Settings.from(conf);
  }

  @Test
  void everyRouteTheRouterServesIsDocumentedAndEveryDocumentedRouteIsServed(Vertx vertx) {
    Settings settings = everyRouteOn();
    BearerAuth auth = new BearerAuth(settings.apiTokens());
    HttpApiVerticle api = HttpApiVerticle.instances(settings, 0, null, null, auth).get();
    TestService.await(vertx.deployVerticle(api));
    Set<String> served = new TreeSet<>();
    for (Route route : api.router().getRoutes()) {
      // Routes without a method are the handlers every request passes (guard, auth, headers, fallbacks).
      if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
        continue;
      }
      String path = route.getPath().replaceAll(":([A-Za-z]+)", "{$1}");
      route.methods().forEach(m -> served.add(m.name() + " " + path));
    }
    Set<String> documented = new TreeSet<>();
    JsonObject paths = SCHEMAS.doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        documented.add(method.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    assertThat(served).as("routes the router serves").isNotEmpty().contains("POST /v1/jobs", "GET /connect/{token}");
    assertThat(served).as("served but missing from openapi.json").isSubsetOf(documented);
    assertThat(documented).as("in openapi.json but not served").isSubsetOf(served);
  }

  /** The conformance check itself: it must fail an answer the document does not describe. */
  @Test
  void theConformanceCheckRefusesWhatTheDocumentDoesNotDescribe() {
    String summary = "{\"id\":\"j\",\"status\":\"RUNNING\",\"createdAt\":\"2026-12-06T10:00:00Z\","
        + "\"finishedAt\":null,\"total\":1,\"counts\":{\"RUNNING\":1}}";
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 200, "application/json", summary)).isEmpty();
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 200, "application/json", "{\"id\":\"j\"}"))
        .as("required fields missing").isNotEmpty();
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 200, "application/json",
        summary.replace("RUNNING\",\"created", "LATE\",\"created"))).as("a status not in the enum").isNotEmpty();
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 201, "application/json", summary)).as("status").isNotEmpty();
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 200, "text/html", "<p>")).as("media type").isNotEmpty();
    assertThat(SCHEMAS.check(HttpMethod.GET, "/v1/jobs/j", 404, "application/problem+json", "{\"title\":\"x\"}"))
        .as("a problem without type and status").isNotEmpty();
    assertThat(SCHEMAS.check(HttpMethod.PATCH, "/v1/jobs/j", 200, "application/json", summary)).as("route")
        .isNotEmpty();
  }

  /** Every example of the document (schemas' and media types' JSON examples) fits the schema it illustrates. */
  @Test
  void everyExampleFitsItsSchema() {
    List<String> wrong = new ArrayList<>();
    JsonObject schemas = SCHEMAS.doc.getJsonObject("components").getJsonObject("schemas");
    int checked = 0;
    for (String name : schemas.fieldNames()) {
      Object example = schemas.getJsonObject(name).getValue("example");
      if (example != null) {
        checked++;
        OutputUnit r = SCHEMAS.validate("/components/schemas/" + name, example);
        if (!r.getValid()) {
          wrong.add(name + ": " + r.getErrors());
        }
      }
    }
    for (String area : List.of("paths", "webhooks")) {
      JsonObject items = SCHEMAS.doc.getJsonObject(area);
      for (String path : items.fieldNames()) {
        for (String method : items.getJsonObject(path).fieldNames()) {
          String at = "/" + area + "/" + OpenApiSchemas.escape(path) + "/" + method;
          JsonObject op = items.getJsonObject(path).getJsonObject(method);
          JsonObject body = op.getJsonObject("requestBody", new JsonObject()).getJsonObject("content", new JsonObject());
          for (String type : body.fieldNames()) {
            Object example = body.getJsonObject(type).getValue("example");
            if (example != null && type.equals("application/json")) {
              checked++;
              OutputUnit r = SCHEMAS.validate(at + "/requestBody/content/application~1json/schema", example);
              if (!r.getValid()) {
                wrong.add(at + " request example: " + r.getErrors());
              }
            }
          }
        }
      }
    }
    assertThat(checked).as("examples checked").isGreaterThan(10);
    assertThat(wrong).isEmpty();
  }

  @Test
  void everyWebhookTypeHasItsPayloadUnderWebhooks() {
    assertThat(SCHEMAS.doc.getJsonObject("webhooks").fieldNames())
        .containsExactlyInAnyOrderElementsOf(WebhookTypeNames.ALL);
  }

  @Test
  void theDocumentIsOpenApi31WithBearerSecurityAndProblemResponses() {
    JsonObject doc = SCHEMAS.doc;
    assertThat(doc.getString("openapi")).isEqualTo("3.1.0");
    assertThat(doc.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("bearer"))
        .isEqualTo(new JsonObject().put("type", "http").put("scheme", "bearer").put("description",
            doc.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("bearer")
                .getString("description")));
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        JsonObject op = paths.getJsonObject(path).getJsonObject(method);
        boolean open = op.containsKey("security") && op.getJsonArray("security").isEmpty();
        assertThat(open).as("%s %s needs no token exactly when it is not under /v1", method, path)
            .isEqualTo(!path.startsWith("/v1/"));
        assertThat(op.getString("operationId")).as("%s %s operationId", method, path).isNotBlank();
        if (!open) {
          assertThat(op.getJsonObject("responses").getJsonObject("401")).as("%s %s documents 401", method, path)
              .isNotNull();
        }
      }
    }
  }

  @Test
  void theWholeDocumentIsValidOpenApi31ForVertxOpenApi(Vertx vertx) {
    long start = System.nanoTime();
    OpenAPIContract contract = TestService.await(OpenAPIContract.from(vertx,
        ContractValidation.validationView(SCHEMAS.doc)));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(contract.getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(contract.operation("applyFleet").getRequestBody()).isNotNull();
    assertThat(contract.operation("submitJob").getRequestBody()).as("streamed: the intake validates it").isNull();
    assertThat(contract.findOperation("/v1/fleets/acme/apply", HttpMethod.POST).getOperationId())
        .isEqualTo("applyFleet");
    System.out.println("openapi.json loaded by vertx-openapi (meta-schema checked) in " + ms + " ms");
  }
}
