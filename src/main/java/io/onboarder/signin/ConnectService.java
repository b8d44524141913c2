package io.onboarder.signin;

import io.onboarder.bus.Addresses;
import io.onboarder.history.AccountHistory;
import io.onboarder.history.HistoryEntry;
import io.onboarder.history.HistoryKind;
import io.onboarder.bus.GatewayContract.LinkOptions;
import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.job.ItemStatus;
import io.onboarder.logs.LogKeys;
import io.onboarder.metrics.Metrics;
import io.vertx.core.Future;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the public relay-link pages do, on {@value Addresses#CONNECT} (local): {@code view} reads the link
 * (never calls Cyclr, so a mail filter opening it burns nothing); {@code start} (the Connect button, a
 * POST) checks at Cyclr and mints a fresh sign-in token only if the tenant has not signed in (and at most
 * {@code links.maxMints} per link per {@code links.mintWindowMinutes}, counted in the store); {@code done}
 * (the browser's return from Cyclr) checks at once and forwards to the job's own targetOrigin. Replies a
 * page model {@code {"page": connect|connected|gone|redirect|too-many|unavailable, …}} that the HTTP API renders.
 * Any node serves any link: everything comes from the store. The funnel's marks ({@link Campaigns#opened} on a
 * view of the Connect page, {@link Campaigns#started} on a mint) tell a mail scanner that only fetches the page
 * from a tenant who pressed Connect.
 */
public final class ConnectService extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ConnectService.class);
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000);

  private final SignIns store;
  private final LinkMints mints;
  private final Campaigns funnel;
  private final AccountHistory history;
  private final SignInPolicy policy;
  private final int maxMints;
  private final long mintWindowMs;

  /** At most {@code maxMints} Cyclr sign-in tokens per link per {@code mintWindowMs} (a tenant needs a few). */
  public ConnectService(SignIns store, LinkMints mints, Campaigns funnel, AccountHistory history, SignInPolicy policy,
                        int maxMints, long mintWindowMs) {
    this.store = store;
    this.mints = mints;
    this.funnel = funnel;
    this.history = history;
    this.policy = policy;
    this.maxMints = maxMints;
    this.mintWindowMs = mintWindowMs;
  }

  @Override
  public Future<?> start() {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().localConsumer(Addresses.CONNECT, this::handle);
    return consumer.completion();
  }

  private void handle(Message<JsonObject> msg) {
    String op = msg.body().getString("op", "");
    String token = msg.body().getString("token");
    Future<JsonObject> page = token == null ? Future.succeededFuture(gone()) : store.link(token).compose(link -> {
      if (link == null || link.revoked()) {
        return Future.succeededFuture(gone());
      }
      return switch (op) {
        case "view" -> {
          JsonObject shown = view(link);
          yield ("connect".equals(shown.getString("page")) ? mark(funnel.opened(token), "opened").map(shown)
              : Future.succeededFuture(shown)).compose(shownPage -> opened(link, shownPage));
        }
        case "start" -> start(link, token);
        case "done" -> done(link);
        default -> Future.succeededFuture(gone());
      };
    });
    page.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        log.warn("relay link page ({}) failed: {}", op, ar.cause().getMessage());
        msg.reply(new JsonObject().put("page", "unavailable"));
      }
    });
  }

  /**
   * A link opened on its Connect page goes into the account's history, at most once an hour per item (a tenant who
   * reloads, or a mail scanner that opens every link, adds one line, not hundreds). The page never waits for it.
   */
  private Future<JsonObject> opened(SignIns.LinkView link, JsonObject page) {
    if ("connect".equals(page.getString("page"))) {
      String hour = Instant.now().truncatedTo(ChronoUnit.HOURS).toString();
      history.record(new HistoryEntry(link.account(), Instant.now().toString(), HistoryKind.LINK_OPENED, link.jobId(),
              null, null, new JsonObject().put("itemId", String.valueOf(link.itemId()))
              .put("connectorName", link.connectorName()), "link.opened:" + link.itemId() + ":" + hour))
          .onFailure(err -> LogKeys.item(log.atWarn(), link.jobId(), link.itemId(), link.account())
              .log("recording link.opened for item {} failed: {}", link.itemId(), err.getMessage()));
    }
    return Future.succeededFuture(page);
  }

  private static JsonObject gone() {
    return new JsonObject().put("page", "gone");
  }

  private static JsonObject connected(SignIns.LinkView link) {
    return new JsonObject().put("page", "connected").put("connectorName", link.connectorName());
  }

  private static JsonObject view(SignIns.LinkView link) {
    if (link.status() == ItemStatus.AUTHENTICATED) {
      return connected(link);
    }
    if (!link.usable() || !link.status().awaitsSignIn()) {
      return gone();
    }
    return new JsonObject().put("page", "connect").put("connectorName", link.connectorName())
        .put("expiresAt", link.expiresAt());
  }

  /**
   * The Connect button: a fresh Cyclr sign-in token now, unless the tenant signed in already or the link has
   * had its mints for now ({@code links.maxMints} per {@code links.mintWindowMinutes}: page "too-many").
   */
  private Future<JsonObject> start(SignIns.LinkView link, String token) {
    JsonObject page = view(link);
    if (!"connect".equals(page.getString("page"))) {
      return Future.succeededFuture(page);
    }
    return mints.takeMint(token, maxMints, mintWindowMs).compose(waitMs -> waitMs > 0
        ? Future.succeededFuture(new JsonObject().put("page", "too-many").put("retryAfter", (waitMs + 999) / 1000))
        : mint(link, token));
  }

  private Future<JsonObject> mint(SignIns.LinkView link, String token) {
    JsonObject oauth = link.oauth();
    String callbackMessage = oauth.getString("callbackMessage");
    // With a callbackMessage the job wants Cyclr's postMessage to its own origin; otherwise the browser
    // comes back here, so that the sign-in is noticed at once.
    String targetOrigin = callbackMessage != null ? oauth.getString("targetOrigin")
        : policy.returnUrl(token);
    SignInRequest call = new SignInRequest(SignInOp.START, link.account(), link.accountConnectorId(),
        new LinkOptions(targetOrigin, callbackMessage, oauth.getString("username"), true));
    return vertx.eventBus().<SignInReply>request(Addresses.GATEWAY_SIGNIN, call, TO_GATEWAY)
        .map(reply -> reply.body())
        .compose(state -> {
          if (!state.found()) {
            return store.stopWatch(link.itemId()).map(v -> gone());
          }
          if (state.authenticated()) {
            return store.markAuthenticated(link.itemId()).map(a -> {
              SignedIn.noted(a, "a visit to its link");
              return connected(link);
            });
          }
          // Started: Connect pressed and a sign-in token minted (opened too, for a POST without a view first).
          return mark(funnel.opened(token), "opened").compose(v -> mark(funnel.started(token), "started"))
              .compose(v -> store.visited(link.itemId()))
              .map(v -> new JsonObject().put("page", "redirect").put("location", state.url()));
        }, err -> Future.succeededFuture(new JsonObject().put("page", "unavailable")));
  }

  /**
   * A stage of the funnel reached: counted in the store (the first time per link) and, by the node that made it
   * first, in {@code onboarder_signin_funnel_total}. A failed mark does not fail the page.
   */
  private static Future<Void> mark(Future<Boolean> first, String stage) {
    return first.map(isFirst -> {
      if (isFirst) {
        Metrics.current().signInFunnel(stage);
      }
      return (Void) null;
    }).otherwise(err -> {
      log.warn("relay link funnel mark ({}) failed: {}", stage, err.getMessage());
      return null;
    });
  }

  /** Back from Cyclr: check at once, then on to the job's own page. */
  private Future<JsonObject> done(SignIns.LinkView link) {
    String targetOrigin = link.oauth().getString("targetOrigin");
    JsonObject onward = targetOrigin == null ? connected(link)
        : new JsonObject().put("page", "redirect").put("location", targetOrigin);
    if (link.status() == ItemStatus.AUTHENTICATED) {
      return Future.succeededFuture(onward);
    }
    if (!link.usable() || !link.status().awaitsSignIn()) {
      return Future.succeededFuture(gone());
    }
    SignInRequest call = new SignInRequest(SignInOp.CHECK, link.account(), link.accountConnectorId(), null);
    return vertx.eventBus().<SignInReply>request(Addresses.GATEWAY_SIGNIN, call, TO_GATEWAY)
        .compose(reply -> reply.body().authenticated()
            ? store.markAuthenticated(link.itemId()).map(a -> {
              SignedIn.noted(a, "the return from Cyclr");
              return onward;
            })
            // Not (yet) signed in, or Cyclr did not answer: the watch looks again soon.
            : store.visited(link.itemId()).map(onward), err -> store.visited(link.itemId()).map(onward));
  }
}
