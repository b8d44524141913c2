package io.onboarder.config;

/**
 * The TCP event-bus bridge's bounds per node: connections with a token ({@code maxConnections}) and
 * without one yet ({@code maxUnauthenticated}, counted apart so they cannot take the others' slots),
 * how long a new connection has to present a valid token, how long a connection may stay silent, and
 * how many bytes may wait to be written to one client before it is treated as not reading.
 */
public record BridgeBounds(int maxConnections, int maxUnauthenticated, long authTimeoutMs, long idleTimeoutMs,
                           int maxQueuedBytes) {}
