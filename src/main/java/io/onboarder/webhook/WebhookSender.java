package io.onboarder.webhook;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.lease.LeasePump;
import io.onboarder.lease.LeaseQueue;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.time.Clock;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the webhook outbox to {@code WEBHOOK_URL}, on every node: a {@link LeasePump} leases due
 * deliveries from the shared store (one sender per delivery at a time), this signs each attempt (Standard Webhooks, the same
 * {@code webhook-id} every time), and records the result: delivered, due again after a backoff or
 * the receiver's {@code Retry-After}, or failed once the retry window is over. At most
 * {@code webhooks.maxConcurrency} attempts in flight per node; 15 s per attempt; redirects are not
 * followed. A {@code 410 Gone} disables the endpoint, cluster-wide, until a delivery is replayed.
 */
public final class WebhookSender extends VerticleBase
    implements LeaseQueue<WebhookOutbox.Due, WebhookSender.Attempt>, LeasePump.Sender<WebhookOutbox.Due,
    WebhookSender.Attempt> {
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
  static final long TIMEOUT_MS = 15_000;
  /** Most bytes of a receiver's answer that are read; past them the connection is closed. */
  static final int MAX_REPLY_BYTES = 4096;
  /** Longer than an attempt can take, so a lease only lapses when its sender died. */
  static final long LEASE_MS = 60_000;
  private static final long POLL_MS = 500;

  private final Settings settings;
  private final WebhookOutbox outbox;
  private final WebhookEndpoints endpoints;
  private final NodeLifecycle node;
  private final String nodeId = UUID.randomUUID().toString();
  private final String urlHash;
  private final String shownUrl;
  private final RequestOptions target;
  private final String basicAuth;
  private final WebhookRetry retry = new WebhookRetry(n -> ThreadLocalRandom.current().nextLong(n));
  private final int maxInFlight;
  private HttpClient client;
  private Metrics metrics;
  private LeasePump<WebhookOutbox.Due, Attempt> pump;
  /** 410 answers whose disabling of the endpoint is not written yet: nothing is claimed meanwhile. */
  private final Set<String> goneUnrecorded = new HashSet<>();
  private Boolean endpointEnabled;

  public WebhookSender(Settings settings, WebhookOutbox outbox, WebhookEndpoints endpoints,
                       NodeLifecycle node) {
    this.settings = settings;
    this.outbox = outbox;
    this.endpoints = endpoints;
    this.node = node;
    this.urlHash = WebhookSignature.urlHash(settings.webhookUrl());
    this.shownUrl = Settings.redactUrlForLog(settings.webhookUrl());
    this.maxInFlight = settings.webhookMaxConcurrency();
    URI uri = URI.create(settings.webhookUrl());
    // Credentials in the URL (https://user:pass@host/…) become a Basic header; they are never logged.
    String userInfo = uri.getRawUserInfo();
    this.basicAuth = userInfo == null ? null : "Basic " + Base64.getEncoder().encodeToString(
        URLDecoder.decode(userInfo, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
    String withoutUserInfo = userInfo == null ? settings.webhookUrl()
        : settings.webhookUrl().replaceFirst("://[^@/]*@", "://");
    this.target = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(withoutUserInfo)
        .setFollowRedirects(false).setConnectTimeout(TIMEOUT_MS).setIdleTimeout(TIMEOUT_MS);
  }

  @Override
  public Future<?> start() {
    metrics = Metrics.current();
    // An attempt's slot is free again as soon as the receiver answered: its result is written meanwhile
    // (the pump keeps attempts plus unwritten results under twice the window), its delivery leased until then.
    pump = new LeasePump<>("webhook delivery", Clock.of(vertx), this, this,
        new LeasePump.Options(maxInFlight, 1, maxInFlight, maxInFlight, 0, POLL_MS, POLL_MS), node::mayClaim,
        new LeasePump.Listener<>() {
          @Override
          public void storeFailed(Throwable cause) {
            log.warn("webhooks: the outbox is not readable or writable now: {}", cause.getMessage());
          }
        });
    metrics.gauge("onboarder.webhook.inflight", "Webhook attempts in flight on this node", pump::inFlight);
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout((int) TIMEOUT_MS)
        .setMaxRedirects(0), new PoolOptions().setHttp1MaxSize(maxInFlight).setMaxWaitQueueSize(maxInFlight * 2));
    // The embedded store belongs to this process alone: leases left by a previous process are void.
    Future<Integer> released = settings.clustered() ? Future.succeededFuture(0) : outbox.releaseAll();
    return vertx.eventBus().consumer(Addresses.WEBHOOKS_WAKE, m -> pump.wake()).completion()
        .compose(v -> released)
        .onSuccess(n -> {
          log.info("webhooks: sending {} to {} (at most {} in flight)", settings.webhookEvents(), shownUrl,
              maxInFlight);
          node.register(pump);
          pump.start();
        });
  }

  @Override
  public Future<?> stop() {
    // Nothing new is claimed; attempts in flight are cut short, and their deliveries go back to the outbox for
    // any node (the drain is not waited for: when Vert.x closes without the service's stop, the store may not
    // answer again).
    pump.drain(0);
    return client.close().compose(v -> outbox.release(nodeId)).recover(err -> Future.succeededFuture());
  }

  // ---- the outbox as the pump's queue --------------------------------------------------------

  /** One claim at a time (the pump's rule): attempts that finish while it runs are refilled by the next. */
  @Override
  public Future<List<WebhookOutbox.Due>> claim(int max) {
    if (!goneUnrecorded.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return endpoints.endpoint(urlHash).compose(endpoint -> {
      noteEndpoint(endpoint);
      return endpoint.enabled() ? outbox.claimDue(nodeId, max, LEASE_MS)
          : Future.succeededFuture(List.<WebhookOutbox.Due>of());
    });
  }

  /** Results are written one by one (each its own statement, as before); a lost lease is not applied. */
  @Override
  public Future<List<Attempt>> record(List<Attempt> attempts) {
    List<Attempt> applied = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Attempt a : attempts) {
      chain = chain.compose(v -> record(a.due(), a.result()).map(held -> {
        if (held) {
          applied.add(a);
        }
        return null;
      }));
    }
    return chain.map(v -> applied);
  }

  /** The claims that land while stopping are released with every other lease of this sender, in {@link #stop}. */
  @Override
  public Future<Void> release(List<WebhookOutbox.Due> unsent) {
    return Future.succeededFuture();
  }

  private void noteEndpoint(WebhookEndpoints.Endpoint endpoint) {
    if (endpointEnabled != null && endpointEnabled == endpoint.enabled()) {
      return;
    }
    if (!endpoint.enabled()) {
      log.warn("webhooks: the endpoint {} is disabled since {} ({}); deliveries are held until one is replayed "
          + "(POST /v1/webhooks/deliveries/{id}/retry)", shownUrl, endpoint.disabledAt(), endpoint.reason());
    } else if (endpointEnabled != null) {
      log.info("webhooks: the endpoint {} is enabled again", shownUrl);
    }
    endpointEnabled = endpoint.enabled();
  }

  // ---- one attempt ---------------------------------------------------------------------------

  /** What one attempt came to: an HTTP status (with Retry-After), or no answer (error text). */
  private record Result(Integer status, String retryAfter, String error) {}

  /** One attempt's delivery and result, waiting to be recorded. */
  record Attempt(WebhookOutbox.Due due, Result result) {}

  @Override
  public Future<Attempt> send(WebhookOutbox.Due due) {
    return attempt(due).map(result -> {
      if (result.status() != null && result.status() == 410) {
        goneUnrecorded.add(due.id()); // nothing is claimed until the endpoint is marked disabled in the store
      }
      return new Attempt(due, result);
    });
  }

  @Override
  public Attempt failed(WebhookOutbox.Due due, Throwable cause) {
    return new Attempt(due, failure(cause));
  }

  private Future<Result> attempt(WebhookOutbox.Due due) {
    long timestamp = System.currentTimeMillis() / 1000;
    RequestOptions options = new RequestOptions(target)
        .putHeader("content-type", "application/json")
        .putHeader("user-agent", "cyclr-onboarder-webhooks")
        .putHeader("webhook-id", due.id())
        .putHeader("webhook-timestamp", String.valueOf(timestamp))
        .putHeader("webhook-signature", WebhookSignature.sign(settings.webhookKey(), due.id(), timestamp,
            due.payload()));
    if (basicAuth != null) {
      options.putHeader("authorization", basicAuth);
    }
    Promise<Result> result = Promise.promise();
    // The whole exchange has 15 s, connecting included; a receiver that stalls after the headers is cut off too.
    Promise<io.vertx.core.http.HttpClientRequest> request = Promise.promise();
    long deadline = vertx.setTimer(TIMEOUT_MS, t -> {
      if (request.future().succeeded()) {
        request.future().result().reset();
      }
      result.tryComplete(new Result(null, null, "timeout after " + TIMEOUT_MS / 1000 + " s"));
    });
    client.request(options).onComplete(request).onComplete(req -> {
      if (req.failed()) {
        vertx.cancelTimer(deadline);
        result.tryComplete(failure(req.cause()));
        return;
      }
      req.result().send(Buffer.buffer(due.payload())).onComplete(resp -> {
        if (resp.failed()) {
          vertx.cancelTimer(deadline);
          result.tryComplete(failure(resp.cause()));
          return;
        }
        HttpClientResponse r = resp.result();
        // Only the status counts: at most MAX_REPLY_BYTES of the body are read (and dropped), then the
        // connection is cut, so an endless answer costs nothing.
        long[] read = {0};
        r.exceptionHandler(ignored -> { });
        r.handler(b -> {
          read[0] += b.length();
          if (read[0] > MAX_REPLY_BYTES) {
            vertx.cancelTimer(deadline);
            req.result().reset();
          }
        });
        r.end().onComplete(x -> vertx.cancelTimer(deadline));
        MultiMap h = r.headers();
        result.tryComplete(new Result(r.statusCode(), h.get("retry-after"), null));
      });
    });
    return result.future();
  }

  /** An error text fit for the delivery record: a class of failure, never a URL or a message that may hold one. */
  private static Result failure(Throwable err) {
    String error = err instanceof TimeoutException ? "timeout after " + TIMEOUT_MS / 1000 + " s"
        : err instanceof ConnectException ? "connection refused or unreachable"
        : err instanceof javax.net.ssl.SSLException ? "TLS handshake failed"
        : err instanceof java.net.UnknownHostException ? "unknown host"
        : String.valueOf(err.getMessage()).toLowerCase().contains("closed") ? "connection closed before an answer"
        : "request failed (" + err.getClass().getSimpleName() + ")";
    return new Result(null, null, error);
  }

  /** Writes one result; false when this sender no longer held the delivery's lease. */
  private Future<Boolean> record(WebhookOutbox.Due due, Result r) {
    if (r.status() != null && r.status() >= 200 && r.status() < 300) {
      metrics.webhook("delivered");
      return outbox.delivered(due.id(), nodeId, r.status());
    }
    long delay = retry.delayMs(due.attempts() + 1, r.retryAfter(), System.currentTimeMillis());
    String error = r.status() == null ? r.error()
        : r.status() >= 300 && r.status() < 400 ? "HTTP " + r.status() + " (redirects are not followed)"
        : r.status() == 410 ? "HTTP 410 Gone: endpoint disabled"
        : "HTTP " + r.status();
    Future<Void> gone = Future.succeededFuture();
    if (r.status() != null && r.status() == 410) {
      metrics.webhook("gone");
      log.warn("webhooks: {} answered 410 Gone to delivery {}: the endpoint is disabled; deliveries are held "
          + "until one is replayed (POST /v1/webhooks/deliveries/{id}/retry)", shownUrl, due.id());
      endpointEnabled = false;
      gone = endpoints.disable(urlHash, "HTTP 410 Gone answered to delivery " + due.id())
          .eventually(() -> {
            goneUnrecorded.remove(due.id());
            return Future.succeededFuture();
          });
    }
    return gone.compose(v -> outbox.attemptFailed(due.id(), nodeId, r.status(), error, delay,
        WebhookRetry.WINDOW.toMillis())).map(status -> {
          if ("FAILED".equals(status)) {
            metrics.webhook("failed");
            log.warn("webhooks: delivery {} ({}) failed for good after {} attempts over {} h: {}", due.id(),
                due.type(), due.attempts() + 1, WebhookRetry.WINDOW.toHours(), error);
          } else if (status != null) {
            metrics.webhook("retry");
            log.debug("webhooks: delivery {} attempt {} failed ({}); next in {} ms", due.id(), due.attempts() + 1,
                error, delay);
          }
          return status != null;
        });
  }
}
