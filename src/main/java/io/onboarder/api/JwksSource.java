package io.onboarder.api;

import io.onboarder.bus.JsonBounds;
import io.onboarder.config.JwtSettings;
import io.onboarder.config.Settings;
import io.onboarder.time.Clock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.URI;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity provider's signing keys for callers with JSON Web Tokens, one set per node (the HTTP API and the
 * bridge share it): fetched without blocking (after OIDC discovery when {@code AUTH_OIDC_ISSUER} is set), every
 * answer bounded in time and size and checked key by key (public signature keys only); refreshed on a schedule,
 * and early when a token names a key id the set does not have, at most once per {@link #MIN_GAP_MS} so a flood of
 * made-up key ids costs the identity provider one fetch per gap. A failed refresh keeps the keys it had.
 */
public final class JwksSource extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(JwksSource.class);
  /** The shortest time between two fetches asked for by unknown key ids. */
  static final long MIN_GAP_MS = 10_000;
  /** Largest discovery document or key set read; a real one is a few KiB. */
  static final int MAX_BYTES = 256 * 1024;
  /** Most keys kept from one key set (identity providers publish a handful). */
  static final int MAX_KEYS = 50;
  /** Each fetch (connect, send, whole answer). */
  static final long FETCH_TIMEOUT_MS = 5_000;
  /** Clock skew allowed on {@code exp}, {@code nbf} and {@code iat}, in seconds. */
  static final int LEEWAY_SECONDS = 30;
  /** Signature algorithms accepted: asymmetric only, so a public key can never act as an HMAC secret. */
  static final Set<String> ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
      "ES512", "EdDSA");

  /** The keys in use: a verifier over them, their ids, whether one has no id (it is tried for any token). */
  record KeySet(JWTAuth auth, Set<String> kids, boolean anyKid) {
    boolean knows(String kid) {
      return anyKid || (kid != null ? kids.contains(kid) : !kids.isEmpty());
    }
  }

  /**
   * What the discovery document names: the keys, the issuer, and (when https or on this host) the endpoints of a
   * browser's sign-in, which the console offers; null where missing.
   */
  record Discovered(String jwksUri, String issuer, String authorizationEndpoint, String tokenEndpoint) {}

  private final JwtSettings settings;
  private final Clock clock;
  private final long minGapMs;
  private volatile KeySet current;
  private volatile Discovered discovered;
  private Future<KeySet> inFlight;
  private long lastEarlyFetch = Long.MIN_VALUE;
  private long timer = -1;
  private boolean stopped;
  private HttpClient client;

  public JwksSource(JwtSettings settings, Clock clock) {
    this(settings, clock, MIN_GAP_MS);
  }

  JwksSource(JwtSettings settings, Clock clock, long minGapMs) {
    this.settings = settings;
    this.clock = clock;
    this.minGapMs = minGapMs;
  }

  @Override
  public Future<?> start() {
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) FETCH_TIMEOUT_MS)
        .setIdleTimeout((int) FETCH_TIMEOUT_MS).setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setMaxRedirects(0);
    if (settings.caFile() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(settings.caFile()));
    }
    client = vertx.createHttpClient(options);
    // The first fetch is awaited (keys are there when the API opens) but never fails the start: an identity
    // provider that is down must not keep the service, and its static tokens, from starting.
    return refresh(true).onComplete(ar -> schedule()).recover(err -> Future.succeededFuture());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    clock.cancel(timer);
    return client.close();
  }

  /** The keys now (null before the first successful fetch). */
  KeySet current() {
    return current;
  }

  /**
   * The discovery document last read, or (none yet) the one an early refresh reads, subject to the same gap as an
   * unknown key id; null without discovery or when none could be read. Any thread; completes on this source's context.
   */
  Future<Discovered> discovery() {
    Discovered now = discovered;
    if (now != null || settings.discoveryUrl() == null) {
      return Future.succeededFuture(now);
    }
    Promise<Discovered> answer = Promise.promise();
    context().runOnContext(v -> refresh(false).onComplete(ar -> answer.complete(discovered)));
    return answer.future();
  }

  /** The discovery document last read (null before one was, or without discovery). */
  Discovered lastDiscovery() {
    return discovered;
  }

  /**
   * The keys for a token naming {@code kid}: the current set if it knows it, else the set after a refresh (one
   * fetch at a time, at most one per gap; within the gap, the current set). Any thread: the refresh state is
   * only touched on this source's context, so an unknown key id costs a hop there; completes on that context.
   */
  Future<KeySet> keysFor(String kid) {
    KeySet now = current;
    if (now != null && now.knows(kid)) {
      return Future.succeededFuture(now);
    }
    Promise<KeySet> answer = Promise.promise();
    context().runOnContext(v -> refresh(false).onComplete(answer));
    return answer.future();
  }

  /** On this source's context only (start, its timer, {@link #keysFor}). */
  private Future<KeySet> refresh(boolean scheduled) {
    if (inFlight != null) {
      return inFlight;
    }
    long now = clock.nowMs();
    if (!scheduled && lastEarlyFetch != Long.MIN_VALUE && now - lastEarlyFetch < minGapMs) {
      return Future.succeededFuture(current);
    }
    if (!scheduled) {
      lastEarlyFetch = now;
    }
    Promise<KeySet> done = Promise.promise();
    inFlight = done.future();
    fetch().onComplete(ar -> {
      inFlight = null;
      if (ar.succeeded()) {
        current = ar.result();
      } else {
        log.warn("JWT signing keys not refreshed ({}); {}", ar.cause().getMessage(), current == null
            ? "no JWT is accepted until a fetch succeeds" : "the keys fetched before stay in use");
      }
      done.complete(current);
    });
    return inFlight;
  }

  private void schedule() {
    if (!stopped) {
      // A clock's task may run off this context (a test's virtual clock): the refresh goes back to it.
      timer = clock.schedule(settings.refreshMs(), () -> context().runOnContext(v -> refresh(true)
          .onComplete(ar -> schedule())));
    }
  }

  private Context context() {
    return context != null ? context : vertx.getOrCreateContext();
  }

  private Future<KeySet> fetch() {
    Future<Discovered> where = settings.discoveryUrl() == null
        ? Future.succeededFuture(new Discovered(settings.jwksUrl(), null, null, null))
        : get(settings.discoveryUrl(), "the OIDC discovery document").map(this::discovered)
            .onSuccess(d -> discovered = d);
    return where.compose(d -> get(d.jwksUri(), "the JWKS").map(keys -> keySet(keys, d.issuer())));
  }

  private Discovered discovered(JsonObject doc) {
    String uri = doc.getValue("jwks_uri") instanceof String s ? s : null;
    if (uri == null || !safeUrl(uri)) {
      throw new IllegalStateException("the OIDC discovery document has no https jwks_uri");
    }
    return new Discovered(uri, doc.getValue("issuer") instanceof String s ? s : null,
        endpoint(doc, "authorization_endpoint"), endpoint(doc, "token_endpoint"));
  }

  private static String endpoint(JsonObject doc, String name) {
    return doc.getValue(name) instanceof String s && s.length() <= 2048 && safeUrl(s) ? s : null;
  }

  /** The usable keys of a JWKS answer: public signature keys of an accepted algorithm (RSA at least 2048 bits). */
  private KeySet keySet(JsonObject jwks, String discoveredIssuer) {
    if (!(jwks.getValue("keys") instanceof JsonArray keys)) {
      throw new IllegalStateException("the JWKS has no keys array");
    }
    List<JsonObject> usable = new ArrayList<>();
    Set<String> kids = new HashSet<>();
    boolean anyKid = false;
    int skipped = 0;
    for (Object k : keys) {
      JsonObject key = k instanceof JsonObject o ? withAlgorithm(o.copy()) : null;
      if (usable.size() < MAX_KEYS && key != null && usable(key)) {
        usable.add(key);
        if (key.getValue("kid") instanceof String kid) {
          kids.add(kid);
        } else {
          anyKid = true;
        }
      } else {
        skipped++;
      }
    }
    if (usable.isEmpty()) {
      throw new IllegalStateException("the JWKS has no usable signature key (" + skipped + " skipped)");
    }
    String issuer = settings.issuer() != null ? settings.issuer() : discoveredIssuer;
    JWTOptions checks = new JWTOptions().setLeeway(LEEWAY_SECONDS).setIssuer(issuer);
    if (!settings.audiences().isEmpty()) {
      checks.setAudience(settings.audiences());
    }
    KeySet before = current;
    if (before == null || !before.kids().equals(kids) || before.anyKid() != anyKid) {
      log.info("JWT signing keys: {} in use{}", usable.size(), skipped > 0 ? ", " + skipped + " skipped" : "");
    }
    return new KeySet(JWTAuth.create(vertx, new JWTAuthOptions().setJwks(usable).setJWTOptions(checks)),
        Set.copyOf(kids), anyKid);
  }

  /** An EC key without {@code alg} gets the one its curve implies (the library would assume ES256). */
  private static JsonObject withAlgorithm(JsonObject key) {
    if ("EC".equals(key.getValue("kty")) && key.getValue("alg") == null && key.getValue("crv") instanceof String c) {
      key.put("alg", switch (c) {
        case "P-384" -> "ES384";
        case "P-521" -> "ES512";
        default -> "ES256";
      });
    }
    return key;
  }

  private static boolean usable(JsonObject key) {
    Object kty = key.getValue("kty");
    Object use = key.getValue("use");
    Object alg = key.getValue("alg");
    if (!("RSA".equals(kty) || "EC".equals(kty) || "OKP".equals(kty)) || (use != null && !"sig".equals(use))
        || (alg != null && !ALGORITHMS.contains(alg)) || key.containsKey("d")) {
      return false; // symmetric, encryption or private keys have no place in a public key set
    }
    try {
      JWK jwk = new JWK(key);
      return jwk.publicKey() != null && !(jwk.publicKey() instanceof RSAPublicKey rsa
          && rsa.getModulus().bitLength() < 2048);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** One JSON object from {@code url}: status 200, at most {@link #MAX_BYTES}, within {@link #FETCH_TIMEOUT_MS}. */
  private Future<JsonObject> get(String url, String what) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
        .putHeader(HttpHeaders.ACCEPT, "application/json");
    Future<String> token = settings.tokenFile() == null || !sameOrigin(url) ? Future.succeededFuture(null)
        : vertx.fileSystem().readFile(settings.tokenFile()).map(b -> b.toString().trim());
    return token.compose(t -> client.request(t == null ? request
            : request.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t)))
        .compose(req -> req.send().compose(resp -> body(req, resp)))
        .timeout(FETCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new IllegalStateException(what + " at "
            + Settings.redactUrlForLog(url) + ": " + (err.getMessage() != null ? err.getMessage() : err.toString()))))
        .map(body -> {
          if (!(JsonBounds.parse(body) instanceof JsonObject o)) {
            throw new IllegalStateException(what + " at " + Settings.redactUrlForLog(url) + " is not a JSON object");
          }
          return o;
        });
  }

  private static Future<Buffer> body(HttpClientRequest req, HttpClientResponse resp) {
    String encoding = resp.getHeader(HttpHeaders.CONTENT_ENCODING);
    if (resp.statusCode() != 200 || (encoding != null && !encoding.equalsIgnoreCase("identity"))) {
      req.reset();
      return Future.failedFuture("answered HTTP " + resp.statusCode()
          + (resp.statusCode() == 200 ? " with Content-Encoding " + encoding : ""));
    }
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer();
    resp.handler(chunk -> {
      if (body.length() + chunk.length() > MAX_BYTES) {
        done.tryFail("answered more than " + MAX_BYTES + " bytes");
        req.reset();
      } else if (!done.future().isComplete()) {
        body.appendBuffer(chunk);
      }
    });
    resp.exceptionHandler(done::tryFail);
    resp.endHandler(v -> done.tryComplete(body));
    return done.future();
  }

  /** The pod's own token goes only where it was configured to go, never to a host a document names. */
  private boolean sameOrigin(String url) {
    URI configured = URI.create(settings.discoveryUrl() != null ? settings.discoveryUrl() : settings.jwksUrl());
    URI target = URI.create(url);
    return configured.getScheme().equalsIgnoreCase(target.getScheme())
        && configured.getHost().equalsIgnoreCase(target.getHost()) && configured.getPort() == target.getPort();
  }

  /** https, or http to this host only (as for the configured URLs). */
  private static boolean safeUrl(String url) {
    try {
      URI u = URI.create(url);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      return u.getHost() != null && (scheme.equals("https") || (scheme.equals("http")
          && (u.getHost().equals("localhost") || u.getHost().equals("127.0.0.1") || u.getHost().equals("[::1]"))));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
