package io.onboarder.cyclr;

/** How one Cyclr exchange ended, as {@link RetryPolicy#classify} decides. */
public enum CallKind {
  /** 2xx. */
  SUCCESS,
  /** Not processed, or safe to send again: back off and retry (bounded by maxAttempts). */
  RETRYABLE,
  /** 429: the whole gateway pauses for Retry-After and slows down. */
  RATE_LIMITED,
  /** A non-idempotent call may or may not have taken effect: verify at Cyclr before re-sending. */
  AMBIGUOUS,
  /** 401: refresh the access token once, then retry. */
  UNAUTHORIZED,
  /** Cyclr said no (4xx): do not retry; the item fails with Cyclr's message. */
  FATAL
}
