package io.onboarder.cyclr;

import io.vertx.core.json.JsonObject;

/** A Cyclr call that ended an item: a stable error code, Cyclr's message, and the HTTP status if any. */
public class CyclrException extends RuntimeException {
  private final String code;
  private final Integer httpStatus;

  public CyclrException(String code, String message, Integer httpStatus) {
    super(message, null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public String code() {
    return code;
  }

  public Integer httpStatus() {
    return httpStatus;
  }

  public JsonObject toJson() {
    return new JsonObject().put("code", code).put("message", getMessage()).put("httpStatus", httpStatus);
  }

  /** A non-idempotent call whose effect is unknown (timeout, connection lost, 502/504): verify before re-sending. */
  public static final class Ambiguous extends CyclrException {
    public Ambiguous(String message) {
      super("CYCLR_AMBIGUOUS", message, null);
    }
  }

  /**
   * Cyclr's answer could not be read: too large ({@code CYCLR_RESPONSE_TOO_LARGE}) or not what the
   * call expects ({@code CYCLR_BAD_RESPONSE}). Its message never quotes the body.
   */
  public static final class Unreadable extends CyclrException {
    public Unreadable(String code, String message, Integer httpStatus) {
      super(code, message, httpStatus);
    }
  }

  /** The gateway is draining for shutdown: the item goes back to PENDING untried. */
  public static final class ShuttingDown extends CyclrException {
    private final boolean afterInstall;

    public ShuttingDown() {
      this(false);
    }

    /** {@code afterInstall}: an install was sent for this item, so it may exist at Cyclr. */
    public ShuttingDown(boolean afterInstall) {
      super("SHUTTING_DOWN", "the service is shutting down", null);
      this.afterInstall = afterInstall;
    }

    public boolean afterInstall() {
      return afterInstall;
    }
  }
}
