package io.onboarder.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A minimal Server-Sent Events reader for tests: collects events, can hang up after a condition. */
public final class SseClient {
  public record Event(long id, String event, JsonObject data) {}

  public final List<Event> events = new CopyOnWriteArrayList<>();
  public final List<String> comments = new CopyOnWriteArrayList<>();
  private final Promise<Integer> opened = Promise.promise();
  private final Promise<Integer> ended = Promise.promise();
  private HttpClientResponse response;

  /** Connects; {@code hangUpWhen} closes the connection (as a dropped client would) once true. */
  public static SseClient open(Vertx vertx, HttpClient client, String url, String token, String lastEventId,
                               Predicate<SseClient> hangUpWhen) {
    SseClient sse = new SseClient();
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
        .putHeader("Accept", "text/event-stream").putHeader("Authorization", "Bearer " + token);
    if (lastEventId != null) {
      o.putHeader("Last-Event-ID", lastEventId);
    }
    // The response's handlers are set in the callback of its own future, registered before the request is sent:
    // that callback then runs where the response's head arrives, before any of its body. (Registered on a future
    // of the chain from this thread instead, it ran late whenever this thread was descheduled while the whole
    // response came in, as a finished job's stream does at once: its body was dropped, and setting a handler on
    // the ended response threw, so ended() never completed.)
    client.request(o).onComplete(ar -> {
      if (ar.failed()) {
        sse.ended.tryFail(ar.cause());
        return;
      }
      ar.result().response().onComplete(rr -> sse.receive(rr, hangUpWhen));
      ar.result().send();
    });
    return sse;
  }

  private void receive(io.vertx.core.AsyncResult<HttpClientResponse> ar, Predicate<SseClient> hangUpWhen) {
    if (ar.failed()) {
      opened.tryFail(ar.cause());
      ended.tryFail(ar.cause());
      return;
    }
    HttpClientResponse r = ar.result();
    response = r;
    opened.tryComplete(r.statusCode());
    if (r.statusCode() != 200) {
      // The status is the answer; the body (a problem, or none for 204) is only drained. (Waiting for
      // the body of a 204 on a reused connection could hang the test client.)
      ended.tryComplete(r.statusCode());
      r.body();
      return;
    }
    StringBuilder block = new StringBuilder();
    RecordParser lines = RecordParser.newDelimited("\n", line -> {
      if (ended.future().isComplete()) {
        return; // hung up: what was still buffered is not "received"
      }
      String l = line.toString();
      if (!l.isEmpty()) {
        block.append(l).append('\n');
        return;
      }
      parse(block.toString());
      block.setLength(0);
      if (hangUpWhen.test(this)) {
        r.request().connection().close();
        ended.tryComplete(-1);
      }
    });
    r.handler(lines);
    r.endHandler(v -> ended.tryComplete(200));
    r.exceptionHandler(err -> ended.tryComplete(-1));
  }

  private void parse(String block) {
    Long id = null;
    String event = "message";
    StringBuilder data = new StringBuilder();
    for (String l : block.split("\n")) {
      if (l.startsWith(":")) {
        comments.add(l);
      } else if (l.startsWith("id: ")) {
        id = Long.parseLong(l.substring(4));
      } else if (l.startsWith("event: ")) {
        event = l.substring(7);
      } else if (l.startsWith("data: ")) {
        data.append(l.substring(6));
      }
    }
    if (id != null) {
      events.add(new Event(id, event, new JsonObject(data.toString())));
    }
  }

  /** Completes with the HTTP status once the response's head is in (for a 200: the server has begun the stream). */
  public Future<Integer> opened() {
    return opened.future();
  }

  /** Completes with the HTTP status when the server ended the stream (or -1 when this client hung up). */
  public Future<Integer> ended() {
    return ended.future();
  }

}
