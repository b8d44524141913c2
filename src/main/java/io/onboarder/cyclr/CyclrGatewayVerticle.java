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
  private final java.util.function.BooleanSupplier mayInstall;
  private CyclrClient client;
  private OnboardFlow flow;
  private final Map<String, Future<?>> accountTails = new HashMap<>();
  private int active;

  /** {@code mayInstall}: false while this node's item leases may have lapsed (see NodeState#holdsLeases). */
  public CyclrGatewayVerticle(Settings settings, java.util.function.BooleanSupplier mayInstall) {
    this.settings = settings;
    this.mayInstall = mayInstall;
  }

  @Override
  public Future<?> start() {
    RequestGate gate = new RequestGate(vertx, settings.maxConcurrency(), settings.ratePerSecond(),
        settings.breakerThreshold(), settings.breakerOpenMs());
    client = new CyclrClient(vertx, settings.cyclrApiUrl(), settings.clientId(), settings.clientSecret(),
        settings.cyclrRequestTimeoutMs(), settings.maxAttempts(), settings.maxConcurrency(), gate,
        new RetryPolicy(200, 10_000), Metrics.current());
    // After an ambiguous install, wait a fraction of the request timeout (1-5 s) before checking.
    long settle = Math.max(1_000, Math.min(5_000, settings.cyclrRequestTimeoutMs() / 6));
    flow = new OnboardFlow(vertx, client, settings.signInMode(), settings.cyclrServiceUrl(), settings.maxAttempts(),
        settle, mayInstall);
    MessageConsumer<JsonObject> onboard = vertx.eventBus().localConsumer(Addresses.GATEWAY_ONBOARD, this::onboard);
    MessageConsumer<JsonObject> status = vertx.eventBus().localConsumer(Addresses.GATEWAY_STATUS, this::status);
    MessageConsumer<JsonObject> signIn = vertx.eventBus().localConsumer(Addresses.GATEWAY_SIGNIN,
        msg -> SignInCalls.handle(flow, msg));
    MessageConsumer<JsonObject> drain = vertx.eventBus().localConsumer(Addresses.GATEWAY_DRAIN, msg -> {
      gate.close("draining");
      msg.reply(new JsonObject().put("inFlight", gate.inFlight()).put("active", active));
    });
    return Future.all(onboard.completion(), status.completion(), drain.completion(), signIn.completion());
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
        .recover(err -> Future.succeededFuture(redact(failure(err), item.getString("authValue"))));
    accountTails.put(account, mine);
    mine.onComplete(ar -> {
      active--;
      if (accountTails.get(account) == mine) {
        accountTails.remove(account);
      }
      msg.reply(ar.result());
    });
  }

  /** Cyclr's error text might quote what it was sent: never let the auth value through. */
  static JsonObject redact(JsonObject reply, String authValue) {
    JsonObject error = reply.getJsonObject("error");
    if (error != null && authValue != null && authValue.length() >= 4) {
      String message = error.getString("message");
      if (message != null && message.contains(authValue)) {
        error.put("message", message.replace(authValue, "[redacted]"));
      }
    }
    return reply;
  }

  private static JsonObject failure(Throwable err) {
    if (err instanceof CyclrException.ShuttingDown s) {
      return new JsonObject().put("status", ItemStatus.PENDING.name()).put("recovered", s.afterInstall());
    }
    if (err instanceof CyclrException e) {
      return new JsonObject().put("status", ItemStatus.FAILED.name()).put("error", e.toJson());
    }
    log.warn("unexpected failure while onboarding an item", err);
    return new JsonObject().put("status", ItemStatus.FAILED.name()).put("error", new JsonObject()
        .put("code", "INTERNAL").put("message", "unexpected error: " + err.getClass().getSimpleName()));
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
