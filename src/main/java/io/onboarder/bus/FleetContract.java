package io.onboarder.bus;

import io.onboarder.bus.GatewayContract.LocalCodec;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What the fleet code and the Cyclr gateway say to each other on this node's event bus: a tenant's live state
 * at Cyclr ({@value Addresses#GATEWAY_LIVE_STATE}) and the removal of one install ({@value Addresses#GATEWAY_REMOVE}),
 * passed by reference with the same local codec as {@link GatewayContract}. Both always reply with their record:
 * a call that failed at Cyclr carries a {@link CyclrFailure} instead of a result (never an event-bus failure),
 * so the caller can tell "try later" from "this will not work" without parsing text.
 */
public final class FleetContract {
  private FleetContract() {}

  /**
   * Why a read or a removal did not succeed at Cyclr, after the gateway's own bounded retries. {@code code} is the
   * gateway's error code (e.g. {@code CYCLR_UNAVAILABLE}, {@code CYCLR_TOO_MANY_PAGES}, {@code CYCLR_4XX});
   * {@code message} is redacted and safe to store or show; {@code httpStatus} is Cyclr's answer when there was one.
   * {@code retryable}: trying again later may succeed (Cyclr unavailable or rate limiting, the node shutting down,
   * an outcome not known); false: the same request will fail the same way (Cyclr refused it, an answer past the
   * bounds or unreadable, credentials refused). {@code io.onboarder.cyclr.RetryPolicy} decides which.
   */
  public record CyclrFailure(String code, String message, Integer httpStatus, boolean retryable) {}

  /**
   * Read one tenant's live state. {@code account}: the Cyclr account id. {@code connector}: the connector as jobs
   * carry it, {@code {"id": n}} or {@code {"name": s, "version": s?}}: only the account's installs of that connector
   * are returned. {@code template}: {@code {"id": s}} or {@code {"name": s}}, or null to read no cycles at all.
   */
  public record LiveStateRequest(String account, JsonObject connector, JsonObject template) {}

  /**
   * One install (account connector) of the requested connector. {@code name}: the install's own name (the job's
   * {@code installName}); {@code version}: the connector's version as Cyclr lists it, or null;
   * {@code authenticated}: Cyclr's {@code Authenticated} flag (false once a grant is revoked or deauthenticated).
   */
  public record LiveConnector(long accountConnectorId, Long connectorId, String name, String version,
                              boolean authenticated) {}

  /** One cycle of the requested template; {@code status} as Cyclr says it ({@code Active}, {@code Paused}, ...). */
  public record LiveCycle(String cycleId, String templateId, String status) {}

  /**
   * The reply to a {@link LiveStateRequest}: either {@code failure} is null and the rest is the tenant's state, or
   * it says why none could be read. {@code accountExists} false (Cyclr answered 404 for the account) comes with
   * empty lists. The lists are complete (every page read) or the read fails ({@code CYCLR_TOO_MANY_PAGES},
   * {@code CYCLR_TOO_MANY_ROWS}): a cut list would hide an install.
   */
  public record LiveStateReply(boolean accountExists, List<LiveConnector> connectors, List<LiveCycle> cycles,
                               CyclrFailure failure) {
    public static LiveStateReply of(boolean accountExists, List<LiveConnector> connectors, List<LiveCycle> cycles) {
      return new LiveStateReply(accountExists, List.copyOf(connectors), List.copyOf(cycles), null);
    }

    public static LiveStateReply failed(CyclrFailure failure) {
      return new LiveStateReply(false, List.of(), List.of(), failure);
    }

    public boolean succeeded() {
      return failure == null;
    }
  }

  /** What a removal removes: an account connector ({@code DELETE /v1.0/account/connectors/{id}}) or a cycle. */
  public enum RemovalKind { CONNECTOR, CYCLE }

  /** Remove one install of {@code account}: an account connector id (a number as text) or a cycle id. */
  public record RemovalRequest(String account, RemovalKind kind, String id) {}

  /** How a removal ended: {@code REMOVED} now, {@code ALREADY_GONE} (Cyclr answered 404), or {@code FAILED}. */
  public enum RemovalOutcome { REMOVED, ALREADY_GONE, FAILED }

  /** The reply to a {@link RemovalRequest}; {@code failure} is set exactly when the outcome is FAILED. */
  public record RemovalReply(RemovalOutcome outcome, CyclrFailure failure) {
    public static final RemovalReply REMOVED = new RemovalReply(RemovalOutcome.REMOVED, null);
    public static final RemovalReply ALREADY_GONE = new RemovalReply(RemovalOutcome.ALREADY_GONE, null);

    public static RemovalReply failed(CyclrFailure failure) {
      return new RemovalReply(RemovalOutcome.FAILED, failure);
    }

    public boolean succeeded() {
      return failure == null;
    }
  }

  /** Registers the local codecs; {@link GatewayContract#register} does it, so one call at start-up covers both. */
  static void register(EventBus bus) {
    bus.registerDefaultCodec(LiveStateRequest.class, new LocalCodec<>(LiveStateRequest.class))
        .registerDefaultCodec(LiveStateReply.class, new LocalCodec<>(LiveStateReply.class))
        .registerDefaultCodec(RemovalRequest.class, new LocalCodec<>(RemovalRequest.class))
        .registerDefaultCodec(RemovalReply.class, new LocalCodec<>(RemovalReply.class));
  }
}
