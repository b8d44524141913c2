package io.onboarder.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves the machine-readable contract without a token: {@code GET /openapi.json} (OpenAPI 3.1: every route,
 * the problem types and the webhook payloads) and {@code GET /asyncapi.json} (AsyncAPI 3.0: the public event-bus
 * addresses and the TCP bridge). Both are resource files in the jar, the one source of truth: what the routes
 * validate ({@link ContractValidation}) and what the tests hold the router and the bus to.
 */
final class ApiDocuments {
  static final String OPENAPI = "openapi.json";
  static final String ASYNCAPI = "asyncapi.json";

  private final Vertx vertx;
  /** Each document read once per verticle instance (on a worker), then answered from memory. */
  private final Map<String, Future<Buffer>> documents = new HashMap<>();

  ApiDocuments(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.get("/" + OPENAPI).handler(rc -> serve(rc, OPENAPI));
    router.get("/" + ASYNCAPI).handler(rc -> serve(rc, ASYNCAPI));
  }

  /** A document's bytes, read from the jar on a worker thread the first time. */
  Future<Buffer> document(String name) {
    Future<Buffer> read = documents.get(name);
    if (read == null || read.failed()) {
      read = vertx.executeBlocking(() -> resource(name));
      documents.put(name, read);
    }
    return read;
  }

  private void serve(RoutingContext rc, String name) {
    document(name).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.forStatus(500, ar.cause()));
        return;
      }
      rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
          .putHeader("X-Content-Type-Options", "nosniff")
          .end(ar.result());
    });
  }

  /** A resource of the jar (blocking: call it on a worker). */
  static Buffer resource(String name) {
    try (InputStream in = ApiDocuments.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the class path");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
