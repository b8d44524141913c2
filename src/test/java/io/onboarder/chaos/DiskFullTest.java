package io.onboarder.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.store.StoreFaults;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk is survived: while the database cannot grow the node answers 507 and is not ready; once
 * there is space again it recovers by itself (no restart) and every install Cyclr saw is recorded, once.
 */
@ExtendWith(VertxExtension.class)
class DiskFullTest {
  private static final int ITEMS = 120;

  @Test
  void aDiskThatFillsMidJobIs507AndNotReadyThenRecoversByItselfWithEveryInstallRecorded(Vertx vertx,
      @TempDir Path dir) {
    TestService s = TestService.start(vertx, dir, e -> e.setLatencyMs(20), c -> { });
    try {
      String id = s.submit(TestService.apiKeyJob("full", ITEMS));
      s.poll(() -> s.cyclr.stats().installs(), n -> n >= 10, Duration.ofSeconds(30), "the first installs");

      // The file may not grow from now on: the next write that needs a page fails with SQLITE_FULL.
      StoreFaults.diskFull(s.app.store());
      HttpResponse<Buffer> refused = s.poll(() -> s.post("/v1/jobs", TestService.apiKeyJob("more", 200)),
          r -> r.statusCode() == 507, Duration.ofSeconds(30), "a submission refused for the full disk");
      assertThat(refused.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(refused.bodyAsJsonObject().getString("type")).endsWith(":disk-full");
      s.poll(() -> s.get("/health/ready").statusCode(), code -> code == 503, Duration.ofSeconds(10),
          "readiness to report the full disk");
      // What was in flight ends at Cyclr; its outcomes are kept until they can be written.
      s.poll(() -> s.cyclr.stats().inFlight(), n -> n == 0, Duration.ofSeconds(10), "Cyclr calls to end");

      // Space again: no restart, the node notices within a health check.
      StoreFaults.spaceAgain(s.app.store());
      s.poll(() -> s.get("/health/ready").statusCode(), code -> code == 200, Duration.ofSeconds(10),
          "readiness once there is space again");
      JsonObject done = s.awaitJob(id, Duration.ofSeconds(60));
      assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
      // Every install Cyclr saw is recorded as the service's own (an outcome lost while the disk was full would
      // come back as ALREADY_INSTALLED after a re-check), and none was made twice.
      assertThat(done.getJsonObject("counts").getInteger("INSTALLED")).isEqualTo(ITEMS);
      assertThat(s.cyclr.stats().installs()).isEqualTo(ITEMS);
      assertThat(s.cyclr.stats().duplicateInstalls()).isZero();
      assertThat(s.post("/v1/jobs", TestService.apiKeyJob("after", 3)).statusCode()).isEqualTo(202);
    } finally {
      s.close();
    }
  }

  /** A job written into a database file deleted a moment ago would be lost at the next start: never a 202. */
  @Test
  void aSubmissionRightAfterTheDatabaseFileWasDeletedIsRefusedNotAcceptedAndLost(Vertx vertx, @TempDir Path dir)
      throws Exception {
    TestService s = TestService.start(vertx, dir, e -> { }, c -> { });
    try {
      java.nio.file.Files.delete(dir.resolve("onboarder.db"));
      HttpResponse<Buffer> r = s.post("/v1/jobs", TestService.apiKeyJob("deleted", 2));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(503);
      assertThat(r.bodyAsJsonObject().getString("type")).endsWith(":busy");
    } finally {
      s.close();
    }
  }
}
