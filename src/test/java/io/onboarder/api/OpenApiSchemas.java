package io.onboarder.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The served openapi.json as a JSON Schema 2020-12 repository, for the tests: a schema of the document (by JSON
 * Pointer) checks a value, and {@link #check} holds an HTTP answer to what the document says of it (status
 * documented, media type documented, body valid) for every media type, problem+json included.
 */
final class OpenApiSchemas {
  private static final String BASE = "app:///openapi.json";
  /** asyncapi.json beside it, so that its references into openapi.json resolve as they do when served. */
  static final String ASYNCAPI = "app:///asyncapi.json";

  final JsonObject doc;
  private final SchemaRepository repository;

  private OpenApiSchemas(JsonObject doc) {
    this.doc = doc;
    this.repository = SchemaRepository.create(new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setBaseUri("app:///").setOutputFormat(OutputFormat.Basic));
    // The repository annotates what it is given: it gets a copy, the tests read the document as served.
    repository.dereference(BASE, JsonSchema.of(doc.copy()));
    repository.dereference(ASYNCAPI, JsonSchema.of(ApiDocuments.resource(ApiDocuments.ASYNCAPI).toJsonObject()));
  }

  static OpenApiSchemas load() {
    return new OpenApiSchemas(ApiDocuments.resource(ApiDocuments.OPENAPI).toJsonObject());
  }

  /** {@code value} against the schema at {@code pointer} (e.g. "/components/schemas/JobRequest"). */
  OutputUnit validate(String pointer, Object value) {
    return repository.validator(BASE + "#" + pointer).validate(value);
  }

  /** {@code value} against the payload of asyncapi.json's message {@code name}. */
  OutputUnit validateMessage(String name, Object value) {
    return repository.validator(ASYNCAPI + "#/components/messages/" + name + "/payload").validate(value);
  }

  /** The document's path template that {@code path} (no query) matches, e.g. /v1/jobs/{id}, or null. */
  String template(String path) {
    String best = null;
    for (String t : doc.getJsonObject("paths").fieldNames()) {
      String regex = t.replaceAll("\\{[^/}]+}", "[^/]+");
      if (path.matches(regex) && (best == null || best.contains("{") && !t.contains("{"))) {
        best = t;
      }
    }
    return best;
  }

  /**
   * What is wrong with an answer, per the document (empty: it conforms): the route, its status (or
   * {@code default}), the media type and, for JSON media types, the body against the schema.
   */
  List<String> check(HttpMethod method, String path, int status, String contentType, String body) {
    List<String> wrong = new ArrayList<>();
    String template = template(path.contains("?") ? path.substring(0, path.indexOf('?')) : path);
    String op = method.name().toLowerCase(Locale.ROOT);
    if (template == null || !doc.getJsonObject("paths").getJsonObject(template).containsKey(op)) {
      wrong.add(method + " " + path + " is not documented");
      return wrong;
    }
    String at = "/paths/" + escape(template) + "/" + op + "/responses/";
    JsonObject responses = doc.getJsonObject("paths").getJsonObject(template).getJsonObject(op)
        .getJsonObject("responses");
    String code = responses.containsKey(String.valueOf(status)) ? String.valueOf(status)
        : responses.containsKey("default") && status >= 400 ? "default" : null;
    if (code == null) {
      wrong.add(method + " " + template + " does not document status " + status);
      return wrong;
    }
    JsonObject response = responses.getJsonObject(code);
    at += code;
    if (response.containsKey("$ref")) {
      at = response.getString("$ref").substring(1);
      response = resolve(at);
    }
    JsonObject content = response.getJsonObject("content");
    if (content == null || content.isEmpty()) {
      if (body != null && !body.isEmpty()) {
        wrong.add(method + " " + template + " " + status + " documents no body, got: " + body);
      }
      return wrong;
    }
    String type = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!content.containsKey(type)) {
      wrong.add(method + " " + template + " " + status + " does not document " + type + " (documents "
          + content.fieldNames() + ")");
      return wrong;
    }
    if (type.equals("application/json") || type.endsWith("+json")) {
      OutputUnit result = validate(at + "/content/" + escape(type) + "/schema", new JsonObject("{\"v\":" + body + "}")
          .getValue("v"));
      if (!result.getValid()) {
        wrong.add(method + " " + template + " " + status + " body does not fit its schema: " + result.getErrors()
            + "\nbody: " + body);
      }
    }
    return wrong;
  }

  private JsonObject resolve(String pointer) {
    Object node = doc;
    for (String part : pointer.substring(1).split("/")) {
      node = ((JsonObject) node).getValue(part.replace("~1", "/").replace("~0", "~"));
    }
    return (JsonObject) node;
  }

  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }
}
