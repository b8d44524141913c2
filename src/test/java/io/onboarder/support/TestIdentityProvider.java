package io.onboarder.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A local identity provider for tests: RSA and EC key pairs made with java.security, their public halves served
 * as a JWKS ({@code /jwks}) and named by an OIDC discovery document ({@code /.well-known/openid-configuration}),
 * and tokens signed with them (or forged: HMAC with the public key, {@code alg: none}). Keys can be added and
 * withdrawn while it runs, and every fetch is counted. It also signs a browser in (authorization code with PKCE):
 * {@code /authorize} sends it straight back to its {@code redirect_uri} with a code and the state, and {@code /token}
 * (open to any origin, as a public client's token endpoint is) exchanges the code once, for the verifier whose S256
 * digest was the challenge, for an access token of {@link #signInAs} signed by {@code rsa-1}.
 */
public final class TestIdentityProvider implements AutoCloseable {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Map<String, KeyPair> PAIRS = new ConcurrentHashMap<>();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One signing key: its id, algorithm and pair. */
  public record Key(String kid, String alg, KeyPair pair) {}

  private final Map<String, Key> published = new LinkedHashMap<>();
  private final Map<String, Key> all = new ConcurrentHashMap<>();
  private final AtomicInteger jwksFetches = new AtomicInteger();
  private final AtomicInteger discoveryFetches = new AtomicInteger();
  private volatile Supplier<Buffer> jwksOverride;
  /** Authorization codes not exchanged yet: code to what the authorization request said. */
  private final Map<String, JsonObject> codes = new ConcurrentHashMap<>();
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private volatile String signInAs = "operator@example.com";
  private final HttpServer server;
  private final String issuer;

  private TestIdentityProvider(HttpServer server) {
    this.server = server;
    this.issuer = "http://127.0.0.1:" + server.actualPort();
  }

  /** Started on a free port, publishing one RSA key ({@code rsa-1}) and one EC key ({@code ec-1}). */
  public static TestIdentityProvider start(Vertx vertx) {
    TestIdentityProvider[] self = new TestIdentityProvider[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/jwks" -> {
          self[0].jwksFetches.incrementAndGet();
          Supplier<Buffer> override = self[0].jwksOverride;
          req.response().putHeader("Content-Type", "application/json")
              .end(override != null ? override.get() : self[0].jwks().toBuffer());
        }
        case "/.well-known/openid-configuration" -> {
          self[0].discoveryFetches.incrementAndGet();
          req.response().putHeader("Content-Type", "application/json").end(new JsonObject()
              .put("issuer", self[0].issuer).put("jwks_uri", self[0].issuer + "/jwks")
              .put("authorization_endpoint", self[0].issuer + "/authorize")
              .put("token_endpoint", self[0].issuer + "/token").encode());
        }
        case "/authorize" -> self[0].authorize(req);
        case "/token" -> req.body().onSuccess(body -> self[0].token(req, body));
        default -> req.response().setStatusCode(404).end();
      }
    });
    TestService.await(server.listen(0, "127.0.0.1"));
    self[0] = new TestIdentityProvider(server);
    self[0].publish(self[0].newKey("rsa-1", "RS256"));
    self[0].publish(self[0].newKey("ec-1", "ES256"));
    return self[0];
  }

  public String issuer() {
    return issuer;
  }

  public String jwksUrl() {
    return issuer + "/jwks";
  }

  public int jwksFetches() {
    return jwksFetches.get();
  }

  /** Access tokens {@code /token} gave out. */
  public int tokensIssued() {
    return tokensIssued.get();
  }

  /** Whom the browser sign-in signs in (the {@code sub} of its access tokens). */
  public void signInAs(String sub) {
    signInAs = sub;
  }

  /** Signs the browser in at once: back to its redirect_uri with a one-time code (a PKCE S256 challenge required). */
  private void authorize(HttpServerRequest req) {
    String redirect = req.getParam("redirect_uri");
    if (redirect == null || !"code".equals(req.getParam("response_type")) || req.getParam("client_id") == null
        || req.getParam("code_challenge") == null || !"S256".equals(req.getParam("code_challenge_method"))) {
      req.response().setStatusCode(400).end("a code request with a PKCE S256 challenge and a redirect_uri");
      return;
    }
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    String code = B64.encodeToString(random);
    codes.put(code, new JsonObject().put("challenge", req.getParam("code_challenge")).put("redirect", redirect)
        .put("client", req.getParam("client_id")).put("sub", signInAs));
    String state = req.getParam("state");
    req.response().setStatusCode(302).putHeader("Location", redirect + "?code=" + code
        + (state == null ? "" : "&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8))).end();
  }

  /** The code exchange: once per code, same redirect_uri and client, the verifier hashing to the challenge. */
  private void token(HttpServerRequest req, Buffer body) {
    Map<String, String> form = new LinkedHashMap<>();
    for (String pair : body.toString().split("&")) {
      String[] kv = pair.split("=", 2);
      form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length < 2 ? "" : URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    JsonObject asked = form.get("code") == null ? null : codes.remove(form.get("code"));
    String verifier = form.getOrDefault("code_verifier", "");
    req.response().putHeader("Access-Control-Allow-Origin", String.valueOf(req.getHeader("Origin")))
        .putHeader("Content-Type", "application/json");
    if (!"POST".equals(req.method().name()) || !"authorization_code".equals(form.get("grant_type")) || asked == null
        || !asked.getString("redirect").equals(form.get("redirect_uri"))
        || !asked.getString("client").equals(form.get("client_id"))
        || !asked.getString("challenge").equals(s256(verifier))) {
      req.response().setStatusCode(400).end(new JsonObject().put("error", "invalid_grant").encode());
      return;
    }
    tokensIssued.incrementAndGet();
    req.response().end(new JsonObject().put("access_token", token("rsa-1", asked.getString("sub")))
        .put("token_type", "Bearer").put("expires_in", 300).encode());
  }

  private static String s256(String verifier) {
    try {
      return B64.encodeToString(MessageDigest.getInstance("SHA-256")
          .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public int discoveryFetches() {
    return discoveryFetches.get();
  }

  /** What {@code /jwks} answers instead of the keys (null: the keys again). */
  public void answerJwksWith(Supplier<Buffer> body) {
    jwksOverride = body;
  }

  /**
   * A key pair (RSA 2048 for RS*, RSA 1024 for "RS1024", P-256 for ES256), not published yet. Pairs are made once
   * per test JVM for each id and algorithm (an RSA pair takes a second or more on a busy machine).
   */
  public Key newKey(String kid, String alg) {
    Key key = new Key(kid, alg.equals("RS1024") ? "RS256" : alg, PAIRS.computeIfAbsent(kid + "/" + alg,
        k -> generate(alg)));
    all.put(kid, key);
    return key;
  }

  private static KeyPair generate(String alg) {
    try {
      KeyPairGenerator g;
      if (alg.startsWith("ES")) {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        g = KeyPairGenerator.getInstance("RSA");
        g.initialize(alg.equals("RS1024") ? 1024 : 2048);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public synchronized void publish(Key key) {
    published.put(key.kid(), key);
  }

  public synchronized void withdraw(String kid) {
    published.remove(kid);
  }

  public Key key(String kid) {
    return all.get(kid);
  }

  /** The JWKS of the published keys. */
  public synchronized JsonObject jwks() {
    JsonArray keys = new JsonArray();
    for (Key k : published.values()) {
      keys.add(jwk(k));
    }
    return new JsonObject().put("keys", keys);
  }

  public static JsonObject jwk(Key k) {
    JsonObject jwk = new JsonObject().put("kid", k.kid()).put("use", "sig").put("alg", k.alg());
    if (k.pair().getPublic() instanceof RSAPublicKey rsa) {
      return jwk.put("kty", "RSA").put("n", unsigned(rsa.getModulus(), 0)).put("e", unsigned(rsa.getPublicExponent(),
          0));
    }
    ECPublicKey ec = (ECPublicKey) k.pair().getPublic();
    return jwk.put("kty", "EC").put("crv", "P-256").put("x", unsigned(ec.getW().getAffineX(), 32))
        .put("y", unsigned(ec.getW().getAffineY(), 32));
  }

  /** Claims for {@code sub}: this issuer, audience {@code onboarder}, valid from a minute ago for five minutes. */
  public JsonObject claims(String sub) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", issuer).put("aud", "onboarder").put("sub", sub).put("iat", now - 60)
        .put("nbf", now - 60).put("exp", now + 300);
  }

  /** A token for {@code sub} with the default claims, signed by {@code kid}. */
  public String token(String kid, String sub) {
    return sign(kid, claims(sub));
  }

  /** {@code claims} signed by the key {@code kid} with its algorithm. */
  public String sign(String kid, JsonObject claims) {
    Key k = all.get(kid);
    return signWith(k.pair().getPrivate(), k.alg(), new JsonObject().put("alg", k.alg()).put("typ", "JWT")
        .put("kid", kid), claims);
  }

  /** The alg-confusion forgery: HS256 with the RSA key's public bytes (X.509 DER) as the HMAC secret. */
  public String hmacWithPublicKey(String kid, JsonObject claims) {
    String input = part(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", kid)) + "." + part(claims);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(all.get(kid).pair().getPublic().getEncoded(), "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token ({@code alg: none}), with the empty signature part. */
  public static String unsigned(String kid, JsonObject claims) {
    return part(new JsonObject().put("alg", "none").put("typ", "JWT").put("kid", kid)) + "." + part(claims) + ".";
  }

  private static String signWith(PrivateKey key, String alg, JsonObject header, JsonObject claims) {
    String input = part(header) + "." + part(claims);
    try {
      // JWS wants ECDSA signatures as R || S (P1363), not DER.
      Signature s = Signature.getInstance(switch (alg) {
        case "ES256" -> "SHA256withECDSAinP1363Format";
        case "RS384" -> "SHA384withRSA";
        default -> "SHA256withRSA";
      });
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.UTF_8));
      return input + "." + B64.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String part(JsonObject json) {
    return B64.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** Big-endian bytes without the sign byte, left-padded to {@code size} when given. */
  private static String unsigned(BigInteger n, int size) {
    byte[] b = n.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = Arrays.copyOfRange(b, 1, b.length);
    }
    if (size > b.length) {
      byte[] padded = new byte[size];
      System.arraycopy(b, 0, padded, size - b.length, b.length);
      b = padded;
    }
    return B64.encodeToString(b);
  }

  /** The kids published now. */
  public synchronized List<String> kids() {
    return new ArrayList<>(published.keySet());
  }

  @Override
  public void close() {
    TestService.await(server.close());
  }
}
