package io.onboarder.cyclr;

import io.onboarder.bus.Addresses;
import io.onboarder.config.Settings;
import io.onboarder.job.ItemStatus;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only code that talks to Cyclr. Takes items on {@value Addresses#GATEWAY_ONBOARD} and replies
 * with their outcome. Items of the same account run one after another, so two items (even of two
 * jobs) can never both decide "not installed yet" and install twice.
 */
public final class CyclrGatewayVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CyclrGatewayVerticle.class);

  private final Settings settings;
  private CyclrClient client;
  private OnboardFlow flow;
  private final Map<String, Future<?>> accountTails = new HashMap<>();
  private int active;

  public CyclrGatewayVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    RequestGate gate = new RequestGate(vertx, settings.maxConcurrency(), settings.ratePerSecond(),
        settings.breakerThreshold(), settings.breakerOpenMs());
    client = new CyclrClient(vertx, settings.cyclrApiUrl(), settings.clientId(), settings.clientSecret(),
        settings.cyclrRequestTimeoutMs(), settings.maxAttempts(), settings.maxConcurrency(), gate,
        new RetryPolicy(200, 10_000), Metrics.current(), new CyclrLimits(settings.cyclrMaxResponseBytes(),
        settings.cyclrMaxPages(), settings.cyclrMaxRows()));
    // After an ambiguous install, wait a fraction of the request timeout (1-5 s) before checking.
    long settle = Math.max(1_000, Math.min(5_000, settings.cyclrRequestTimeoutMs() / 6));
    flow = new OnboardFlow(vertx, client, settings.signInMode(), settings.cyclrServiceUrl(), settings.maxAttempts(),
        settle);
    MessageConsumer<JsonObject> onboard = vertx.eventBus().localConsumer(Addresses.GATEWAY_ONBOARD, this::onboard);
    MessageConsumer<JsonObject> status = vertx.eventBus().localConsumer(Addresses.GATEWAY_STATUS, this::status);
    MessageConsumer<JsonObject> drain = vertx.eventBus().localConsumer(Addresses.GATEWAY_DRAIN, msg -> {
      gate.close("draining");
      msg.reply(new JsonObject().put("inFlight", gate.inFlight()).put("active", active));
    });
    return Future.all(onboard.completion(), status.completion(), drain.completion());
  }

  @Override
  public Future<?> stop() {
    client.gate().close("stopped");
    return client.close();
  }

  private void onboard(Message<JsonObject> msg) {
    JsonObject item = msg.body();
    String account = item.getString("account");
    active++;
    // Chain after whatever this account is already doing.
    Future<?> previous = accountTails.getOrDefault(account, Future.succeededFuture());
    Future<JsonObject> mine = previous.transform(ignored -> flow.onboard(item))
        .map(OnboardFlow.Result::toJson)
        .recover(err -> Future.succeededFuture(failure(err, item)));
    accountTails.put(account, mine);
    mine.onComplete(ar -> {
      active--;
      if (accountTails.get(account) == mine) {
        accountTails.remove(account);
      }
      msg.reply(ar.result());
    });
  }

  /**
   * The reply for an item that failed, logged in one line. Its message goes through
   * {@link Redaction} here, the one place every error text passes before it is stored, returned,
   * published or logged: Cyclr's text might quote what it was sent.
   */
  private JsonObject failure(Throwable err, JsonObject item) {
    if (err instanceof CyclrException.ShuttingDown s) {
      return new JsonObject().put("status", ItemStatus.PENDING.name()).put("recovered", s.afterInstall());
    }
    String authValue = item.getString("authValue");
    String code;
    String message;
    Integer httpStatus = null;
    if (err instanceof CyclrException e) {
      code = e.code();
      message = Redaction.clean(e.getMessage(), authValue, settings.clientSecret());
      httpStatus = e.httpStatus();
    } else {
      // A bug, not Cyclr: still one line (its text redacted too), the stack trace only at debug level.
      code = "INTERNAL";
      message = "unexpected error: " + err.getClass().getSimpleName();
      log.warn("item {} (account {}): unexpected {}: {}", item.getValue("itemId"), item.getString("account"),
          err.getClass().getName(), Redaction.clean(err.getMessage(), authValue, settings.clientSecret()));
      log.debug("unexpected failure", err);
    }
    log.warn("item {} (account {}) failed: {} {}", item.getValue("itemId"), item.getString("account"), code,
        message);
    return new JsonObject().put("status", ItemStatus.FAILED.name()).put("error", new JsonObject()
        .put("code", code).put("message", message).put("httpStatus", httpStatus));
  }

  private void status(Message<JsonObject> msg) {
    RequestGate gate = client.gate();
    msg.reply(new JsonObject()
        .put("breaker", gate.breakerState().name())
        .put("inFlight", gate.inFlight())
        .put("waiting", gate.waiting())
        .put("rate", Double.isInfinite(gate.currentRate()) ? null : gate.currentRate())
        .put("maxObservedInFlight", gate.maxObservedInFlight())
        .put("activeItems", active));
  }
}
