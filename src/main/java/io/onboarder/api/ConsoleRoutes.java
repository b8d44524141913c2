package io.onboarder.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves the operator console, {@code GET /console/} and {@code GET /console/{file}}: plain HTML, JavaScript modules
 * and CSS from the jar's {@code console/} folder, without a token (the pages hold no data: they read {@code /v1/*}
 * with the bearer token the operator signs in with). Every answer carries a Content-Security-Policy that allows only
 * this origin's files (no inline script or style, no framing), so an account name or error message shown in a page
 * can never run as code. With OIDC sign-in on ({@link ConsoleOidc}), the policy also lets the page reach the
 * identity provider's token endpoint, and {@code /console/oidc.json} tells the page where to sign in.
 */
final class ConsoleRoutes {
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
      + "form-action 'self'; frame-ancestors 'none'";
  private static final String FOLDER = "console/";
  /** File names the console may have: one segment, lower case, a known type (nothing else is even looked up). */
  private static final Pattern FILE = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}\\.(html|js|css|svg)");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml");

  private record File(Buffer bytes, String etag) {}

  private final Vertx vertx;
  private final ConsoleOidc oidc;
  /** The files found so far (at most the few in the jar), read once per verticle instance on a worker. */
  private final Map<String, Future<File>> files = new HashMap<>();

  ConsoleRoutes(Vertx vertx, ConsoleOidc oidc) {
    this.vertx = vertx;
    this.oidc = oidc;
  }

  void mount(Router router) {
    router.get("/console/").handler(rc -> serve(rc, "index.html"));
    // The page's files are relative to /console/: without the slash they would be looked for at the root.
    router.get("/console").handler(rc -> rc.response().setStatusCode(301).putHeader(HttpHeaders.LOCATION, "/console/")
        .end());
    router.get("/console/oidc.json").handler(oidc::serve);
    router.get("/console/:file").handler(rc -> serve(rc, rc.pathParam("file")));
  }

  private void serve(RoutingContext rc, String name) {
    Matcher m = FILE.matcher(name == null ? "" : name);
    if (!m.matches()) {
      Problems.send(rc, Problems.forStatus(404, null));
      return;
    }
    String type = TYPES.get(m.group(1));
    file(name).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(rc, Problems.forStatus(500, ar.cause()));
        return;
      }
      if (ar.result() == null) {
        Problems.send(rc, Problems.forStatus(404, null));
        return;
      }
      File file = ar.result();
      HttpServerResponse response = securityHeaders(rc.response(), oidc.contentSecurityPolicy())
          .putHeader(HttpHeaders.ETAG, file.etag())
          // Revalidated each time (a new version of the service may change any file), answered 304 when unchanged.
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
      if (file.etag().equals(rc.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
        response.setStatusCode(304).end();
        return;
      }
      response.putHeader(HttpHeaders.CONTENT_TYPE, type).end(file.bytes());
    });
  }

  /** The headers of every console answer: what the page may load and run, and that nothing may frame it. */
  static HttpServerResponse securityHeaders(HttpServerResponse response, String policy) {
    return response.putHeader("Content-Security-Policy", policy)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin");
  }

  /** A console file with its ETag, or null when the jar has no such file (a miss is not kept: the map stays small). */
  private Future<File> file(String name) {
    Future<File> read = files.get(name);
    if (read != null && !read.failed()) {
      return read;
    }
    read = vertx.executeBlocking(() -> load(FOLDER + name));
    read.onSuccess(f -> {
      if (f == null) {
        files.remove(name);
      }
    });
    files.put(name, read);
    return read;
  }

  private static File load(String resource) {
    try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return null;
      }
      byte[] bytes = in.readAllBytes();
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return new File(Buffer.buffer(bytes), "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
