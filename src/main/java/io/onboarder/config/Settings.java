package io.onboarder.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The resolved, validated configuration. Built from the merged config JSON (file, then env);
 * any missing or invalid setting fails here, once, with a message naming the env var.
 */
public record Settings(
    int httpPort,
    List<String> apiTokens,
    boolean authDisabled,
    long maxBodyBytes,
    int maxItemsPerJob,
    String cyclrApiUrl,
    String cyclrServiceUrl,
    String clientId,
    String clientSecret,
    SignInMode signInMode,
    long cyclrRequestTimeoutMs,
    int maxConcurrency,
    double ratePerSecond,
    int maxAttempts,
    int breakerThreshold,
    long breakerOpenMs,
    long maxPendingItems,
    long shutdownGraceMs,
    String storeUrl,
    byte[] secretKey,
    int storePoolSize,
    long leaseMs,
    List<String> clusterMembers,
    String clusterDns,
    String clusterName,
    String clusterHost,
    int clusterPort,
    int clusterBusPort,
    long maxOutageMs,
    long degradedAfterMs,
    long cyclrMaxResponseBytes,
    int cyclrMaxPages,
    int cyclrMaxRows,
    long httpIdleTimeoutMs,
    long httpHeaderTimeoutMs,
    long httpBodyTimeoutMs,
    int httpMaxConnections,
    String publicUrl,
    double linkTtlHours,
    long watchIntervalMs,
    int linksRatePerMinute,
    String webhookUrl,
    byte[] webhookKey,
    Set<String> webhookEvents,
    int webhookMaxConcurrency,
    int bridgePort,
    int bridgeMaxFrameBytes,
    BridgeBounds bridgeBounds,
    long maxIntakeBytes,
    long maxIntakeItems,
    List<Cidr> trustedProxies,
    int streamsPerCaller,
    int streamsPerNode,
    int streamSendBufferBytes,
    int linkMaxMints,
    long linkMintWindowMs,
    FleetSettings fleets,
    CredentialHealthSettings credentialHealth,
    java.util.List<byte[]> oldSecretKeys,
    JwtSettings jwt,
    TracingSettings tracing,
    ConsoleSettings console) {

  private static final List<String> WEBHOOK_TYPES = WebhookTypeNames.ALL;
  /** The sign-in watch's longest interval, and so the bound of {@code OAUTH_WATCH_INTERVAL_MS}. */
  public static final long WATCH_MAX_MS = 15 * 60_000L;

  /** The caller name of plain tokens and event-bus clients; no named token may take it. */
  public static final String RESERVED_CALLER = "default";

  public static Settings from(JsonObject conf) {
    Reader r = new Reader(conf);
    boolean authDisabled = r.bool(ConfigKey.API_AUTH_DISABLED, false);
    List<String> tokens = Arrays.stream(r.string(ConfigKey.API_TOKENS, "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();
    JwtSettings jwt = JwtSettings.from(k -> r.string(k, ""));
    if (!authDisabled && tokens.isEmpty() && !jwt.enabled()) {
      throw new ConfigException(ConfigKey.API_TOKENS, "is required (comma-separated bearer tokens), or set "
          + "AUTH_JWKS_URL or AUTH_OIDC_ISSUER (callers with JSON Web Tokens) or API_AUTH_DISABLED=true (local use)");
    }
    if (jwt.enabled() && tokens.stream().anyMatch(t -> t.matches("(.*:)?[\\w-]+\\.[\\w-]+\\.[\\w-]*(:admin)?"))) {
      throw new ConfigException(ConfigKey.API_TOKENS, "has a token shaped like a JSON Web Token (three dot-separated "
          + "parts), which would be checked as one: use a token without dots");
    }
    // Plain tokens and event-bus clients own their jobs as "default": a token of that name would share them.
    if (tokens.stream().anyMatch(t -> t.split(":", -1).length >= 2 && t.split(":", -1)[0].strip()
        .equalsIgnoreCase(RESERVED_CALLER))) {
      throw new ConfigException(ConfigKey.API_TOKENS, "names a token '" + RESERVED_CALLER + "': that name is reserved "
          + "for plain (unnamed) tokens and event-bus clients; give it another name");
    }
    String apiUrl = r.url(ConfigKey.CYCLR_API_URL, true);
    String serviceUrl = r.url(ConfigKey.CYCLR_SERVICE_URL, false);
    String clientId = r.string(ConfigKey.CYCLR_CLIENT_ID, "");
    if (clientId.isBlank()) {
      throw new ConfigException(ConfigKey.CYCLR_CLIENT_ID, "is required (your Cyclr partner OAuth client id)");
    }
    String clientSecret = r.string(ConfigKey.CYCLR_CLIENT_SECRET, "");
    if (clientSecret.isBlank()) {
      throw new ConfigException(ConfigKey.CYCLR_CLIENT_SECRET,
          "is required (set it in the environment or a mounted secret, never in conf/config.json)");
    }
    String modeText = r.string(ConfigKey.CYCLR_SIGNIN_MODE, "account-tokens");
    SignInMode mode = SignInMode.parse(modeText);
    if (mode == null) {
      throw new ConfigException(ConfigKey.CYCLR_SIGNIN_MODE,
          "must be 'account-tokens' or 'signintoken', got '" + modeText + "'");
    }
    String storeUrl = r.string(ConfigKey.STORE_URL, "sqlite:data/onboarder.db");
    if (!storeUrl.startsWith("sqlite:") && !isPostgres(storeUrl)) {
      throw new ConfigException(ConfigKey.STORE_URL,
          "must be sqlite:<path> or postgresql://user:password@host:port/database, got '" + redactUrl(storeUrl) + "'");
    }
    if (storeUrl.startsWith("sqlite:") && storeUrl.length() == "sqlite:".length()) {
      throw new ConfigException(ConfigKey.STORE_URL, "needs a file path after sqlite:, e.g. sqlite:data/onboarder.db");
    }
    byte[] secretKey = r.secretKey(ConfigKey.STORE_SECRET_KEY);
    List<String> members = Arrays.stream(r.string(ConfigKey.CLUSTER_MEMBERS, "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String m : members) {
      if (!m.matches("[^:\\s]+(:\\d{1,5})?")) {
        throw new ConfigException(ConfigKey.CLUSTER_MEMBERS, "must be comma-separated host:port, got '" + m + "'");
      }
    }
    String dns = r.string(ConfigKey.CLUSTER_DNS, "");
    boolean clustered = !members.isEmpty() || !dns.isEmpty();
    if (clustered && !isPostgres(storeUrl)) {
      throw new ConfigException(ConfigKey.STORE_URL, "must be a PostgreSQL URL (postgresql://…) in cluster mode "
          + "(CLUSTER_MEMBERS or CLUSTER_DNS is set): all nodes share one database");
    }
    if (isPostgres(storeUrl) && secretKey == null) {
      throw new ConfigException(ConfigKey.STORE_SECRET_KEY, "is required with PostgreSQL (every node must share "
          + "it; generate one with: openssl rand -base64 32)");
    }
    if (isPostgres(storeUrl)) {
      try {
        io.vertx.pgclient.PgConnectOptions.fromUri(storeUrl);
      } catch (RuntimeException e) {
        throw new ConfigException(ConfigKey.STORE_URL, "is not a valid PostgreSQL URL ('" + redactUrl(storeUrl)
            + "'): use postgresql://user:password@host:port/database[?sslmode=require]");
      }
    }
    String webhookUrl = r.url(ConfigKey.WEBHOOK_URL, false);
    byte[] webhookKey = r.webhookSecret(ConfigKey.WEBHOOK_SECRET);
    if (!webhookUrl.isEmpty() && webhookKey == null) {
      throw new ConfigException(ConfigKey.WEBHOOK_SECRET, "is required with WEBHOOK_URL: whsec_ followed by base64 "
          + "of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))");
    }
    Set<String> webhookEvents = new LinkedHashSet<>();
    for (String t : r.string(ConfigKey.WEBHOOK_EVENTS, "").split(",")) {
      if (!t.isBlank() && !WEBHOOK_TYPES.contains(t.trim())) {
        throw new ConfigException(ConfigKey.WEBHOOK_EVENTS, "lists '" + t.trim() + "', which is not an event type; "
            + "use any of " + String.join(", ", WEBHOOK_TYPES));
      }
      if (!t.isBlank()) {
        webhookEvents.add(t.trim());
      }
    }
    if (webhookEvents.isEmpty()) {
      webhookEvents.addAll(WEBHOOK_TYPES);
    }
    return new Settings(
        (int) r.longIn(ConfigKey.HTTP_PORT, 8080, 0, 65535),
        tokens,
        authDisabled,
        r.longIn(ConfigKey.API_MAX_BODY_BYTES, 256L * 1024 * 1024, 1024, 1L << 34),
        (int) r.longIn(ConfigKey.API_MAX_ITEMS_PER_JOB, 1_000_000, 1, 10_000_000),
        apiUrl,
        serviceUrl.isEmpty() ? apiUrl : serviceUrl,
        clientId,
        clientSecret,
        mode,
        r.longIn(ConfigKey.CYCLR_REQUEST_TIMEOUT_MS, 30_000, 100, 600_000),
        (int) r.longIn(ConfigKey.GATEWAY_MAX_CONCURRENCY, 16, 1, 1024),
        r.doubleIn(ConfigKey.GATEWAY_RATE_PER_SECOND, 0, 0, 100_000),
        (int) r.longIn(ConfigKey.GATEWAY_MAX_ATTEMPTS, 6, 1, 100),
        (int) r.longIn(ConfigKey.GATEWAY_BREAKER_THRESHOLD, 10, 1, 10_000),
        r.longIn(ConfigKey.GATEWAY_BREAKER_OPEN_MS, 5_000, 10, 600_000),
        r.longIn(ConfigKey.JOBS_MAX_PENDING_ITEMS, 5_000_000, 1, 1_000_000_000),
        r.longIn(ConfigKey.JOBS_SHUTDOWN_GRACE_MS, 15_000, 0, 600_000),
        storeUrl,
        secretKey,
        (int) r.longIn(ConfigKey.STORE_POOL_SIZE, 8, 1, 200),
        r.longIn(ConfigKey.JOBS_LEASE_MS, 15_000, 1_000, 600_000),
        members,
        dns,
        r.string(ConfigKey.CLUSTER_NAME, "cyclr-onboarder").isBlank() ? "cyclr-onboarder"
            : r.string(ConfigKey.CLUSTER_NAME, "cyclr-onboarder"),
        r.string(ConfigKey.CLUSTER_HOST, ""),
        (int) r.longIn(ConfigKey.CLUSTER_PORT, 5701, 1, 65535),
        (int) r.longIn(ConfigKey.CLUSTER_BUS_PORT, 5710, 0, 65535),
        r.longIn(ConfigKey.GATEWAY_MAX_OUTAGE_MS, 600_000, 0, 7L * 24 * 3600 * 1000),
        r.longIn(ConfigKey.GATEWAY_DEGRADED_AFTER_MS, 30_000, 0, 24L * 3600 * 1000),
        r.longIn(ConfigKey.CYCLR_MAX_RESPONSE_BYTES, 4L * 1024 * 1024, 16 * 1024, 256L * 1024 * 1024),
        (int) r.longIn(ConfigKey.CYCLR_MAX_PAGES, 100, 1, 100_000),
        (int) r.longIn(ConfigKey.CYCLR_MAX_ROWS, 10_000, 1, 10_000_000),
        r.longIn(ConfigKey.HTTP_IDLE_TIMEOUT_MS, 30_000, 100, 3_600_000),
        r.longIn(ConfigKey.HTTP_HEADER_TIMEOUT_MS, 10_000, 100, 600_000),
        r.longIn(ConfigKey.HTTP_BODY_TIMEOUT_MS, 60_000, 100, 3_600_000),
        (int) r.longIn(ConfigKey.HTTP_MAX_CONNECTIONS, 1_000, 1, 1_000_000),
        publicUrl(r),
        // Hours, decimals allowed (tests use seconds-long links); at most 30 days.
        r.doubleIn(ConfigKey.LINKS_TTL_HOURS, 168, 0.0001, 720),
        r.longIn(ConfigKey.OAUTH_WATCH_INTERVAL_MS, 30_000, 10, WATCH_MAX_MS),
        (int) r.longIn(ConfigKey.LINKS_RATE_LIMIT_PER_MINUTE, 30, 1, 100_000),
        webhookUrl,
        webhookKey,
        Set.copyOf(webhookEvents),
        (int) r.longIn(ConfigKey.WEBHOOK_MAX_CONCURRENCY, 16, 1, 1024),
        // Unset = no bridge; 0 = any free port (tests).
        (int) r.longIn(ConfigKey.BRIDGE_PORT, -1, 0, 65535),
        (int) r.longIn(ConfigKey.BRIDGE_MAX_FRAME_BYTES, 1024 * 1024, 1024, 64 * 1024 * 1024),
        new BridgeBounds((int) r.longIn(ConfigKey.BRIDGE_MAX_CONNECTIONS, 100, 1, 1_000_000),
            (int) r.longIn(ConfigKey.BRIDGE_MAX_UNAUTHENTICATED, 100, 1, 1_000_000),
            r.longIn(ConfigKey.BRIDGE_AUTH_TIMEOUT_MS, 5_000, 50, 600_000),
            r.longIn(ConfigKey.BRIDGE_IDLE_TIMEOUT_MS, 300_000, 1_000, 86_400_000),
            (int) r.longIn(ConfigKey.BRIDGE_MAX_QUEUED_BYTES, 256 * 1024, 4 * 1024, 64 * 1024 * 1024)),
        r.longIn(ConfigKey.API_MAX_INTAKE_BYTES, 1L << 30, 1024, 1L << 40),
        r.longIn(ConfigKey.API_MAX_INTAKE_ITEMS, 2_000_000, 1, 1_000_000_000),
        r.cidrs(ConfigKey.API_TRUSTED_PROXIES),
        (int) r.longIn(ConfigKey.STREAMS_MAX_PER_CALLER, 100, 1, 1_000_000),
        (int) r.longIn(ConfigKey.STREAMS_MAX_PER_NODE, 500, 1, 1_000_000),
        (int) r.longIn(ConfigKey.STREAMS_SEND_BUFFER_BYTES, 64 * 1024, 4 * 1024, 4 * 1024 * 1024),
        (int) r.longIn(ConfigKey.LINKS_MAX_MINTS, 5, 1, 10_000),
        r.longIn(ConfigKey.LINKS_MINT_WINDOW_MINUTES, 10, 1, 7 * 24 * 60) * 60_000,
        new FleetSettings((int) r.longIn(ConfigKey.FLEETS_READ_RATE_PERCENT, 20, 1, 100)),
        new CredentialHealthSettings(r.doubleIn(ConfigKey.SIGNIN_HEALTH_INTERVAL_HOURS, 24, 0, 8760),
            (int) r.longIn(ConfigKey.SIGNIN_HEALTH_RATE_PERCENT, 10, 1, 100)),
        SecretKeys.decodeAll(ConfigKey.STORE_SECRET_KEYS_OLD, r.string(ConfigKey.STORE_SECRET_KEYS_OLD, "")),
        jwt,
        TracingSettings.fromConfig(conf.getValue(TracingSettings.CONFIG_KEY)),
        ConsoleSettings.from(k -> r.string(k, ""), jwt));
  }

  /** The externally reachable base URL of relay links: absolute http(s), no query or fragment; "" = off. */
  private static String publicUrl(Reader r) {
    String url = r.url(ConfigKey.API_PUBLIC_URL, false);
    if (!url.isEmpty() && (url.contains("?") || url.contains("#"))) {
      throw new ConfigException(ConfigKey.API_PUBLIC_URL, "must be a base URL without query or fragment, e.g. "
          + "https://onboarder.example.com, got '" + url + "'");
    }
    return url.isEmpty() ? null : url;
  }

  private static boolean isPostgres(String url) {
    return url.startsWith("postgresql://") || url.startsWith("postgres://");
  }

  /** A store URL without its password, for messages and logs. */
  public static String redactUrl(String url) {
    return url.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@");
  }

  /** Cluster mode: a clustered event bus and a shared PostgreSQL store. */
  public boolean clustered() {
    return !clusterMembers.isEmpty() || !clusterDns.isEmpty();
  }

  public boolean postgres() {
    return isPostgres(storeUrl);
  }

  /** Webhook deliveries are on: {@code WEBHOOK_URL} is set (and so is its secret). */
  public boolean webhooksEnabled() {
    return !webhookUrl.isEmpty();
  }

  /** The TCP event-bus bridge is on: {@code BRIDGE_PORT} is set. */
  public boolean bridgeEnabled() {
    return bridgePort >= 0;
  }

  /** A URL without user info, query or fragment (they may hold credentials), for messages and logs. */
  public static String redactUrlForLog(String url) {
    try {
      URI u = URI.create(url);
      return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "")
          + (u.getRawPath() == null ? "" : u.getRawPath()) + (u.getRawQuery() != null ? "?…" : "");
    } catch (IllegalArgumentException e) {
      return "(unparseable URL)";
    }
  }

  /** Path of the SQLite database file. */
  public String sqlitePath() {
    return storeUrl.substring("sqlite:".length());
  }

  @Override
  public String toString() {
    // Never print secrets, even by accident.
    return "Settings[httpPort=" + httpPort + ", cyclrApiUrl=" + cyclrApiUrl + ", signInMode=" + signInMode.value
        + ", maxConcurrency=" + maxConcurrency + ", ratePerSecond=" + ratePerSecond + ", maxAttempts=" + maxAttempts
        + ", storeUrl=" + redactUrl(storeUrl) + (clustered() ? ", cluster=" + clusterName : "")
        + (webhooksEnabled() ? ", webhookUrl=" + redactUrlForLog(webhookUrl) : "")
        + (bridgeEnabled() ? ", bridgePort=" + bridgePort : "") + "]";
  }

  /** Typed reads with validation; values may arrive as JSON numbers/booleans or as env strings. */
  private record Reader(JsonObject conf) {
    Object raw(ConfigKey k) {
      Object cur = conf;
      for (String part : k.key.split("\\.")) {
        if (!(cur instanceof JsonObject o)) {
          return null;
        }
        cur = o.getValue(part);
      }
      return cur;
    }

    String string(ConfigKey k, String def) {
      Object v = raw(k);
      return v == null ? def : String.valueOf(v).trim();
    }

    /** Comma-separated CIDR blocks (IPv4 or IPv6); empty = none. */
    List<Cidr> cidrs(ConfigKey k) {
      try {
        return Arrays.stream(string(k, "").split(",")).filter(c -> !c.isBlank()).map(Cidr::parse).toList();
      } catch (IllegalArgumentException e) {
        throw new ConfigException(k, "must be comma-separated CIDR blocks such as 10.0.0.0/8, fd00::/8: "
            + e.getMessage());
      }
    }

    boolean bool(ConfigKey k, boolean def) {
      Object v = raw(k);
      if (v == null || String.valueOf(v).isBlank()) {
        return def;
      }
      String s = String.valueOf(v).trim().toLowerCase();
      if (s.equals("true") || s.equals("false")) {
        return Boolean.parseBoolean(s);
      }
      throw new ConfigException(k, "must be true or false, got '" + v + "'");
    }

    long longIn(ConfigKey k, long def, long min, long max) {
      Object v = raw(k);
      if (v == null || String.valueOf(v).isBlank()) {
        return def;
      }
      long n;
      try {
        n = v instanceof Number num ? num.longValue() : Long.parseLong(String.valueOf(v).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(k, "must be a whole number, got '" + v + "'");
      }
      if (n < min || n > max) {
        throw new ConfigException(k, "must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    }

    double doubleIn(ConfigKey k, double def, double min, double max) {
      Object v = raw(k);
      if (v == null || String.valueOf(v).isBlank()) {
        return def;
      }
      double d;
      try {
        d = v instanceof Number num ? num.doubleValue() : Double.parseDouble(String.valueOf(v).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(k, "must be a number, got '" + v + "'");
      }
      if (!(d >= min && d <= max)) {
        throw new ConfigException(k, "must be between " + min + " and " + max + ", got " + v);
      }
      return d;
    }

    String url(ConfigKey k, boolean required) {
      String s = string(k, "");
      if (s.isEmpty()) {
        if (required) {
          throw new ConfigException(k, "is required, e.g. https://api.cyclr.com");
        }
        return "";
      }
      try {
        URI u = URI.create(s);
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
            || u.getHost() == null) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException(k, "must be an absolute http(s) URL, got '" + s + "'");
      }
      return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Standard Webhooks secret: {@code whsec_} + base64 of 24 to 64 bytes; returns the decoded key. */
    byte[] webhookSecret(ConfigKey k) {
      String s = string(k, "");
      if (s.isEmpty()) {
        return null;
      }
      String hint = " (Standard Webhooks format: whsec_ followed by base64 of 24 to 64 random bytes, e.g. "
          + "whsec_$(openssl rand -base64 32))";
      if (!s.startsWith("whsec_")) {
        throw new ConfigException(k, "must start with whsec_" + hint);
      }
      byte[] key;
      try {
        key = Base64.getDecoder().decode(s.substring("whsec_".length()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(k, "is not base64 after whsec_" + hint);
      }
      if (key.length < 24 || key.length > 64) {
        throw new ConfigException(k, "decodes to " + key.length + " bytes" + hint);
      }
      return key;
    }

    byte[] secretKey(ConfigKey k) {
      String s = string(k, "");
      return s.isEmpty() ? null : SecretKeys.decode(k, s);
    }
  }
}
