package io.onboarder.signin;

import io.vertx.core.Future;

/**
 * The per-link limit on Cyclr sign-in token mints, counted in the job store's database so that it holds
 * across nodes (the Connect button of a relay link mints one token per press).
 */
public interface LinkMints {

  /**
   * Takes one Cyclr sign-in token mint of the token's link: at most {@code max} per {@code windowMs}, counted in
   * the database so that it holds across nodes. 0 if taken, else the milliseconds until the window ends (a token
   * no link has gets the whole window: nothing to mint).
   */
  Future<Long> takeMint(String token, int max, long windowMs);
}
