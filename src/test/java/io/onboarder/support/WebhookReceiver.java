package io.onboarder.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver for tests: a Vert.x HTTP server on a free port that verifies every request's
 * Standard Webhooks signature with its own HMAC code (javax.crypto, not the service's class), keeps
 * what it received, and answers what the test's {@code answer} function says.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** One request as received: headers, body, whether its signature verified, and when. */
  public record Received(String path, String id, String timestamp, String signature, String body,
                         boolean signatureValid, long receivedAtMs, int attemptOfId) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** What to answer: a status and optional headers. */
  public record Answer(int status, Map<String, String> headers) {
    public static Answer ok() {
      return new Answer(200, Map.of());
    }

    public static Answer of(int status) {
      return new Answer(status, Map.of());
    }
  }

  public final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private final byte[] key;
  private final HttpServer server;
  private volatile Function<Received, Answer> answer = r -> Answer.ok();
  private volatile long latencyMs;

  private WebhookReceiver(Vertx vertx, String secret) {
    this.key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
    this.server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      Received r = record(req, body.toString(StandardCharsets.UTF_8));
      Answer a = answer.apply(r);
      Runnable respond = () -> {
        a.headers().forEach((k, v) -> req.response().putHeader(k, v));
        req.response().setStatusCode(a.status()).end();
      };
      if (latencyMs > 0) {
        vertx.setTimer(latencyMs, t -> respond.run());
      } else {
        respond.run();
      }
    }));
  }

  public static WebhookReceiver start(Vertx vertx, String secret) {
    WebhookReceiver r = new WebhookReceiver(vertx, secret);
    TestService.await(r.server.listen(0, "127.0.0.1"));
    return r;
  }

  /** A fresh secret in the Standard Webhooks format (24 random bytes). */
  public static String newSecret() {
    byte[] b = new byte[24];
    new java.security.SecureRandom().nextBytes(b);
    return "whsec_" + Base64.getEncoder().encodeToString(b);
  }

  /** The service settings that send webhooks here, signed with {@code secret} (the one this receiver checks). */
  public static java.util.function.Consumer<io.vertx.core.json.JsonObject> serviceConfig(WebhookReceiver receiver,
                                                                                        String secret) {
    return c -> {
      io.onboarder.config.ConfigLoader.put(c, "webhooks.url", receiver.url());
      io.onboarder.config.ConfigLoader.put(c, "webhooks.secret", secret);
    };
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hooks";
  }

  public void answer(Function<Received, Answer> answer) {
    this.answer = answer;
  }

  public void latencyMs(long ms) {
    this.latencyMs = ms;
  }

  private Received record(HttpServerRequest req, String body) {
    String id = req.getHeader("webhook-id");
    String ts = req.getHeader("webhook-timestamp");
    String sig = req.getHeader("webhook-signature");
    int n = attempts.computeIfAbsent(String.valueOf(id), k -> new AtomicInteger()).incrementAndGet();
    Received r = new Received(req.path(), id, ts, sig, body, verify(id, ts, body, sig), System.currentTimeMillis(), n);
    received.add(r);
    return r;
  }

  /** The Standard Webhooks check, written here independently: v1,base64(HMAC-SHA256(key, id.ts.body)). */
  private boolean verify(String id, String ts, String body, String header) {
    if (id == null || ts == null || header == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] expected = mac.doFinal((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8));
      for (String part : header.split(" ")) {
        if (part.startsWith("v1,") && MessageDigest.isEqual(expected,
            Base64.getDecoder().decode(part.substring(3)))) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /** The first request of every webhook-id that was answered 2xx counts as delivered; here: all distinct ids seen. */
  public List<Received> distinct() {
    Map<String, Received> byId = new java.util.LinkedHashMap<>();
    received.forEach(r -> byId.putIfAbsent(r.id(), r));
    return new ArrayList<>(byId.values());
  }

  @Override
  public void close() {
    TestService.await(server.close());
  }
}
