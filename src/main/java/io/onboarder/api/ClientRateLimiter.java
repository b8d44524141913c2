package io.onboarder.api;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per minute per client IP, as a token bucket (a full minute's allowance may come at once), for
 * the public routes. One per node, shared by the HTTP API instances; not cluster-wide, so with N nodes
 * behind a load balancer a client gets up to N times the limit. Who the client is (the peer, or behind a
 * trusted proxy the address it saw) is {@link ClientAddress}'s answer.
 */
final class ClientRateLimiter {
  private static final int MAX_CLIENTS = 100_000;

  private final double perMinute;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** Immutable: replaced atomically by {@link ConcurrentHashMap#compute}, so event loops never wait on a lock. */
  private record Bucket(double tokens, long refilledAt, boolean granted) {}

  ClientRateLimiter(int perMinute) {
    this.perMinute = perMinute;
  }

  /** Takes one request's token; 0 if allowed, else the seconds until the client may try again. */
  long acquire(String client) {
    long now = System.nanoTime();
    if (buckets.size() > MAX_CLIENTS) {
      sweep(now);
    }
    Bucket b = buckets.compute(client, (k, old) -> {
      double tokens = old == null ? perMinute
          : Math.min(perMinute, old.tokens() + (now - old.refilledAt()) / 60e9 * perMinute);
      return tokens >= 1 ? new Bucket(tokens - 1, now, true) : new Bucket(tokens, now, false);
    });
    return b.granted() ? 0 : Math.max(1, (long) Math.ceil((1 - b.tokens()) * 60 / perMinute));
  }

  /** Forgets clients whose bucket is full again (idle for a minute): they would start full anyway. */
  private void sweep(long now) {
    buckets.entrySet().removeIf(e -> e.getValue().tokens() + (now - e.getValue().refilledAt()) / 60e9 * perMinute
        >= perMinute);
  }
}
