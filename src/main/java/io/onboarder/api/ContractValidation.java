package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Checks the small JSON request bodies that are not streamed (a fleet apply's {@code {"planId"}}, …) against
 * {@code openapi.json} with vertx-openapi, so the served document is the one statement of those rules; a
 * violation is a 400 problem with a {@code {pointer, message}} per error. Streamed bodies (jobs, fleet specs) keep
 * the intake's own validator, which a test holds to the same document. The contract is loaded on the first body
 * to check, so start-up pays nothing for it.
 */
final class ContractValidation {
  private final Vertx vertx;
  private final ApiDocuments documents;
  private final Shared shared;

  private record Loaded(OpenAPIContract contract, RequestValidator validator) {}

  /** The contract of one node's API instances: loaded once, by the first instance that needs it. */
  static final class Shared {
    private Future<Loaded> loaded;

    private synchronized Future<Loaded> load(Vertx vertx, ApiDocuments documents) {
      if (loaded == null || loaded.failed()) {
        loaded = documents.document(ApiDocuments.OPENAPI)
            .compose(bytes -> OpenAPIContract.from(vertx, bodiesOnly(validationView(bytes.toJsonObject()))))
            .map(contract -> new Loaded(contract, RequestValidator.create(vertx, contract)));
      }
      return loaded;
    }
  }

  ContractValidation(Vertx vertx, ApiDocuments documents, Shared shared) {
    this.vertx = vertx;
    this.documents = documents;
    this.shared = shared;
  }

  /** A handler (after a BodyHandler) that lets a request on only when its body fits operation {@code id}. */
  Handler<RoutingContext> body(String operationId) {
    return rc -> load().compose(c -> {
      Operation operation = c.contract().operation(operationId);
      if (operation == null) {
        return Future.failedFuture(new IllegalStateException("openapi.json has no operation " + operationId));
      }
      Buffer body = rc.body() == null || rc.body().buffer() == null ? Buffer.buffer() : rc.body().buffer();
      return RequestUtils.extract(rc.request(), operation, () -> Future.succeededFuture(body))
          .compose(request -> c.validator().validate(request, operationId));
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        rc.next();
      } else {
        Problems.send(rc, problem(ar.cause()));
      }
    });
  }

  /** The shared contract, its answer on this instance's event loop (the request's), whichever loaded it. */
  private Future<Loaded> load() {
    Context here = vertx.getOrCreateContext();
    Promise<Loaded> mine = Promise.promise();
    shared.load(vertx, documents).onComplete(ar -> here.runOnContext(v -> mine.handle(ar)));
    return mine.future();
  }

  /** What a refused request is told: every schema error with its pointer, or why the body could not be read. */
  static Problem problem(Throwable failure) {
    if (failure instanceof SchemaValidationException e && e.getOutputUnit() != null) {
      Set<String> seen = new LinkedHashSet<>();
      JsonArray errors = new JsonArray();
      for (OutputUnit unit : e.getOutputUnit().getErrors()) {
        String pointer = pointer(unit.getInstanceLocation());
        if (errors.size() < 100 && seen.add(pointer + "\n" + unit.getError())) {
          errors.add(new JsonObject().put("pointer", pointer).put("message", unit.getError()));
        }
      }
      if (errors.isEmpty()) {
        errors.add(new JsonObject().put("pointer", "").put("message", e.getMessage()));
      }
      JsonObject first = errors.getJsonObject(0);
      String detail = (first.getString("pointer").isEmpty() ? "the body" : first.getString("pointer")) + ": "
          + first.getString("message") + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
      return Problem.validation(400, detail, errors);
    }
    if (failure instanceof ValidatorException e) {
      if (e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT) {
        return Problem.of(415, "unsupported-media-type", "Unsupported media type",
            "Send the body as 'Content-Type: application/json'.");
      }
      return Problem.badRequest(e.type() == ValidatorErrorType.ILLEGAL_VALUE
          ? "The request body is not valid JSON." : e.getMessage());
    }
    return Problems.from(failure, 500);
  }

  /** A JSON Pointer (RFC 6901) from the validator's instance location ("#/a/0", "/a/0" or "#"). */
  private static String pointer(String location) {
    if (location == null || location.equals("#") || location.equals("/")) {
      return "";
    }
    return location.startsWith("#") ? location.substring(1) : location;
  }

  /**
   * The served document as vertx-openapi can load it: streamed request bodies (the intake validates them) and
   * media types it does not read (problem+json, CSV, NDJSON, HTML, SSE) left out, and path parameters without
   * their pattern, because a path that cannot name anything is a 404 from the route, as an unknown one is.
   */
  static JsonObject validationView(JsonObject served) {
    JsonObject view = served.copy();
    view.remove("webhooks");
    for (String path : view.getJsonObject("paths").fieldNames()) {
      JsonObject item = view.getJsonObject("paths").getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject op = item.getJsonObject(method);
        if (op.getBoolean("x-streamed", false)) {
          op.remove("requestBody");
        } else if (op.containsKey("requestBody")) {
          readable(op.getJsonObject("requestBody"));
          if (!op.getJsonObject("requestBody").containsKey("content")) {
            op.remove("requestBody");
          }
        }
        op.getJsonArray("parameters", new JsonArray()).forEach(p -> plainPath((JsonObject) p));
        JsonObject responses = op.getJsonObject("responses");
        responses.fieldNames().forEach(status -> readable(responses.getJsonObject(status)));
      }
    }
    JsonObject components = view.getJsonObject("components");
    components.getJsonObject("responses", new JsonObject()).forEach(e -> readable((JsonObject) e.getValue()));
    components.getJsonObject("parameters", new JsonObject()).forEach(e -> plainPath((JsonObject) e.getValue()));
    return view;
  }

  /**
   * Of a validation view, only the operations with a body to check and the schemas they reach, their answers
   * left out: vertx-openapi checks a whole contract against the OpenAPI meta-schema when it loads it, about
   * 100 ms for this part and seconds for the whole document (which a test loads once, to check it is valid).
   */
  static JsonObject bodiesOnly(JsonObject view) {
    JsonObject paths = new JsonObject();
    view.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(method -> {
      JsonObject op = ((JsonObject) method.getValue()).copy();
      if (op.containsKey("requestBody")) {
        op.put("responses", new JsonObject().put("default", new JsonObject().put("description", "see openapi.json")));
        JsonObject item = paths.getJsonObject(path.getKey(), new JsonObject());
        paths.put(path.getKey(), item.put(method.getKey(), op));
      }
    }));
    JsonObject components = view.getJsonObject("components");
    JsonObject kept = new JsonObject().put("schemas", new JsonObject()).put("parameters", new JsonObject());
    java.util.Deque<Object> todo = new java.util.ArrayDeque<>(java.util.List.of(paths));
    while (!todo.isEmpty()) {
      Object node = todo.pop();
      if (node instanceof JsonObject o) {
        if (o.getValue("$ref") instanceof String ref && ref.startsWith("#/components/")) {
          String[] at = ref.substring("#/components/".length()).split("/");
          if (kept.containsKey(at[0]) && !kept.getJsonObject(at[0]).containsKey(at[1])) {
            JsonObject target = components.getJsonObject(at[0]).getJsonObject(at[1]);
            kept.getJsonObject(at[0]).put(at[1], target);
            todo.push(target);
          }
        }
        o.forEach(e -> todo.push(e.getValue()));
      } else if (node instanceof JsonArray a) {
        a.forEach(todo::push);
      }
    }
    kept.put("securitySchemes", components.getJsonObject("securitySchemes"));
    return new JsonObject().put("openapi", view.getString("openapi")).put("info", view.getJsonObject("info"))
        .put("security", view.getJsonArray("security")).put("paths", paths).put("components", kept);
  }

  private static void readable(JsonObject bodyOrResponse) {
    JsonObject content = bodyOrResponse.getJsonObject("content");
    if (content != null) {
      content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
      if (content.isEmpty()) {
        bodyOrResponse.remove("content");
      }
    }
  }

  private static void plainPath(JsonObject parameter) {
    if ("path".equals(parameter.getString("in")) && parameter.getJsonObject("schema") != null) {
      parameter.getJsonObject("schema").remove("pattern");
    }
  }
}
