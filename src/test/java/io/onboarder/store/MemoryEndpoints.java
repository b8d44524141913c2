package io.onboarder.store;

import io.onboarder.webhook.WebhookEndpoints;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;

/** The in-memory store's webhook endpoints: those disabled, by URL hash; every other one is enabled. */
final class MemoryEndpoints implements WebhookEndpoints {
  private final MemoryStores store;
  private final Map<String, Endpoint> disabled = new HashMap<>();

  MemoryEndpoints(MemoryStores store) {
    this.store = store;
  }

  @Override
  public Future<Endpoint> endpoint(String urlHash) {
    return store.read(() -> disabled.getOrDefault(urlHash, new Endpoint(true, null, null)));
  }

  @Override
  public Future<Void> disable(String urlHash, String reason) {
    return store.tx(written -> {
      disabled.put(urlHash, new Endpoint(false, store.now(), reason));
      return null;
    });
  }

  @Override
  public Future<Void> enable(String urlHash) {
    return store.tx(written -> {
      disabled.remove(urlHash);
      return null;
    });
  }
}
