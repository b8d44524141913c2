package io.onboarder.demo;

import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.say;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo's side of the HTTP API, as any caller would use it: submit a job, follow its event stream
 * (Server-Sent Events) and print progress, read jobs and accounts; and a browser for the sign-in links.
 */
final class ServiceClient {
  private static final List<String> FINAL = List.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");

  private final Vertx vertx;
  private final WebClient http;
  private final String base;

  ServiceClient(Vertx vertx, String base) {
    this.vertx = vertx;
    this.http = WebClient.create(vertx);
    this.base = base;
  }

  /** {@code POST /v1/jobs}: the new job's summary, or null (said why) when it was not accepted. */
  JsonObject submit(JsonObject job) throws Exception {
    HttpResponse<Buffer> created = http.postAbs(base + "/v1/jobs").putHeader("Content-Type", "application/json")
        .sendBuffer(job.toBuffer()).await(30, TimeUnit.SECONDS);
    if (created.statusCode() != 202) {
      say("submit failed: HTTP %d %s", created.statusCode(), created.bodyAsString());
      return null;
    }
    return created.bodyAsJsonObject();
  }

  /** Submits {@code job} and follows it on its event stream to the end: the final summary, or null. */
  JsonObject submitAndWatch(JsonObject job) throws Exception {
    JsonObject created = submit(job);
    if (created == null) {
      return null;
    }
    String location = "/v1/jobs/" + created.getString("id");
    say("  202 Accepted, Location: %s", location);
    say("  live progress from GET %s/events (Server-Sent Events):", location);
    try {
      return watch(base + location + "/events").await(120, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      say("the job did not finish in time");
      return null;
    }
  }

  JsonObject job(String id) throws Exception {
    return http.getAbs(base + "/v1/jobs/" + id).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
  }

  /** Polls the job until it has finished: its summary, or null after two minutes. */
  JsonObject awaitFinished(String id) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject s = job(id);
      if (FINAL.contains(s.getString("status"))) {
        return s;
      }
      vertx.timer(200).await();
    }
    say("job %s did not finish in time", id);
    return null;
  }

  /** The accounts of a job with a template ({@code GET /v1/jobs/{id}/accounts}). */
  List<JsonObject> accounts(String id) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    http.getAbs(base + "/v1/jobs/" + id + "/accounts?limit=1000").send().await(10, TimeUnit.SECONDS)
        .bodyAsJsonObject().getJsonArray("items").forEach(o -> out.add((JsonObject) o));
    return out;
  }

  /** {@code GET {path}}, as JSON. */
  JsonObject get(String path) throws Exception {
    return http.getAbs(base + path).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
  }

  /** {@code method path} with a JSON body (or none): the answer, whatever its status. */
  HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body) throws Exception {
    var req = http.requestAbs(method, base + path).putHeader("Content-Type", "application/json");
    return (body == null ? req.send() : req.sendBuffer(body.toBuffer())).await(60, TimeUnit.SECONDS);
  }

  /** One request of a tenant's browser: redirects are not followed, so each step shows. */
  HttpResponse<Buffer> browse(String method, String url) throws Exception {
    return http.requestAbs(HttpMethod.valueOf(method), url).followRedirects(false).send()
        .await(30, TimeUnit.SECONDS);
  }

  /**
   * Follows the job's event stream: item events move the counts, job events carry the summary; a line
   * is printed on each job event and every quarter of the items. Completes with the final summary.
   */
  private Future<JsonObject> watch(String url) {
    Promise<JsonObject> done = Promise.promise();
    HttpClient client = vertx.createHttpClient();
    Progress progress = new Progress();
    StringBuilder block = new StringBuilder();
    RecordParser lines = RecordParser.newDelimited("\n", line -> {
      String l = line.toString();
      if (!l.isEmpty()) {
        block.append(l).append('\n');
        return;
      }
      String event = null;
      JsonObject data = null;
      for (String f : block.toString().split("\n")) {
        if (f.startsWith("event: ")) {
          event = f.substring(7);
        } else if (f.startsWith("data: ")) {
          data = new JsonObject(f.substring(6));
        }
      }
      block.setLength(0);
      if (data != null && progress.on(event, data)) {
        done.tryComplete(data);
      }
    });
    // The handlers are set by a callback on the response's own future, registered before the request is sent: it
    // runs as the response's head arrives, before its body. (Registered later, from the demo's thread, it could run
    // after a short stream had come in whole: its events lost, and a handler set on an ended response throws.)
    client.request(new RequestOptions().setAbsoluteURI(url).putHeader("Accept", "text/event-stream"))
        .onSuccess(req -> {
          req.response().onSuccess(resp -> {
            resp.handler(lines);
            resp.endHandler(v -> done.tryFail("the event stream ended before the job finished"));
          }).onFailure(done::tryFail);
          req.send();
        })
        .onFailure(done::tryFail);
    return done.future().eventually(client::close);
  }

  /** A job's counts as its events move them, and the progress lines printed from them. */
  private static final class Progress {
    private final Map<String, String> statusOf = new HashMap<>();
    private final JsonObject counts = new JsonObject();
    private long total;
    private long printedAt = -1;
    private String jobStatus = "PENDING";
    // A job with a template: its accounts' counts, from job summaries and account events.
    private final JsonObject accounts = new JsonObject();
    private final Map<String, String> accountStatus = new HashMap<>();

    /** Takes one event; true once it was the job's final one. */
    boolean on(String event, JsonObject data) {
      if ("job".equals(event)) {
        total = data.getLong("total");
        jobStatus = data.getString("status");
        counts.clear();
        data.getJsonObject("counts").forEach(e -> counts.put(e.getKey(), e.getValue()));
        if (data.getJsonObject("accounts") != null) {
          accounts.clear();
          data.getJsonObject("accounts").forEach(e -> accounts.put(e.getKey(), e.getValue()));
        }
        print();
        return FINAL.contains(jobStatus);
      }
      if ("account".equals(event) && !accounts.isEmpty()) {
        String before = accountStatus.put(data.getString("account"), data.getString("status"));
        move(accounts, before == null ? "WAITING" : before, data.getString("status"));
      } else if ("item".equals(event) && total > 0) {
        String before = statusOf.put(data.getString("itemId"), data.getString("status"));
        move(counts, before == null ? "PENDING" : before, data.getString("status"));
        long finished = total - counts.getLong("PENDING", 0L) - counts.getLong("RUNNING", 0L);
        if (finished - printedAt >= Math.max(1, total / 4) && finished < total) {
          print();
        }
      }
      return false;
    }

    private static void move(JsonObject counts, String from, String to) {
      counts.put(from, counts.getLong(from, 0L) - 1);
      counts.put(to, counts.getLong(to, 0L) + 1);
    }

    private void print() {
      long finished = counts.fieldNames().stream().filter(k -> !k.equals("PENDING") && !k.equals("RUNNING"))
          .mapToLong(counts::getLong).sum();
      printedAt = finished;
      say("  %-9s %3d/%d  %s%s", jobStatus, finished, total, compact(counts),
          accounts.isEmpty() ? "" : "  | accounts " + compact(accounts));
    }
  }
}
