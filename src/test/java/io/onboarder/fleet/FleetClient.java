package io.onboarder.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.support.TestService;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;

/** The {@code /v1/fleets} routes of a test service, as a caller with {@code token} uses them. */
final class FleetClient {
  final TestService s;
  final String token;

  FleetClient(TestService s, String token) {
    this.s = s;
    this.token = token;
  }

  HttpResponse<Buffer> send(HttpMethod method, String path, String type, Buffer body, String... headers) {
    HttpRequest<Buffer> req = s.http.requestAbs(method, s.base() + path).timeout(30_000)
        .bearerTokenAuthentication(token);
    if (type != null) {
      req.putHeader("Content-Type", type);
    }
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return TestService.await(body == null ? req.send() : req.sendBuffer(body));
  }

  HttpResponse<Buffer> put(String name, JsonObject fleet, String... headers) {
    return send(HttpMethod.PUT, "/v1/fleets/" + name, "application/json", fleet.toBuffer(), headers);
  }

  HttpResponse<Buffer> get(String path) {
    return send(HttpMethod.GET, path, null, null);
  }

  HttpResponse<Buffer> post(String path, JsonObject body) {
    return send(HttpMethod.POST, path, "application/json", body == null ? Buffer.buffer() : body.toBuffer());
  }

  /** The answer's JSON, after checking its status. */
  static JsonObject json(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as("status; body: %s", r.bodyAsString()).isEqualTo(status);
    return r.bodyAsJsonObject();
  }

  /** A problem+json answer of {@code status}. */
  static JsonObject problem(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as("status; body: %s", r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
    return r.bodyAsJsonObject();
  }

  /** A fleet of API-key tenants {@code prefix0..prefix(n-1)} of the emulator's connector 1. */
  static JsonObject fleet(String prefix, int n) {
    JsonArray tenants = new JsonArray();
    for (int i = 0; i < n; i++) {
      tenants.add(new JsonObject().put("account", prefix + i).put("authValue", "key-" + prefix + i));
    }
    return new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants);
  }
}
