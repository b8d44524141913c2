package io.onboarder.store;

import io.onboarder.signin.LinkMints;
import io.onboarder.store.MemorySignIns.MLink;
import io.vertx.core.Future;

/**
 * The mint counter of each relay link of a {@link MemoryStores}, with the rules of {@code SqlLinkMints}:
 * a window starts with its first mint and counts on the store's clock; a token no link has mints nothing.
 */
final class MemoryLinkMints implements LinkMints {
  private final MemoryStores store;
  private final MemorySignIns links;

  MemoryLinkMints(MemoryStores store, MemorySignIns links) {
    this.store = store;
    this.links = links;
  }

  @Override
  public Future<Long> takeMint(String token, int max, long windowMs) {
    return store.tx(written -> {
      MLink l = links.byToken(token);
      long now = store.nowMs.getAsLong();
      if (l == null) {
        return windowMs;
      }
      if (l.mintWindowAt <= now - windowMs) {
        l.mints = 1;
        l.mintWindowAt = now;
        return 0L;
      }
      if (l.mints < max) {
        l.mints++;
        return 0L;
      }
      return Math.max(1L, l.mintWindowAt + windowMs - now);
    });
  }
}
