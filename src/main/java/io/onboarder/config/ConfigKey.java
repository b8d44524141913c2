package io.onboarder.config;

/**
 * Every setting the service reads: its key in {@code conf/config.json} and the environment
 * variable that overrides it. This enum is the single place where env names are mapped.
 */
public enum ConfigKey {
  HTTP_PORT("http.port", "HTTP_PORT"),
  API_TOKENS("api.tokens", "API_TOKENS"),
  API_AUTH_DISABLED("api.authDisabled", "API_AUTH_DISABLED"),
  API_MAX_BODY_BYTES("api.maxBodyBytes", "API_MAX_BODY_BYTES"),
  API_MAX_ITEMS_PER_JOB("api.maxItemsPerJob", "API_MAX_ITEMS_PER_JOB"),
  CYCLR_API_URL("cyclr.apiUrl", "CYCLR_API_URL"),
  CYCLR_SERVICE_URL("cyclr.serviceUrl", "CYCLR_SERVICE_URL"),
  CYCLR_CLIENT_ID("cyclr.clientId", "CYCLR_CLIENT_ID"),
  CYCLR_CLIENT_SECRET("cyclr.clientSecret", "CYCLR_CLIENT_SECRET"),
  CYCLR_SIGNIN_MODE("cyclr.signInMode", "CYCLR_SIGNIN_MODE"),
  CYCLR_REQUEST_TIMEOUT_MS("cyclr.requestTimeoutMs", "CYCLR_REQUEST_TIMEOUT_MS"),
  GATEWAY_MAX_CONCURRENCY("gateway.maxConcurrency", "GATEWAY_MAX_CONCURRENCY"),
  GATEWAY_RATE_PER_SECOND("gateway.ratePerSecond", "GATEWAY_RATE_PER_SECOND"),
  GATEWAY_MAX_ATTEMPTS("gateway.maxAttempts", "GATEWAY_MAX_ATTEMPTS"),
  GATEWAY_BREAKER_THRESHOLD("gateway.breakerThreshold", "GATEWAY_BREAKER_THRESHOLD"),
  GATEWAY_BREAKER_OPEN_MS("gateway.breakerOpenMs", "GATEWAY_BREAKER_OPEN_MS"),
  JOBS_MAX_PENDING_ITEMS("jobs.maxPendingItems", "JOBS_MAX_PENDING_ITEMS"),
  JOBS_SHUTDOWN_GRACE_MS("jobs.shutdownGraceMs", "JOBS_SHUTDOWN_GRACE_MS"),
  STORE_URL("store.url", "STORE_URL"),
  STORE_SECRET_KEY("store.secretKey", "STORE_SECRET_KEY"),
  STORE_SECRET_KEYS_OLD("store.secretKeysOld", "STORE_SECRET_KEYS_OLD"),
  STORE_POOL_SIZE("store.poolSize", "STORE_POOL_SIZE"),
  JOBS_LEASE_MS("jobs.leaseMs", "JOBS_LEASE_MS"),
  CLUSTER_MEMBERS("cluster.members", "CLUSTER_MEMBERS"),
  CLUSTER_DNS("cluster.dns", "CLUSTER_DNS"),
  CLUSTER_NAME("cluster.name", "CLUSTER_NAME"),
  CLUSTER_HOST("cluster.host", "CLUSTER_HOST"),
  CLUSTER_PORT("cluster.port", "CLUSTER_PORT"),
  CLUSTER_BUS_PORT("cluster.busPort", "CLUSTER_BUS_PORT"),
  GATEWAY_MAX_OUTAGE_MS("gateway.maxOutageMs", "GATEWAY_MAX_OUTAGE_MS"),
  GATEWAY_DEGRADED_AFTER_MS("gateway.degradedAfterMs", "GATEWAY_DEGRADED_AFTER_MS"),
  CYCLR_MAX_RESPONSE_BYTES("cyclr.maxResponseBytes", "CYCLR_MAX_RESPONSE_BYTES"),
  CYCLR_MAX_PAGES("cyclr.maxPages", "CYCLR_MAX_PAGES"),
  CYCLR_MAX_ROWS("cyclr.maxRows", "CYCLR_MAX_ROWS"),
  HTTP_IDLE_TIMEOUT_MS("http.idleTimeoutMs", "HTTP_IDLE_TIMEOUT_MS"),
  HTTP_HEADER_TIMEOUT_MS("http.headerTimeoutMs", "HTTP_HEADER_TIMEOUT_MS"),
  HTTP_BODY_TIMEOUT_MS("http.bodyTimeoutMs", "HTTP_BODY_TIMEOUT_MS"),
  HTTP_MAX_CONNECTIONS("http.maxConnections", "HTTP_MAX_CONNECTIONS"),
  API_PUBLIC_URL("api.publicUrl", "PUBLIC_URL"),
  LINKS_TTL_HOURS("links.ttlHours", "LINKS_TTL_HOURS"),
  OAUTH_WATCH_INTERVAL_MS("oauth.watchIntervalMs", "OAUTH_WATCH_INTERVAL_MS"),
  LINKS_RATE_LIMIT_PER_MINUTE("links.rateLimitPerMinute", "LINKS_RATE_LIMIT_PER_MINUTE"),
  WEBHOOK_URL("webhooks.url", "WEBHOOK_URL"),
  WEBHOOK_SECRET("webhooks.secret", "WEBHOOK_SECRET"),
  WEBHOOK_EVENTS("webhooks.events", "WEBHOOK_EVENTS"),
  WEBHOOK_MAX_CONCURRENCY("webhooks.maxConcurrency", "WEBHOOK_MAX_CONCURRENCY"),
  BRIDGE_PORT("bridge.port", "BRIDGE_PORT"),
  BRIDGE_MAX_FRAME_BYTES("bridge.maxFrameBytes", "BRIDGE_MAX_FRAME_BYTES"),
  BRIDGE_MAX_CONNECTIONS("bridge.maxConnections", "BRIDGE_MAX_CONNECTIONS"),
  BRIDGE_MAX_UNAUTHENTICATED("bridge.maxUnauthenticated", "BRIDGE_MAX_UNAUTHENTICATED"),
  BRIDGE_AUTH_TIMEOUT_MS("bridge.authTimeoutMs", "BRIDGE_AUTH_TIMEOUT_MS"),
  BRIDGE_IDLE_TIMEOUT_MS("bridge.idleTimeoutMs", "BRIDGE_IDLE_TIMEOUT_MS"),
  BRIDGE_MAX_QUEUED_BYTES("bridge.maxQueuedBytes", "BRIDGE_MAX_QUEUED_BYTES"),
  API_MAX_INTAKE_BYTES("api.maxIntakeBytes", "API_MAX_INTAKE_BYTES"),
  API_MAX_INTAKE_ITEMS("api.maxIntakeItems", "API_MAX_INTAKE_ITEMS"),
  API_TRUSTED_PROXIES("api.trustedProxies", "TRUSTED_PROXIES"),
  STREAMS_MAX_PER_CALLER("streams.maxPerCaller", "STREAMS_MAX_PER_CALLER"),
  STREAMS_MAX_PER_NODE("streams.maxPerNode", "STREAMS_MAX_PER_NODE"),
  STREAMS_SEND_BUFFER_BYTES("streams.sendBufferBytes", "STREAMS_SEND_BUFFER_BYTES"),
  LINKS_MAX_MINTS("links.maxMints", "LINKS_MAX_MINTS"),
  LINKS_MINT_WINDOW_MINUTES("links.mintWindowMinutes", "LINKS_MINT_WINDOW_MINUTES"),
  FLEETS_READ_RATE_PERCENT("fleets.readRatePercent", "FLEETS_READ_RATE_PERCENT"),
  SIGNIN_HEALTH_INTERVAL_HOURS("signIn.healthIntervalHours", "SIGNIN_HEALTH_INTERVAL_HOURS"),
  SIGNIN_HEALTH_RATE_PERCENT("signIn.healthRatePercent", "SIGNIN_HEALTH_RATE_PERCENT"),
  AUTH_JWKS_URL("auth.jwksUrl", "AUTH_JWKS_URL"),
  AUTH_OIDC_ISSUER("auth.oidcIssuer", "AUTH_OIDC_ISSUER"),
  AUTH_JWT_ISSUER("auth.jwtIssuer", "AUTH_JWT_ISSUER"),
  AUTH_JWT_AUDIENCE("auth.jwtAudience", "AUTH_JWT_AUDIENCE"),
  AUTH_CALLER_CLAIM("auth.callerClaim", "AUTH_CALLER_CLAIM"),
  AUTH_ADMIN_CLAIM("auth.adminClaim", "AUTH_ADMIN_CLAIM"),
  AUTH_ADMIN_VALUE("auth.adminValue", "AUTH_ADMIN_VALUE"),
  AUTH_JWKS_REFRESH_SECONDS("auth.jwksRefreshSeconds", "AUTH_JWKS_REFRESH_SECONDS"),
  AUTH_JWKS_CA_FILE("auth.jwksCaFile", "AUTH_JWKS_CA_FILE"),
  AUTH_JWKS_TOKEN_FILE("auth.jwksTokenFile", "AUTH_JWKS_TOKEN_FILE"),
  CONSOLE_OIDC_CLIENT_ID("console.oidcClientId", "CONSOLE_OIDC_CLIENT_ID"),
  CONSOLE_OIDC_SCOPES("console.oidcScopes", "CONSOLE_OIDC_SCOPES");

  public final String key;
  public final String env;

  ConfigKey(String key, String env) {
    this.key = key;
    this.env = env;
  }

  /** "gateway.maxConcurrency (GATEWAY_MAX_CONCURRENCY)": how errors name a setting. */
  public String describe() {
    return key + " (" + env + ")";
  }
}
