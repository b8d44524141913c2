package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The service's HTTP API as the command line uses it (the JDK's HTTP client: the CLI is a plain
 * blocking program). Files go up and reports come down as streams, never whole in memory.
 */
final class ApiClient {
  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  ApiClient(String server, String token) {
    String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.base = URI.create(s);
    if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))
        || base.getHost() == null) {
      throw new CliException("--server must be an http(s) URL, e.g. http://localhost:8080; got '" + server + "'");
    }
    this.token = token;
  }

  String base() {
    return base.toString();
  }

  /** A JSON answer: status and body (a job summary or a problem). */
  record Answer(int status, JsonObject body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  Answer submit(Path file, String contentType, Map<String, String> query, String idempotencyKey) {
    HttpRequest.Builder req;
    try {
      req = request("/v1/jobs" + queryString(query), Duration.ofHours(2))
          .header("Content-Type", contentType)
          .POST(HttpRequest.BodyPublishers.ofFile(file));
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
    if (idempotencyKey != null) {
      req.header("Idempotency-Key", idempotencyKey);
    }
    return json(req.build());
  }

  /** PUT of a file (a fleet spec), streamed from disk. */
  Answer put(String path, Path file, String contentType) {
    try {
      return json(request(path, Duration.ofHours(2)).header("Content-Type", contentType)
          .PUT(HttpRequest.BodyPublishers.ofFile(file)).build());
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
  }

  /** POST of a JSON body; {@code timeout} for answers that take long (a plan reads every tenant at Cyclr). */
  Answer post(String path, JsonObject body, Duration timeout) {
    return json(request(path, timeout).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
  }

  Answer get(String path) {
    return json(request(path, Duration.ofSeconds(60)).GET().build());
  }

  Answer post(String path) {
    return json(request(path, Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /**
   * Streams the job's item report into {@code target} (through a temporary file beside it, so a
   * report cut short never looks complete); returns the rows written. A problem answer throws.
   */
  long report(String jobId, String status, String format, Path target) {
    String accept = format.equals("ndjson") ? "application/x-ndjson" : "text/csv";
    HttpRequest req = request("/v1/jobs/" + jobId + "/items" + (status == null ? "" : "?status=" + enc(status)),
        Duration.ofHours(2)).header("Accept", accept).GET().build();
    // A symbolic link is written through (it stays a link); a device or pipe (/dev/stdout) is written
    // into: only a regular file is replaced, atomically, by the finished report.
    Path real = OutputTarget.resolve(target);
    boolean special = Files.exists(real) && !Files.isRegularFile(real);
    Path dir = special ? Path.of(System.getProperty("java.io.tmpdir")) : real.getParent();
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, ".report-", ".part");
    } catch (IOException e) {
      throw new CliException("cannot write in " + dir + ": " + e.getMessage());
    }
    try {
      HttpResponse<Path> r = send(req, HttpResponse.BodyHandlers.ofFile(tmp));
      if (r.statusCode() != 200) {
        throw problem(r.statusCode(), Files.readString(tmp));
      }
      long lines;
      try (var s = Files.lines(tmp, StandardCharsets.UTF_8)) {
        lines = s.count();
      }
      if (special) {
        OutputTarget.copyInto(tmp, real);
      } else {
        Files.move(tmp, real, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      return format.equals("ndjson") ? lines : Math.max(0, lines - 1);
    } catch (IOException e) {
      throw new CliException("the report could not be written to " + target + ": " + e.getMessage());
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Answer json(HttpRequest req) {
    HttpResponse<String> r = send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    JsonObject body;
    try {
      body = r.body() == null || r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
    } catch (RuntimeException e) {
      throw new CliException("the server at " + base + " answered HTTP " + r.statusCode()
          + " with something that is not JSON; is --server right?");
    }
    if (r.statusCode() >= 300) {
      throw problem(r.statusCode(), r.body());
    }
    return new Answer(r.statusCode(), body);
  }

  private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(req, handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new CliException("cannot connect to " + base + " (" + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()) + "); is the service running, and is --server right?");
    } catch (IOException e) {
      throw new CliException("the connection to " + base + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }

  /** One line out of a problem+json answer. */
  private CliException problem(int status, String text) {
    String detail;
    try {
      JsonObject p = new JsonObject(text);
      detail = p.getString("title", "") + ": " + p.getString("detail", "");
      if (p.getValue("retryAfter") != null) {
        detail += " (retry after " + p.getValue("retryAfter") + " s)";
      }
    } catch (RuntimeException e) {
      detail = text == null ? "" : text.strip();
    }
    if (status == 401) {
      detail += " Give the API token in CYCLR_ONBOARDER_TOKEN or a file named by --token-file.";
    }
    return new CliException("HTTP " + status + " " + detail);
  }

  private static String queryString(Map<String, String> query) {
    if (query.isEmpty()) {
      return "";
    }
    return "?" + query.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
