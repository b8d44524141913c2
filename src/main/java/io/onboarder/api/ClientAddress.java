package io.onboarder.api;

import io.onboarder.config.Cidr;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * Who the client of a request is, for per-client limits: the TCP peer, unless that peer is one of the
 * configured proxies ({@code TRUSTED_PROXIES}, none by default); then the right-most address of the
 * {@code X-Forwarded-For} chain that is not a trusted proxy, i.e. the one the outermost trusted proxy saw.
 * Entries left of it were written by the client and are never believed, nor is the header of a peer
 * that is merely on a private network (a neighbour pod, a layer-4 load balancer passes the client's own
 * header through).
 */
final class ClientAddress {
  /** Hops of the chain examined at most: a header is bounded, but walking it need not be long either. */
  private static final int MAX_HOPS = 32;

  private final List<Cidr> trustedProxies;

  ClientAddress(List<Cidr> trustedProxies) {
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  String of(HttpServerRequest req) {
    String peer = req.connection() != null && req.connection().remoteAddress() != null
        ? req.connection().remoteAddress().hostAddress() : "unknown";
    if (!trusted(peer)) {
      return peer;
    }
    List<String> headers = req.headers().getAll("X-Forwarded-For");
    String[] hops = String.join(",", headers).split(",");
    String client = peer;
    for (int i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
      String hop = hops[i].trim();
      if (hop.isEmpty()) {
        continue;
      }
      if (Cidr.address(hop) == null) {
        return client; // not an address: the hop that passed it on is as far as the chain can be believed
      }
      client = hop;
      if (!trusted(hop)) {
        return hop;
      }
    }
    return client;
  }

  private boolean trusted(String ip) {
    for (Cidr c : trustedProxies) {
      if (c.contains(ip)) {
        return true;
      }
    }
    return false;
  }
}
