package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.onboarder.support.GeneratedJavaClient;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/clients.md held to the running service: a Java client generated from the served {@code /openapi.json}
 * runs the Java example of that page as it is written, submitting a job and following it to the end.
 */
@ExtendWith(VertxExtension.class)
class GeneratedClientTest {
  private static final Path DOCS = Path.of("docs/clients.md");
  /** docs/clients.md's promise about refusals: an ApiException with the status and the problem body. */
  private static final String REFUSED = """
      import io.onboarder.client.ApiClient;
      import io.onboarder.client.ApiException;
      import io.onboarder.client.api.JobsApi;

      public class Refused {
        static String getJob(String url, String token, String id) {
          ApiClient client = new ApiClient();
          client.updateBaseUri(url);
          client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
          try {
            return "answered " + new JobsApi(client).getJob(id).getId();
          } catch (ApiException e) {
            return e.getCode() + " " + e.getResponseBody();
          }
        }
      }
      """;

  @Test
  void aClientGeneratedFromTheServedDocumentSubmitsAJobAndFollowsItToTheEnd(Vertx vertx, @TempDir Path dir)
      throws Throwable {
    try (TestService s = TestService.start(vertx, dir)) {
      HttpResponse<Buffer> served = TestService.await(s.http.getAbs(s.base() + "/openapi.json").send());
      assertThat(served.statusCode()).as("served without a token").isEqualTo(200);
      Path document = Files.write(dir.resolve("openapi.json"), served.body().getBytes());

      long start = System.nanoTime();
      long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      String example = GeneratedJavaClient.javaBlock(DOCS, "public class Onboard");
      ClassLoader client = GeneratedJavaClient.build(document, dir.resolve("client"),
          Map.of("Onboard", example, "Refused", REFUSED));
      long built = System.nanoTime();
      long buildCpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu;
      Method onboard = client.loadClass("Onboard").getDeclaredMethod("onboard", String.class, String.class,
          Duration.class);
      onboard.setAccessible(true);

      JsonObject job = assertTimeoutPreemptively(Duration.ofSeconds(60),
          () -> asJson(client, call(onboard, s.base(), TestService.TOKEN, Duration.ofMillis(20))));
      assertThat(job.getString("status")).as(job.encode()).isEqualTo("SUCCEEDED");
      assertThat(job.getString("finishedAt")).isNotNull();
      assertThat(job.getJsonObject("counts").getInteger("INSTALLED")).isEqualTo(2);
      assertThat(s.cyclr.accountConnectors("tenant-001")).hasSize(1);
      assertThat(s.cyclr.accountConnectors("tenant-002")).hasSize(1);
      assertThat(s.cyclr.stats().installs()).isEqualTo(2);

      // Run again, the example's Idempotency-Key answers the same job: nothing is installed twice.
      JsonObject again = asJson(client, call(onboard, s.base(), TestService.TOKEN, Duration.ofMillis(20)));
      assertThat(again.getString("id")).isEqualTo(job.getString("id"));
      assertThat(s.cyclr.stats().installs()).isEqualTo(2);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      Method refused = client.loadClass("Refused").getDeclaredMethod("getJob", String.class, String.class,
          String.class);
      refused.setAccessible(true);
      assertThat((String) call(refused, s.base(), "not-a-token", job.getString("id"))).startsWith("401 {");
      String missing = (String) call(refused, s.base(), TestService.TOKEN, "no-such-job");
      assertThat(missing).startsWith("404 ");
      assertThat(new JsonObject(missing.substring(4)).getInteger("status")).isEqualTo(404);
      System.out.printf("client generated and compiled in %d ms (%d ms of CPU), job followed in %d ms%n",
          (built - start) / 1_000_000, buildCpu / 1_000_000, (System.nanoTime() - built) / 1_000_000);
    }
  }

  /** The example's method, its own exception (an ApiException with status and problem body) unwrapped. */
  private static Object call(Method method, Object... args) throws Throwable {
    try {
      return method.invoke(null, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** A generated model as the service's JSON, by the client's own mapper. */
  private static JsonObject asJson(ClassLoader client, Object model) throws Exception {
    Class<?> json = client.loadClass(GeneratedJavaClient.PACKAGE + ".JSON");
    ObjectMapper mapper = (ObjectMapper) json.getMethod("getMapper").invoke(json.getMethod("getDefault").invoke(null));
    return new JsonObject(mapper.writeValueAsString(model));
  }
}
