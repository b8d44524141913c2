package io.onboarder.webhook;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.config.Settings;
import io.onboarder.job.JobService;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook deliveries API behind {@code GET /v1/webhooks/deliveries} and
 * {@code POST /v1/webhooks/deliveries/{id}/retry}, on every node, answered from the shared outbox.
 * Callers see the deliveries of their own jobs (admins see all). A replay re-enables an endpoint
 * that a 410 disabled.
 */
public final class WebhookService extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(WebhookService.class);
  private static final Set<String> STATUSES = Set.of("PENDING", "DELIVERED", "FAILED");

  private final Settings settings;
  private final WebhookOutbox outbox;
  private final WebhookEndpoints endpoints;

  public WebhookService(Settings settings, WebhookOutbox outbox, WebhookEndpoints endpoints) {
    this.settings = settings;
    this.outbox = outbox;
    this.endpoints = endpoints;
  }

  @Override
  public Future<?> start() {
    return Future.all(
        vertx.eventBus().<JsonObject>localConsumer(Addresses.WEBHOOKS_DELIVERIES, this::list).completion(),
        vertx.eventBus().<JsonObject>localConsumer(Addresses.WEBHOOKS_REPLAY, this::replay).completion());
  }

  /** Null: every owner (admin token, or auth disabled). */
  private static String ownerFilter(Message<?> msg) {
    String name = msg.headers().get(JobService.CALLER);
    return name == null || "true".equals(msg.headers().get(JobService.ADMIN)) ? null : name;
  }

  private void list(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    String status = q.getString("status");
    if (status != null && !STATUSES.contains(status)) {
      fail(msg, Problem.badRequest("status must be one of PENDING, DELIVERED, FAILED"));
      return;
    }
    String owner = ownerFilter(msg);
    int limit = Math.max(1, Math.min(1000, q.getInteger("limit", 100)));
    Future<JsonObject> endpoint = !settings.webhooksEnabled() ? Future.succeededFuture(null)
        : endpoints.endpoint(WebhookSignature.urlHash(settings.webhookUrl())).map(e -> new JsonObject()
            // Where the deliveries go is the operator's business: only admins see it.
            .put("url", owner == null ? Settings.redactUrlForLog(settings.webhookUrl()) : null)
            .put("enabled", e.enabled())
            .put("disabledAt", e.disabledAt())
            .put("reason", e.reason())
            .put("events", new JsonArray(settings.webhookEvents().stream().sorted().toList())));
    Future<JsonObject> counts = owner == null ? outbox.counts() : Future.succeededFuture(null);
    reply(msg, outbox.list(status, owner, limit, q.getString("cursor"))
        .compose(page -> Future.all(endpoint, counts).map(x -> {
          JsonObject out = new JsonObject()
              .put("deliveries", new JsonArray(page.deliveries()))
              .put("next", page.next())
              .put("endpoint", endpoint.result());
          if (counts.result() != null) {
            out.put("counts", counts.result());
          }
          return out;
        })));
  }

  private void replay(Message<JsonObject> msg) {
    String id = msg.body().getString("id");
    String owner = ownerFilter(msg);
    Future<Void> enable = settings.webhooksEnabled()
        ? endpoints.enable(WebhookSignature.urlHash(settings.webhookUrl())) : Future.succeededFuture();
    reply(msg, outbox.delivery(id, owner).compose(found -> {
      if (found == null) {
        return Future.failedFuture(Problem.notFound("No webhook delivery with id '" + id + "'."));
      }
      return enable.compose(v -> outbox.replay(id, owner)).map(replayed -> {
        LogKeys.job(log.atInfo(), replayed.getString("jobId"), msg.headers().get(JobService.CALLER))
            .log("webhooks: delivery {} ({}) replayed by {}; it is due now", id, replayed.getString("type"),
                msg.headers().get(JobService.CALLER));
        vertx.eventBus().publish(Addresses.WEBHOOKS_WAKE, new JsonObject());
        return replayed;
      });
    }));
  }

  private static void reply(Message<?> msg, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        fail(msg, ar.cause());
      }
    });
  }

  private static void fail(Message<?> msg, Throwable err) {
    if (err instanceof Problem p) {
      msg.fail(p.status(), p.toJson().encode());
    } else {
      log.error("request on {} failed: {}", msg.address(), err.toString());
      msg.fail(503, Problem.busy("The webhook outbox is not readable now; try again shortly.", 5).toJson().encode());
    }
  }
}
