package io.onboarder.cyclr;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClosedException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The retry table: what each Cyclr answer or failure means, how long Retry-After makes us wait, and backoff bounds. */
class RetryPolicyTest {

  // ---- classify(status) --------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} idempotent={1} -> {2}")
  @CsvSource({
      "200, true,  SUCCESS",      "200, false, SUCCESS",
      "201, true,  SUCCESS",      "201, false, SUCCESS",
      "204, true,  SUCCESS",      "204, false, SUCCESS",
      "400, true,  FATAL",        "400, false, FATAL",
      "401, true,  UNAUTHORIZED", "401, false, UNAUTHORIZED",
      "403, true,  FATAL",        "403, false, FATAL",
      "404, true,  FATAL",        "404, false, FATAL",
      "408, true,  RETRYABLE",    "408, false, RETRYABLE",
      "409, true,  FATAL",        "409, false, FATAL",
      "422, true,  FATAL",        "422, false, FATAL",
      "429, true,  RATE_LIMITED", "429, false, RATE_LIMITED",
      "500, true,  RETRYABLE",    "500, false, AMBIGUOUS",
      "502, true,  RETRYABLE",    "502, false, AMBIGUOUS",
      "503, true,  RETRYABLE",    "503, false, RETRYABLE",
      "504, true,  RETRYABLE",    "504, false, AMBIGUOUS",
  })
  void mapsEachStatusToWhatTheGatewayMustDo(int status, boolean idempotent, CallKind expected) {
    assertThat(RetryPolicy.classify(status, idempotent)).isEqualTo(expected);
  }

  // ---- classify(status, body unreadable) ----------------------------------------------------------

  /** A body too large, not JSON or not the expected shape: a 2xx install may have been done, so it is checked. */
  @ParameterizedTest(name = "{0} idempotent={1}, unreadable body -> {2}")
  @CsvSource({
      "200, true,  FATAL",        "200, false, AMBIGUOUS",
      "201, true,  FATAL",        "201, false, AMBIGUOUS",
      "400, true,  FATAL",        "400, false, FATAL",
      "401, true,  UNAUTHORIZED", "401, false, UNAUTHORIZED",
      "429, true,  RATE_LIMITED", "429, false, RATE_LIMITED",
      "502, true,  RETRYABLE",    "502, false, AMBIGUOUS",
      "503, true,  RETRYABLE",    "503, false, RETRYABLE",
  })
  void anUnreadableBodyMakesA2xxFatalOrAmbiguousAndLeavesOtherStatusesAlone(int status, boolean idempotent,
                                                                          CallKind expected) {
    assertThat(RetryPolicy.classify(status, idempotent, false)).isEqualTo(expected);
    assertThat(RetryPolicy.classify(status, idempotent, true)).isEqualTo(RetryPolicy.classify(status, idempotent));
  }

  // ---- classify(failure) -------------------------------------------------------------------------

  /** Failures that prove the request never left this process: always safe to send again. */
  static Stream<Arguments> neverSent() {
    return Stream.of(
        Arguments.of("ConnectException", new ConnectException("Connection refused")),
        Arguments.of("netty ConnectTimeoutException", new ConnectTimeoutException("connection timed out")),
        Arguments.of("ConnectionPoolTooBusyException", new ConnectionPoolTooBusyException("pool is full")),
        Arguments.of("UnknownHostException", new UnknownHostException("api.cyclr.invalid")),
        Arguments.of("SSLHandshakeException", new SSLHandshakeException("handshake failed")),
        Arguments.of("ConnectException inside VertxException",
            new VertxException("request failed", new ConnectException("Connection refused"))),
        Arguments.of("UnknownHostException two levels deep",
            new VertxException("outer", new RuntimeException("middle", new UnknownHostException("x")))),
        Arguments.of("pool too busy inside RuntimeException",
            new RuntimeException(new ConnectionPoolTooBusyException("busy"))));
  }

  @ParameterizedTest(name = "{0} idempotent={2}")
  @MethodSource("neverSentTimesIdempotency")
  void failureBeforeTheRequestLeftIsRetryableEvenForAnInstall(String name, Throwable failure, boolean idempotent) {
    assertThat(RetryPolicy.classify(failure, idempotent)).isEqualTo(CallKind.RETRYABLE);
  }

  static Stream<Arguments> neverSentTimesIdempotency() {
    return neverSent().flatMap(a -> Stream.of(true, false)
        .map(idem -> Arguments.of(a.get()[0], a.get()[1], idem)));
  }

  /** Failures after the request may have been written: only idempotent calls may be re-sent blindly. */
  static Stream<Arguments> maybeSent() {
    return Stream.of(
        Arguments.of("TimeoutException", new TimeoutException("The timeout period of 30000ms has been exceeded")),
        Arguments.of("Vert.x request timeout", new NoStackTraceTimeoutException("The timeout of 30000 ms has been exceeded")),
        Arguments.of("HttpClosedException", new HttpClosedException("Connection was closed")),
        Arguments.of("VertxException Connection was closed", new VertxException("Connection was closed")),
        Arguments.of("TimeoutException wrapped", new VertxException("failed", new TimeoutException("t"))),
        Arguments.of("unknown RuntimeException", new IllegalStateException("boom")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("maybeSent")
  void failureAfterTheRequestMayHaveBeenSentIsRetryableOnlyWhenIdempotent(String name, Throwable failure) {
    assertThat(RetryPolicy.classify(failure, true)).isEqualTo(CallKind.RETRYABLE);
    assertThat(RetryPolicy.classify(failure, false)).isEqualTo(CallKind.AMBIGUOUS);
  }

  @Test
  void aFailureThatIsItsOwnCauseDoesNotLoop() {
    // Throwable.initCause forbids self-causation, so build one whose getCause() returns itself.
    RuntimeException selfCaused = new RuntimeException("self") {
      @Override
      public synchronized Throwable getCause() {
        return this;
      }
    };
    assertThat(RetryPolicy.classify(selfCaused, false)).isEqualTo(CallKind.AMBIGUOUS);
  }

  // ---- Retry-After -------------------------------------------------------------------------------
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @ParameterizedTest(name = "''{0}'' -> 1 s default")
  @NullSource
  @ValueSource(strings = {"", "   ", "soon", "1e3", "NaN", "Infinity", "5s", "0x10", "1,5", "Wed 21 Oct"})
  void missingOrGarbageYieldsTheOneSecondDefault(String header) {
    assertThat(RetryPolicy.parseRetryAfter(header, NOW)).isEqualTo(Duration.ofSeconds(1));
  }

  @ParameterizedTest(name = "''{0}'' -> {1} ms")
  @CsvSource({
      "'0',                      0",
      "'5',                      5000",
      "' 5 ',                    5000",
      "'120',                    120000",
      "'-3',                     0",
      "'-1.5',                   0",
      "'1.5',                    1500",
      "'0.25',                   250",
      "'121',                    120000",
      "'99999999',               120000",
      "'999999999999999999',     120000",
      "'9223372036854775807',    120000",
      "'999999999999999999999',  120000",
      "'1234567890123.5',        120000",
      "'-99999999999999999999',  0",
  })
  void deltaSecondsAreHonouredButNeverNegativeNorAboveTwoMinutes(String header, long expectedMs) {
    assertThat(RetryPolicy.parseRetryAfter(header, NOW)).isEqualTo(Duration.ofMillis(expectedMs));
  }

  @ParameterizedTest(name = "date {0} s from now -> {1} ms")
  @CsvSource({
      "30,      30000",
      "1,       1000",
      "0,       0",
      "-30,     0",
      "-86400,  0",
      "119,     119000",
      "600,     120000",
      "86400,   120000",
  })
  void httpDateIsTheDelayFromNowClampedToZeroAndTwoMinutes(long secondsFromNow, long expectedMs) {
    String header = DateTimeFormatter.RFC_1123_DATE_TIME
        .format(ZonedDateTime.ofInstant(NOW.plusSeconds(secondsFromNow), ZoneOffset.UTC));
    assertThat(RetryPolicy.parseRetryAfter(header, NOW)).isEqualTo(Duration.ofMillis(expectedMs));
  }

  @Test
  void imfFixdateWithTwoDigitDayAsServersSendIt() {
    Instant at = Instant.parse("2015-10-21T07:27:30Z");
    assertThat(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", at)).isEqualTo(Duration.ofSeconds(30));
    assertThat(RetryPolicy.parseRetryAfter("Thu, 01 Oct 2015 07:28:00 GMT", at)).isEqualTo(Duration.ZERO);
  }

  // ---- backoff -----------------------------------------------------------------------------------
  private static final int BACKOFF_SAMPLES = 2_000;

  @ParameterizedTest(name = "attempt {0}: [0, {1}]")
  @CsvSource({
      "1,  100",
      "2,  200",
      "3,  400",
      "4,  800",
      "5,  1600",
      "6,  3200",
      "7,  5000",
      "10, 5000",
      "64, 5000",
      "1000, 5000",
  })
  void fullJitterStaysWithinTheExponentialCeilingAndVaries(int attempt, long ceiling) {
    RetryPolicy policy = new RetryPolicy(100, 5_000);
    Set<Long> seen = new HashSet<>();
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < BACKOFF_SAMPLES; i++) {
      long d = policy.backoffMs(attempt);
      assertThat(d).isBetween(0L, ceiling);
      seen.add(d);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertThat(seen).as("jittered, not constant").hasSizeGreaterThan(10);
    // Full jitter spreads over the whole range (chance of failing either bound by luck: 2^-2000).
    assertThat(min).isLessThan(ceiling / 2);
    assertThat(max).isGreaterThan(ceiling / 2);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void aNonPositiveAttemptIsTreatedAsTheFirst(int attempt) {
    RetryPolicy policy = new RetryPolicy(100, 5_000);
    for (int i = 0; i < 200; i++) {
      assertThat(policy.backoffMs(attempt)).isBetween(0L, 100L);
    }
  }

  @Test
  void zeroBaseNeverWaits() {
    RetryPolicy policy = new RetryPolicy(0, 5_000);
    assertThat(policy.backoffMs(5)).isZero();
  }

  // ---- retryableLater(failure) ---------------------------------------------------------------------

  /** After the client's own retries: what a later reconcile may try again, and what will fail the same way. */
  static Stream<Arguments> failuresAfterRetries() {
    return Stream.of(
        Arguments.of(new CyclrException("CYCLR_UNAVAILABLE", "down", 503), true),
        Arguments.of(new CyclrException("CYCLR_RATE_LIMITED", "429s", 429), true),
        Arguments.of(new CyclrException.Ambiguous("timeout"), true),
        Arguments.of(new CyclrException.ShuttingDown(), true),
        Arguments.of(new CallCancelled(), true),
        Arguments.of(new CyclrException("CYCLR_4XX", "no", 400), false),
        Arguments.of(new CyclrException("CYCLR_TOO_MANY_PAGES", "pages", null), false),
        Arguments.of(new CyclrException("CYCLR_TOO_MANY_ROWS", "rows", null), false),
        Arguments.of(new CyclrException.Unreadable("CYCLR_RESPONSE_TOO_LARGE", "big", 200), false),
        Arguments.of(new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "garbage", 200), false),
        Arguments.of(new CyclrException("CYCLR_UNAUTHORIZED", "creds", 401), false),
        Arguments.of(new IllegalStateException("bug"), false));
  }

  @ParameterizedTest(name = "{0} -> retryable later: {1}")
  @MethodSource("failuresAfterRetries")
  void saysWhichFailuresAreWorthALaterTry(Throwable failure, boolean retryable) {
    assertThat(RetryPolicy.retryableLater(failure)).isEqualTo(retryable);
  }
}
