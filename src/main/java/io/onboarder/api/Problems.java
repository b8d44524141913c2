package io.onboarder.api;

import io.onboarder.bus.Problem;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one mapping from failures to {@code application/problem+json} responses. */
final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);

  private Problems() {}

  static void send(RoutingContext rc, Problem p) {
    if (rc.response().ended() || rc.response().headWritten()) {
      return;
    }
    rc.response().setStatusCode(p.status()).putHeader("Content-Type", "application/problem+json");
    if (p.retryAfterSeconds() != null) {
      rc.response().putHeader("Retry-After", String.valueOf(p.retryAfterSeconds()));
    }
    if (p.status() == 401 && !rc.response().headers().contains("WWW-Authenticate")) {
      rc.response().putHeader("WWW-Authenticate", "Bearer");
    }
    rc.response().end(p.toJson().encode());
  }

  /** Maps any failure (a Problem, an event-bus reply failure, a status code) to a problem. */
  static Problem from(Throwable failure, int statusCode) {
    if (failure instanceof Problem p) {
      return p;
    }
    Problem stored = io.onboarder.job.StoreProblems.of(failure);
    if (stored != null) {
      return stored;
    }
    if (failure instanceof ReplyException re) {
      return fromReply(re);
    }
    if (failure instanceof DecodeException) {
      return Problem.badRequest("The request body is not valid JSON.");
    }
    return forStatus(statusCode <= 0 ? 500 : statusCode, failure);
  }

  /**
   * An event-bus request that failed: the service did not answer in time (504), no service is there to take it
   * (503: starting, stopping, or not deployed on this node), or it refused: its own problem when it sent one,
   * else its failure code (a 4xx with its text; anything else is a 502 without internals).
   */
  static Problem fromReply(ReplyException re) {
    ReplyFailure type = re.failureType() == null ? ReplyFailure.ERROR : re.failureType();
    return switch (type) {
      case TIMEOUT -> Problem.of(504, "timeout", "Timeout", "The job service did not answer in time; try again.");
      case NO_HANDLERS -> Problem.of(503, "no-handler", "Service unavailable", "The job service is not running on "
          + "this node (starting or stopping); try again shortly.");
      case RECIPIENT_FAILURE -> {
        Problem carried = Problem.fromJson(re.getMessage());
        int code = re.failureCode();
        if (carried != null) {
          yield carried;
        }
        if (code >= 400 && code < 500) {
          yield Problem.of(code, "recipient-failure", "Request refused", re.getMessage() == null
              ? "The job service refused the request." : re.getMessage());
        }
        log.warn("the job service failed with code {}: {}", code, re.getMessage());
        yield Problem.of(code >= 500 && code < 600 ? code : 502, "recipient-failure", "Request failed",
            "The job service could not complete the request; try again.");
      }
      case ERROR -> Problem.unavailable("The request could not be delivered to the job service; try again.");
    };
  }

  static Problem forStatus(int status, Throwable failure) {
    return switch (status) {
      case 400 -> Problem.badRequest("The request is malformed.");
      case 401 -> Problem.of(401, "unauthorized", "Unauthorized",
          "Send a valid API token as 'Authorization: Bearer <token>'.");
      case 404 -> Problem.notFound("No such resource.");
      case 405 -> Problem.of(405, "method-not-allowed", "Method not allowed",
          "This resource does not support that HTTP method.");
      case 413 -> Problem.of(413, "payload-too-large", "Payload too large",
          "The request body exceeds the limit (api.maxBodyBytes); split the job.");
      case 414, 431 -> Problem.of(status, "request-too-large", "Request too large", "The request line or headers "
          + "are too large.");
      case 415 -> Problem.of(415, "unsupported-media-type", "Unsupported media type",
          "Send the body as 'Content-Type: application/json'.");
      default -> {
        if (status >= 400 && status < 500) {
          yield Problem.of(status, "client-error", "Client error", "The request was not accepted.");
        }
        log.error("internal error", failure);
        yield Problem.of(500, "internal", "Internal error", "The request could not be completed.");
      }
    };
  }
}
