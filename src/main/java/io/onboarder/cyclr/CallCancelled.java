package io.onboarder.cyclr;

/**
 * A call abandoned before it was sent, because its item's job was cancelled: nothing reached Cyclr
 * for it, so the item goes back untried (PENDING, not recovered).
 */
public final class CallCancelled extends CyclrException {
  public CallCancelled() {
    super("CANCELLED", "the job was cancelled before this call was sent", null);
  }
}
