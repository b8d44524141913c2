package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.emulator.EmulatorOptions;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Shared helpers of the HTTP API tests: raw requests, problem+json assertions, a valid job. */
final class ApiTestSupport {
  static final String PROBLEM_JSON = "application/problem+json";
  static final String[] ITEM_STATUSES = {
      "PENDING", "RUNNING", "INSTALLED", "ALREADY_INSTALLED", "OAUTH_PENDING", "AUTHENTICATED", "FAILED",
      "CANCELLED", "SIGN_IN_EXPIRED", "REAUTH_REQUIRED"};

  private ApiTestSupport() {}

  /** A service on its own Vert.x (so its event-bus consumers do not mix with another service's). */
  static final class Owned implements AutoCloseable {
    final Vertx vertx;
    final TestService s;

    private Owned(Vertx vertx, TestService s) {
      this.vertx = vertx;
      this.s = s;
    }

    static Owned start(Path dir, Consumer<JsonObject> config) {
      return start(dir, e -> { }, config);
    }

    static Owned start(Path dir, Consumer<EmulatorOptions> emulator, Consumer<JsonObject> config) {
      Vertx vertx = Vertx.vertx();
      try {
        return new Owned(vertx, TestService.start(vertx, mkdirs(dir), emulator, config));
      } catch (RuntimeException | Error e) {
        vertx.close();
        throw e;
      }
    }

    @Override
    public void close() {
      s.close();
      TestService.await(vertx.close());
    }
  }

  static Path mkdirs(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Consumer<JsonObject> config(String key, Object value) {
    return c -> ConfigLoader.put(c, key, value);
  }

  /** A raw request: {@code auth} is the whole Authorization header (null: none), {@code type} the Content-Type. */
  static HttpResponse<Buffer> send(TestService s, HttpMethod method, String path, String auth, String type,
                                   Buffer body) {
    HttpRequest<Buffer> req = s.http.requestAbs(method, s.base() + path).timeout(10_000);
    if (auth != null) {
      req.putHeader("Authorization", auth);
    }
    if (type != null) {
      req.putHeader("Content-Type", type);
    }
    return TestService.await(body == null ? req.send() : req.sendBuffer(body));
  }

  /** As {@link #send}, with an Idempotency-Key header. */
  static HttpResponse<Buffer> send(TestService s, HttpMethod method, String path, String auth, String type,
                                   Buffer body, String idempotencyKey) {
    HttpRequest<Buffer> req = s.http.requestAbs(method, s.base() + path).timeout(30_000)
        .putHeader("Idempotency-Key", idempotencyKey);
    if (auth != null) {
      req.putHeader("Authorization", auth);
    }
    if (type != null) {
      req.putHeader("Content-Type", type);
    }
    return TestService.await(req.sendBuffer(body));
  }

  static HttpResponse<Buffer> postJob(TestService s, String body) {
    return send(s, HttpMethod.POST, "/v1/jobs", bearer(), "application/json", Buffer.buffer(body));
  }

  static HttpResponse<Buffer> postJob(TestService s, JsonObject body) {
    return postJob(s, body.encode());
  }

  static HttpResponse<Buffer> get(TestService s, String path) {
    return send(s, HttpMethod.GET, path, bearer(), null, null);
  }

  static HttpResponse<Buffer> post(TestService s, String path) {
    return send(s, HttpMethod.POST, path, bearer(), null, null);
  }

  static String bearer() {
    return "Bearer " + TestService.TOKEN;
  }

  /** Asserts an RFC 9457 answer with {@code status}; returns the problem. */
  static JsonObject assertProblem(HttpResponse<Buffer> r, int status) {
    String body = r.bodyAsString();
    assertThat(r.statusCode()).as("status; body: %s", body).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).as("Content-Type; body: %s", body).startsWith(PROBLEM_JSON);
    JsonObject p = new JsonObject(body);
    assertProblemJson(p, status);
    return p;
  }

  static void assertProblemJson(JsonObject p, int status) {
    assertThat(p.getValue("status")).as("problem status in %s", p).isEqualTo(status);
    assertThat(p.getValue("type")).as("type in %s", p).isInstanceOf(String.class);
    assertThat(p.getString("type")).as("type in %s", p).isNotBlank();
    assertThat(p.getValue("title")).as("title in %s", p).isInstanceOf(String.class);
    assertThat(p.getString("title")).as("title in %s", p).isNotBlank();
    assertThat(p.getValue("detail")).as("detail in %s", p).isInstanceOf(String.class);
    assertThat(p.getString("detail")).as("detail in %s", p).isNotBlank();
  }

  /** Asserts a validation problem ({@code status}) whose errors name {@code pointer} (exactly, or below it). */
  static JsonObject assertValidation(HttpResponse<Buffer> r, int status, String pointer) {
    JsonObject p = assertProblem(r, status);
    assertErrorsName(p, pointer);
    return p;
  }

  static JsonObject assertValidation(HttpResponse<Buffer> r, String pointer) {
    return assertValidation(r, 400, pointer);
  }

  static void assertErrorsName(JsonObject p, String pointer) {
    assertThat(p.getValue("errors")).as("errors array in %s", p).isInstanceOf(JsonArray.class);
    JsonArray errors = p.getJsonArray("errors");
    assertThat(errors).as("errors in %s", p).isNotEmpty();
    for (Object o : errors) {
      assertThat(o).as("error entry in %s", p).isInstanceOf(JsonObject.class);
      JsonObject e = (JsonObject) o;
      assertThat(e.getValue("pointer")).as("pointer of %s", e).isInstanceOf(String.class);
      assertThat(e.getValue("message")).as("message of %s", e).isInstanceOf(String.class);
      assertThat(e.getString("message")).as("message of %s", e).isNotBlank();
    }
    assertThat(errors.stream().map(o -> ((JsonObject) o).getString("pointer")))
        .as("pointers in %s", p)
        .anySatisfy(ptr -> assertThat(ptr.equals(pointer) || ptr.startsWith(pointer + "/"))
            .as("pointer %s names %s", ptr, pointer).isTrue());
  }

  /** A valid job: API-key connector 1 for {@code accounts}. */
  static JsonObject validJob(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a).put("authValue", "key-" + a));
    }
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items);
  }

  /** A valid one-item job with {@code item} as its only item. */
  static JsonObject jobWithItem(JsonObject item) {
    return new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("items", new JsonArray().add(item));
  }

  static JsonObject item(String account) {
    return new JsonObject().put("account", account).put("authValue", "k");
  }
}
