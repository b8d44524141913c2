package io.onboarder.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Changes behind the service's back are idempotent, so a 503 (Cyclr shedding load, or the demo's injected faults)
 * is asked again, at most five times; a DELETE asked again that finds the thing gone is done. Against a stand-in
 * that answers each call with the next status of a script.
 */
@ExtendWith(VertxExtension.class)
class TenantChangesTest {
  private HttpServer server;
  private final Deque<Integer> answers = new ArrayDeque<>();
  private final List<String> calls = new ArrayList<>();
  private TenantChanges changes;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestService.await(vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/oauth/token")) {
        req.response().putHeader("Content-Type", "application/json").end("{\"access_token\": \"t\"}");
        return;
      }
      calls.add(req.method() + " " + req.path() + " " + req.getHeader("X-Cyclr-Account"));
      Integer status = answers.poll();
      req.response().setStatusCode(status == null ? 500 : status).end();
    }).listen(0, "127.0.0.1"));
    changes = new TenantChanges(vertx, "http://127.0.0.1:" + server.actualPort() + "/", "id", "secret");
  }

  @AfterEach
  void stop() {
    changes.close();
  }

  @Test
  void a503IsAskedAgainUntilTheChangeIsDone() {
    answers.addAll(List.of(503, 503, 200));
    TestService.await(changes.deauthenticate("acme", 7));
    assertThat(calls).containsExactly("PUT /v1.0/account/connectors/7/deauthenticate acme",
        "PUT /v1.0/account/connectors/7/deauthenticate acme", "PUT /v1.0/account/connectors/7/deauthenticate acme");
  }

  @Test
  void aDeleteAskedAgainThatFindsTheThingGoneIsDoneButAFirst404IsNot() {
    answers.addAll(List.of(503, 404));
    TestService.await(changes.deleteInstall("acme", 7));
    assertThat(calls).hasSize(2);

    answers.add(404);
    assertThatThrownBy(() -> TestService.await(changes.deleteCycle("acme", "c 1")))
        .hasMessageContaining("DELETE /v1.0/cycles/c%201 answered HTTP 404");
  }

  @Test
  void fiveAnswersOf503AreTheEndAndOtherErrorsAreNotAskedAgain() {
    answers.addAll(List.of(503, 503, 503, 503, 503, 200));
    assertThatThrownBy(() -> TestService.await(changes.deleteAccount("acme")))
        .hasMessageContaining("DELETE /v1.0/accounts/acme answered HTTP 503");
    assertThat(calls).hasSize(5);

    calls.clear();
    answers.clear();
    answers.addAll(List.of(500, 200));
    assertThatThrownBy(() -> TestService.await(changes.deactivateCycle("acme", "c")))
        .hasMessageContaining("answered HTTP 500");
    assertThat(calls).hasSize(1);
  }
}
