package io.onboarder.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What the job core and the Cyclr gateway say to each other on this node's event bus: one record per request
 * and reply on {@value Addresses#GATEWAY_ONBOARD}, {@value Addresses#GATEWAY_ACCOUNT} and
 * {@value Addresses#GATEWAY_SIGNIN}, passed by reference with a local codec (no JSON built or copied per item).
 * These addresses are local only: JSON stays on the public addresses and the bridge. Statuses are the names of
 * {@code ItemStatus} and {@code AccountStatus}; the nested JSON (connector, template, activation, properties)
 * is the job's own spec, which neither side changes once sent.
 */
public final class GatewayContract {
  private GatewayContract() {}

  /** Where a sign-in link sends the tenant, and whether to mint Cyclr's token now (false with relay links). */
  public record LinkOptions(String targetOrigin, String callbackMessage, String username, boolean mint) {}

  /**
   * One item to onboard. {@code checkOnly}: a recovered item of a cancelled or stopped job, checked at Cyclr but
   * never installed; {@code recovered}: it may exist at Cyclr already, so the gateway's cancel does not bounce it.
   */
  public record ItemRequest(String jobId, long itemId, String account, String authValue, JsonArray properties,
                            JsonObject connector, String installName, String description, LinkOptions link,
                            boolean createAccounts, boolean dryRun, boolean checkOnly, boolean recovered) {}

  /**
   * The outcome of an item: a status, or PENDING handed back ({@code recovered}: an install may have been sent;
   * {@code cancelled}: its job was cancelled before anything was sent).
   */
  public record ItemReply(String status, Long connectorId, String connectorName, Long accountConnectorId,
                          String oauthUrl, String oauthExpiresAt, JsonObject error, boolean recovered,
                          boolean cancelled) {
    private static final String PENDING = "PENDING";

    public static ItemReply handBack(boolean recovered) {
      return new ItemReply(PENDING, null, null, null, null, null, null, recovered, false);
    }

    public static ItemReply cancelledJob() {
      return new ItemReply(PENDING, null, null, null, null, null, null, false, true);
    }

    public static ItemReply failed(JsonObject error) {
      return new ItemReply("FAILED", null, null, null, null, null, error, false, false);
    }
  }

  /**
   * One account step of a job with a template. {@code checkOnly}: look, change nothing; {@code cycleId}: the cycle
   * found before; {@code linked}: account connector ids already sent a link.
   */
  public record AccountStepRequest(String jobId, String account, JsonObject template, JsonObject activate,
                                   boolean dryRun, boolean checkOnly, boolean recovered, String cycleId,
                                   JsonArray linked, LinkOptions link) {}

  /**
   * The outcome of an account step, or {@code handBack}: it ends nothing and goes back to the store as it was
   * ({@code recovered}: an install may have been sent). {@code watch}: check again later for a sign-in.
   */
  public record AccountStepReply(boolean handBack, boolean recovered, String status, boolean watch, String cycleId,
                                 JsonArray prerequisites, JsonArray links, JsonObject error) {
    public static AccountStepReply handBack(boolean recovered) {
      return new AccountStepReply(true, recovered, null, false, null, null, null, null);
    }

    public static AccountStepReply failed(JsonObject error) {
      return new AccountStepReply(false, false, "FAILED", false, null, null, null, error);
    }
  }

  /**
   * A sign-in call: {@code CHECK} is it authenticated; {@code START} check, then mint only if not; {@code MINT};
   * {@code HEALTH} is it still authenticated (credential health: only a clear {@code false} says so, an unclear
   * answer fails). Any account connector id will do, an item's or a fleet tenant's.
   */
  public enum SignInOp { CHECK, START, MINT, HEALTH }

  /** A sign-in call at Cyclr for one account connector; a failure is code 503 with the reason. */
  public record SignInRequest(SignInOp op, String account, Long accountConnectorId, LinkOptions link) {}

  /** {@code found}: the account connector still exists; {@code url}, {@code expiresAt}: a minted link. */
  public record SignInReply(boolean found, boolean authenticated, String url, String expiresAt) {}

  /**
   * Registers the local codecs on this Vert.x's event bus, those of {@link FleetContract} too. Once per Vert.x, at
   * start-up (a second call throws): never from a verticle that may be deployed more than once.
   */
  public static void register(EventBus bus) {
    bus.registerDefaultCodec(ItemRequest.class, new LocalCodec<>(ItemRequest.class))
        .registerDefaultCodec(ItemReply.class, new LocalCodec<>(ItemReply.class))
        .registerDefaultCodec(AccountStepRequest.class, new LocalCodec<>(AccountStepRequest.class))
        .registerDefaultCodec(AccountStepReply.class, new LocalCodec<>(AccountStepReply.class))
        .registerDefaultCodec(SignInRequest.class, new LocalCodec<>(SignInRequest.class))
        .registerDefaultCodec(SignInReply.class, new LocalCodec<>(SignInReply.class));
    FleetContract.register(bus);
  }

  /** Passes an immutable record by reference on this node; it never goes over the wire. */
  static final class LocalCodec<T> implements MessageCodec<T, T> {
    private final Class<T> type;

    LocalCodec(Class<T> type) {
      this.type = type;
    }

    @Override
    public void encodeToWire(Buffer buffer, T t) {
      throw new UnsupportedOperationException(type.getSimpleName() + " is sent on this node only (localOnly)");
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException(type.getSimpleName() + " is sent on this node only (localOnly)");
    }

    @Override
    public T transform(T t) {
      return t;
    }

    @Override
    public String name() {
      return "onboarder.local." + type.getSimpleName();
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
