package io.onboarder.api;

import static io.onboarder.api.ApiTestSupport.assertProblem;
import static io.onboarder.api.ApiTestSupport.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.JsonBounds;
import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way JSON comes in (HTTP JSON and NDJSON bodies, the event bus, the TCP bridge) holds it to
 * the same bounds: a 1,000,000-digit number, which once held an event loop for 19 s, is a quick 400
 * while {@code /health/live} keeps answering, and a key given twice in one object is a 400, not
 * "the last one wins".
 */
class JsonEntrancesTest {
  private static final String DIGITS = "9".repeat(1_000_000);
  /**
   * Unguarded, one such number took 19 s of an event loop on an idle machine (quadratic BigInteger
   * conversion); guarded, a body is refused in about 0.1 s. The margin is for a busy test machine.
   */
  private static final long QUICK_MS = 10_000;

  @TempDir
  static Path dir;
  static ApiTestSupport.Owned svc;
  static TestService s;

  @BeforeAll
  static void start() {
    svc = ApiTestSupport.Owned.start(dir, c -> {
      ConfigLoader.put(c, "bridge.port", 0);
      ConfigLoader.put(c, "bridge.maxFrameBytes", 2 * 1024 * 1024);
    });
    s = svc.s;
  }

  @AfterAll
  static void stop() {
    if (svc != null) {
      svc.close();
    }
  }

  private static Future<HttpResponse<Buffer>> post(String type, String body) {
    return s.http.requestAbs(HttpMethod.POST, s.base() + "/v1/jobs").timeout(30_000)
        .putHeader("Authorization", bearer()).putHeader("Content-Type", type).sendBuffer(Buffer.buffer(body));
  }

  @Test
  void millionDigitNumbersAreQuick400sOverHttpWhileLivenessAnswers() {
    List<String> jsonBodies = List.of(
        "{\"connector\": {\"id\": " + DIGITS + "}, \"items\": [{\"account\": \"a\"}]}",
        "{\"connector\": {\"id\": 1}, \"items\": [{\"account\": \"a\", \"authValue\": \"k\", \"note\": " + DIGITS + "}]}");
    String ndjson = "{\"connector\": {\"id\": 1}}\n{\"account\": \"a\", \"authValue\": \"k\", \"n\": " + DIGITS + "}\n";
    long started = System.nanoTime();
    // All at once, with the liveness probe beside them.
    Future<HttpResponse<Buffer>> top = post("application/json", jsonBodies.get(0));
    Future<HttpResponse<Buffer>> unknown = post("application/json", jsonBodies.get(1));
    Future<HttpResponse<Buffer>> lines = post("application/x-ndjson", ndjson);
    Future<HttpResponse<Buffer>> live = s.http.getAbs(s.base() + "/health/live").timeout(QUICK_MS).send();
    for (Future<HttpResponse<Buffer>> f : List.of(top, unknown, lines)) {
      JsonObject p = assertProblem(TestService.await(f), 400);
      assertThat(p.getString("detail")).contains("a number is longer than " + JsonBounds.MAX_NUMBER_CHARS);
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertThat(TestService.await(live).statusCode()).isEqualTo(200);
    assertThat(ms).as("milliseconds for three 1 MB bodies").isLessThan(QUICK_MS);
    assertThat(TestService.await(s.http.getAbs(s.base() + "/v1/jobs").bearerTokenAuthentication(TestService.TOKEN)
        .send()).bodyAsJsonObject().getJsonArray("jobs")).as("no job was accepted").isEmpty();
  }

  @Test
  void aKeyGivenTwiceInAJobBodyIsA400() {
    JsonObject p = assertProblem(TestService.await(post("application/json",
        "{\"connector\": {\"id\": 1}, \"items\": [{\"account\": \"a\", \"authValue\": \"k1\", \"authValue\": \"k2\"}]}")),
        400);
    assertThat(p.getString("detail")).contains("a key appears twice in one object");
  }

  @Test
  void aBusSubmissionWithAHugeNumberIsA400() {
    // 415,000 bytes of 0xFF: a number of 1,000,000 decimal digits, built without printing it.
    byte[] bytes = new byte[415_000];
    Arrays.fill(bytes, (byte) 0xFF);
    BigInteger huge = new BigInteger(1, bytes);
    JsonObject job = TestService.apiKeyJob("bus-huge", 1);
    job.getJsonArray("items").getJsonObject(0).put("note", huge);
    long started = System.nanoTime();
    Throwable err = TestService.await(svc.vertx.eventBus().request(Addresses.JOBS_SUBMIT, job)
        .map(m -> (Throwable) null).otherwise(e -> e));
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertThat(err).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) err).failureCode()).isEqualTo(400);
    assertThat(err.getMessage()).contains("/items/0/note").contains("is a number longer than");
    assertThat(ms).isLessThan(QUICK_MS);
  }

  @Test
  void aBridgeFrameWithAHugeNumberOrARepeatedKeyIsRefused() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", s.app.bridgePort())) {
      socket.setSoTimeout(15_000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String headers = "\"headers\": {\"Authorization\": \"" + bearer() + "\"}";
      String huge = "{\"type\": \"send\", \"address\": \"" + Addresses.JOBS_SUBMIT + "\", \"replyAddress\": \"r\", "
          + headers + ", \"body\": {\"connector\": {\"id\": 1}, \"items\": [{\"account\": \"a\", \"n\": " + DIGITS + "}]}}";
      String twice = "{\"type\": \"send\", \"address\": \"" + Addresses.JOBS_SUBMIT + "\", \"replyAddress\": \"r\", "
          + headers + ", \"body\": {\"connector\": {\"id\": 1}, \"connector\": {\"id\": 2}, \"items\": []}}";
      long started = System.nanoTime();
      JsonObject first = exchange(out, in, huge);
      assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(QUICK_MS);
      assertThat(first.getString("type")).isEqualTo("err");
      assertThat(first.getString("message")).contains("a number is longer than " + JsonBounds.MAX_NUMBER_CHARS);
      JsonObject second = exchange(out, in, twice);
      assertThat(second.getString("message")).contains("a key appears twice in one object");
      // The connection is still served.
      JsonObject listed = exchange(out, in, "{\"type\": \"send\", \"address\": \"" + Addresses.JOBS_LIST
          + "\", \"replyAddress\": \"r\", " + headers + ", \"body\": {}}");
      assertThat(listed.getString("type")).isEqualTo("message");
      assertThat(listed.getJsonObject("body").getValue("jobs")).isInstanceOf(JsonArray.class);
    }
  }

  private static JsonObject exchange(DataOutputStream out, DataInputStream in, String frame) throws IOException {
    byte[] b = frame.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
    out.flush();
    byte[] answer = new byte[in.readInt()];
    in.readFully(answer);
    return new JsonObject(new String(answer, StandardCharsets.UTF_8));
  }
}
