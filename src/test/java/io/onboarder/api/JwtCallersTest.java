package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigKey;
import io.onboarder.config.JwtSettings;
import io.onboarder.support.TestIdentityProvider;
import io.onboarder.support.TestService;
import io.onboarder.time.Clock;
import io.onboarder.time.VirtualClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * JSON Web Token callers against a local identity provider (RSA and EC keys made in the test, served as a JWKS):
 * what is accepted, what is refused and why, and how the keys follow the provider's rotation without a restart
 * while a flood of unknown key ids cannot make the service hammer it.
 */
@ExtendWith(VertxExtension.class)
class JwtCallersTest {
  private Vertx vertx;
  private TestIdentityProvider idp;

  /** A refusal or a caller, whichever the token gets. */
  private record Outcome(BearerAuth.Caller caller, JwtCallers.Refused refused) {
    boolean accepted() {
      return caller != null;
    }
  }

  @BeforeEach
  void startIdentityProvider(Vertx vertx) {
    this.vertx = vertx;
    idp = TestIdentityProvider.start(vertx);
  }

  @AfterEach
  void stop() {
    idp.close();
  }

  private JwtSettings settings(Consumer<Map<ConfigKey, String>> tweak) {
    Map<ConfigKey, String> env = new EnumMap<>(ConfigKey.class);
    env.put(ConfigKey.AUTH_JWKS_URL, idp.jwksUrl());
    env.put(ConfigKey.AUTH_JWT_ISSUER, idp.issuer());
    env.put(ConfigKey.AUTH_JWT_AUDIENCE, "onboarder");
    env.put(ConfigKey.AUTH_ADMIN_CLAIM, "groups");
    env.put(ConfigKey.AUTH_ADMIN_VALUE, "onboarder-admins");
    tweak.accept(env);
    return JwtSettings.from(k -> env.getOrDefault(k, ""));
  }

  private JwtCallers callers(JwtSettings settings, Clock clock) {
    JwksSource source = new JwksSource(settings, clock);
    TestService.await(vertx.deployVerticle(source));
    return new JwtCallers(settings, source);
  }

  private JwtCallers callers() {
    return callers(settings(e -> { }), new VirtualClock());
  }

  private static Outcome check(JwtCallers callers, String token) {
    Future<BearerAuth.Caller> f = callers.caller(token);
    try {
      return new Outcome(f.await(10, TimeUnit.SECONDS), null);
    } catch (JwtCallers.Refused r) {
      return new Outcome(null, r);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void rsaAndEcTokensNameTheirSubjectAsCaller() {
    JwtCallers callers = callers();
    assertThat(check(callers, idp.token("rsa-1", "alice")).caller()).isEqualTo(new BearerAuth.Caller("alice", false));
    assertThat(check(callers, idp.token("ec-1", "bob")).caller()).isEqualTo(new BearerAuth.Caller("bob", false));
    assertThat(idp.jwksFetches()).as("keys fetched once, at start").isEqualTo(1);
  }

  @Test
  void anotherClaimCanNameTheCallerAndTheReservedNameIsRefused() {
    JwtCallers callers = callers(settings(e -> e.put(ConfigKey.AUTH_CALLER_CLAIM, "client.name")), new VirtualClock());
    JsonObject claims = idp.claims("ignored").put("client", new JsonObject().put("name", "ci-pipeline"));
    assertThat(check(callers, idp.sign("rsa-1", claims)).caller().name()).isEqualTo("ci-pipeline");
    assertThat(check(callers, idp.token("rsa-1", "ignored")).accepted()).as("no such claim").isFalse();
    JwtCallers bySub = callers();
    assertThat(check(bySub, idp.token("rsa-1", "default")).accepted()).as("the plain tokens' caller").isFalse();
    assertThat(check(bySub, idp.sign("rsa-1", idp.claims("x").put("sub", 42))).accepted()).isFalse();
  }

  @Test
  void theAdminClaimMayBeAStringOrAnArrayContainingTheValue() {
    JwtCallers callers = callers();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("ops").put("groups", new JsonArray()
        .add("staff").add("onboarder-admins")))).caller()).isEqualTo(new BearerAuth.Caller("ops", true));
    assertThat(check(callers, idp.sign("ec-1", idp.claims("ops").put("groups", "onboarder-admins"))).caller()
        .admin()).isTrue();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("dev").put("groups", new JsonArray().add("staff"))))
        .caller()).isEqualTo(new BearerAuth.Caller("dev", false));
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("dev").put("groups", "onboarder-admins-not"))).caller()
        .admin()).isFalse();
  }

  @Test
  void expiryAndNotBeforeAreCheckedWithThirtySecondsOfLeeway() {
    JwtCallers callers = callers();
    long now = System.currentTimeMillis() / 1000;
    Outcome expired = check(callers, idp.sign("rsa-1", idp.claims("a").put("exp", now - 120)));
    assertThat(expired.refused().expired()).as("told it expired").isTrue();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("a").put("exp", now - 10))).accepted())
        .as("within the leeway").isTrue();
    JsonObject noExp = idp.claims("a");
    noExp.remove("exp");
    assertThat(check(callers, idp.sign("rsa-1", noExp)).accepted()).as("a token without exp").isFalse();
    Outcome early = check(callers, idp.sign("rsa-1", idp.claims("a").put("nbf", now + 300).put("iat", now)));
    assertThat(early.accepted()).as("not valid before five minutes from now").isFalse();
    assertThat(early.refused().expired()).as("not said to be expired").isFalse();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("a").put("nbf", now + 10).put("iat", now))).accepted())
        .as("nbf within the leeway").isTrue();
  }

  @Test
  void issuerAndAudienceAreEnforced() {
    JwtCallers callers = callers();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("a").put("aud", "someone-else"))).accepted()).isFalse();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("a").put("aud", new JsonArray().add("x")
        .add("onboarder")))).accepted()).as("one of its audiences").isTrue();
    JsonObject noAud = idp.claims("a");
    noAud.remove("aud");
    assertThat(check(callers, idp.sign("rsa-1", noAud)).accepted()).isFalse();
    assertThat(check(callers, idp.sign("rsa-1", idp.claims("a").put("iss", "https://evil.example"))).accepted())
        .isFalse();
  }

  @Test
  void algorithmConfusionAndUnsignedTokensAreRefused() {
    JwtCallers callers = callers();
    assertThat(check(callers, idp.hmacWithPublicKey("rsa-1", idp.claims("mallory"))).accepted()).isFalse();
    assertThat(check(callers, TestIdentityProvider.unsigned("rsa-1", idp.claims("mallory"))).accepted()).isFalse();
    String unsignedTwoParts = TestIdentityProvider.unsigned("rsa-1", idp.claims("mallory"));
    assertThat(check(callers, unsignedTwoParts.substring(0, unsignedTwoParts.length() - 1)).accepted()).isFalse();
    // Signed by a key the provider never published (rsa-2), under a published key's id.
    idp.newKey("rsa-2", "RS256");
    String[] forged = idp.token("rsa-2", "mallory").split("\\.");
    String[] genuine = idp.token("rsa-1", "mallory").split("\\.");
    assertThat(check(callers, genuine[0] + "." + forged[1] + "." + forged[2]).accepted()).isFalse();
    // A valid token with its payload changed.
    String[] alice = idp.token("rsa-1", "alice").split("\\.");
    assertThat(check(callers, genuine[0] + "." + alice[1] + "." + genuine[2]).accepted()).isFalse();
  }

  @Test
  void aNewKeyIdIsPickedUpWithoutARestartButAFloodOfUnknownIdsFetchesOncePerGap() {
    VirtualClock clock = new VirtualClock();
    JwtCallers callers = callers(settings(e -> { }), clock);
    idp.publish(idp.newKey("ec-2", "ES256"));
    assertThat(check(callers, idp.token("ec-2", "alice")).caller().name()).as("rotated key").isEqualTo("alice");
    assertThat(idp.jwksFetches()).isEqualTo(2);
    for (int i = 0; i < 50; i++) {
      String made = idp.sign("rsa-1", idp.claims("x")).replaceFirst("^[^.]+", headerWithKid("made-up-" + i));
      assertThat(check(callers, made).accepted()).isFalse();
    }
    assertThat(idp.jwksFetches()).as("no fetch within the gap").isEqualTo(2);
    clock.advance(JwksSource.MIN_GAP_MS);
    idp.publish(idp.newKey("ec-3", "ES256"));
    assertThat(check(callers, idp.token("ec-3", "bob")).accepted()).isTrue();
    assertThat(idp.jwksFetches()).isEqualTo(3);
  }

  @Test
  void aWithdrawnKeyStopsWorkingAtTheScheduledRefresh() {
    JwtSettings base = settings(e -> { });
    JwtSettings fast = new JwtSettings(base.jwksUrl(), "", base.issuer(), base.audiences(), "sub", null, null, 200,
        null, null);
    JwtCallers callers = callers(fast, Clock.of(vertx));
    String old = idp.token("rsa-1", "alice");
    assertThat(check(callers, old).accepted()).isTrue();
    idp.withdraw("rsa-1");
    int before = idp.jwksFetches();
    poll(() -> idp.jwksFetches() > before && !check(callers, old).accepted(), "the scheduled refresh");
    assertThat(check(callers, idp.token("ec-1", "bob")).accepted()).isTrue();
  }

  @Test
  void oidcDiscoveryFindsTheKeysAndTheIssuer() {
    JwtCallers callers = callers(settings(e -> {
      e.remove(ConfigKey.AUTH_JWKS_URL);
      e.remove(ConfigKey.AUTH_JWT_ISSUER);
      e.put(ConfigKey.AUTH_OIDC_ISSUER, idp.issuer());
    }), new VirtualClock());
    assertThat(idp.discoveryFetches()).isEqualTo(1);
    assertThat(check(callers, idp.token("ec-1", "alice")).caller().name()).isEqualTo("alice");
    assertThat(check(callers, idp.sign("ec-1", idp.claims("a").put("iss", "https://other.example"))).accepted())
        .as("the discovered issuer is enforced").isFalse();
  }

  @Test
  void anUnusableKeySetLoadsNothingAndAcceptsNoToken() {
    StringBuilder huge = new StringBuilder("{\"keys\":[],\"pad\":\"");
    huge.append("x".repeat(JwksSource.MAX_BYTES)).append("\"}");
    idp.answerJwksWith(() -> Buffer.buffer(huge.toString()));
    JwtCallers tooLarge = callers();
    assertThat(check(tooLarge, idp.token("rsa-1", "a")).accepted()).isFalse();

    // Symmetric, private, weak and encryption keys are skipped; alone, they make no key set.
    TestIdentityProvider.Key weak = idp.newKey("weak", "RS1024");
    JsonObject priv = TestIdentityProvider.jwk(idp.key("rsa-1")).put("d", "AQAB");
    idp.answerJwksWith(() -> new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject().put("kty", "oct").put("kid", "rsa-1").put("alg", "HS256").put("k", "c2VjcmV0"))
        .add(TestIdentityProvider.jwk(weak)).add(priv)
        .add(TestIdentityProvider.jwk(idp.key("ec-1")).put("use", "enc"))).toBuffer());
    JwtCallers skipped = callers();
    assertThat(check(skipped, idp.token("weak", "a")).accepted()).isFalse();
    assertThat(check(skipped, idp.token("ec-1", "a")).accepted()).isFalse();
    assertThat(check(skipped, idp.token("rsa-1", "a")).accepted()).isFalse();
  }

  private static String headerWithKid(String kid) {
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new JsonObject().put("alg", "RS256")
        .put("kid", kid).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private void poll(java.util.function.BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      TestService.await(vertx.timer(20));
    }
  }
}
