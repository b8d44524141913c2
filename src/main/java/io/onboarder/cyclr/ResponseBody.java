package io.onboarder.cyclr;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Reads one Cyclr response body as a stream with a byte cap, both on the wire and after inflating:
 * an endless body or a gzip bomb fails that call with {@code CYCLR_RESPONSE_TOO_LARGE} (and the
 * connection is dropped) instead of filling the heap. The client asks for no compression; a gzip or
 * deflate body sent anyway is inflated here, never past the cap.
 */
final class ResponseBody {
  private ResponseBody() {}

  /** The body, or a failed {@link CyclrException.Unreadable}; {@code route} names the call in its message. */
  static Future<Buffer> read(HttpClientRequest request, HttpClientResponse response, long maxBytes, String route) {
    String answered = response.statusCode() + " to " + route;
    String encoding = encoding(response.getHeader(HttpHeaders.CONTENT_ENCODING));
    // Failures after this one's outcome is known (the reset below) are expected: not worth a log line.
    response.exceptionHandler(ignored -> { });
    if (encoding == null) {
      request.reset();
      return Future.failedFuture(new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "Cyclr answered HTTP " + answered
          + " with a Content-Encoding this service does not read (it asks for none).", response.statusCode()));
    }
    long declared = declaredLength(response.getHeader(HttpHeaders.CONTENT_LENGTH));
    if (declared > maxBytes) {
      CyclrException tooLarge = tooLarge(response.statusCode(), answered, maxBytes);
      request.reset(0, tooLarge);
      return Future.failedFuture(tooLarge);
    }
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer((int) Math.max(0, Math.min(declared >= 0 ? declared : 8192, maxBytes)));
    response.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + (long) chunk.length() > maxBytes) {
        CyclrException tooLarge = tooLarge(response.statusCode(), answered, maxBytes);
        done.tryFail(tooLarge);
        // Stop reading: the rest is never downloaded, and the connection is closed, not reused.
        request.reset(0, tooLarge);
        return;
      }
      body.appendBuffer(chunk);
    });
    response.exceptionHandler(done::tryFail);
    response.endHandler(v -> done.tryComplete(body));
    if (encoding.isEmpty()) {
      return done.future();
    }
    return done.future().map(raw -> inflate(raw, encoding, maxBytes, response.statusCode(), answered));
  }

  /** "" for identity, "gzip" or "deflate"; null for anything else. */
  private static String encoding(String header) {
    if (header == null) {
      return "";
    }
    String e = header.trim().toLowerCase(Locale.ROOT);
    return switch (e) {
      case "", "identity" -> "";
      case "gzip", "x-gzip" -> "gzip";
      case "deflate" -> "deflate";
      default -> null;
    };
  }

  private static long declaredLength(String header) {
    if (header == null) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Inflates at most {@code maxBytes}; a body that would inflate further fails as too large. */
  private static Buffer inflate(Buffer raw, String encoding, long maxBytes, int code, String answered) {
    if (raw.length() == 0) {
      return raw;
    }
    byte[] compressed = raw.getBytes();
    try {
      return inflate(compressed, encoding, false, maxBytes, code, answered);
    } catch (IOException e) {
      if (encoding.equals("deflate")) {
        // Some servers send raw deflate (no zlib header) under "deflate".
        try {
          return inflate(compressed, encoding, true, maxBytes, code, answered);
        } catch (IOException ignored) {
          // fall through
        }
      }
      throw new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "Cyclr answered HTTP " + answered + " with a "
          + encoding + " body that could not be inflated.", code);
    }
  }

  private static Buffer inflate(byte[] compressed, String encoding, boolean rawDeflate, long maxBytes, int code,
                                String answered) throws IOException {
    Inflater inflater = encoding.equals("gzip") ? null : new Inflater(rawDeflate);
    ByteArrayInputStream source = new ByteArrayInputStream(compressed);
    try (InputStream in = inflater == null ? new GZIPInputStream(source, 8192)
        : new InflaterInputStream(source, inflater, 8192)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
      byte[] chunk = new byte[8192];
      long total = 0;
      for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
        total += n;
        if (total > maxBytes) {
          throw tooLarge(code, answered, maxBytes);
        }
        out.write(chunk, 0, n);
      }
      return Buffer.buffer(out.toByteArray());
    } finally {
      if (inflater != null) {
        inflater.end();
      }
    }
  }

  /** {@code answered}: "200 to GET /v1.0/…", for the message. */
  private static CyclrException tooLarge(int code, String answered, long maxBytes) {
    return new CyclrException.Unreadable("CYCLR_RESPONSE_TOO_LARGE", "Cyclr answered HTTP " + answered
        + " with a body of more than " + maxBytes + " bytes (CYCLR_MAX_RESPONSE_BYTES); it was not read.", code);
  }
}
