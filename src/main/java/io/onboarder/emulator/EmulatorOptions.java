package io.onboarder.emulator;

import java.util.Objects;

/**
 * Live, mutable knobs of the {@link CyclrEmulator}: tests flip them mid-run, so every field is volatile and read per request.
 *
 * <p>Both accessor styles are offered (Vert.x style {@code setX}/{@code getX} and short {@code x(v)}/{@code x()}) because
 * several callers are written against this class at once; they are exact aliases.
 */
public final class EmulatorOptions {

  private volatile String host = "127.0.0.1";
  private volatile String clientId = "emulator-client";
  private volatile String clientSecret = "emulator-secret";
  private volatile int accessTokenLifetimeSeconds = 1_209_599;
  private volatile int signInTokenLifetimeSeconds = 300;
  private volatile int latencyMs;
  private volatile int latencyJitterMs;
  private volatile int rateLimitPerSecond;
  private volatile String retryAfterValue = "1";
  private volatile double failureRate;
  private volatile double dropInstallRate;
  private volatile double dropTemplateInstallRate;
  private volatile boolean outage;
  private volatile boolean autoCreateAccounts = true;
  private volatile int pageSizeMax = 50;
  private volatile boolean sendTotalPagesHeader;

  public EmulatorOptions() {
  }

  // ---- Vert.x style --------------------------------------------------------------------------

  public String getHost() { return host; }
  public EmulatorOptions setHost(String host) { this.host = Objects.requireNonNull(host, "host"); return this; }

  public String getClientId() { return clientId; }
  public EmulatorOptions setClientId(String clientId) { this.clientId = Objects.requireNonNull(clientId, "clientId"); return this; }

  public String getClientSecret() { return clientSecret; }
  public EmulatorOptions setClientSecret(String clientSecret) {
    this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret");
    return this;
  }

  public int getAccessTokenLifetimeSeconds() { return accessTokenLifetimeSeconds; }
  /** 0 issues tokens that are already expired (handy to test refresh-on-401 without waiting). */
  public EmulatorOptions setAccessTokenLifetimeSeconds(int seconds) {
    this.accessTokenLifetimeSeconds = nonNegative(seconds, "accessTokenLifetimeSeconds");
    return this;
  }

  public int getSignInTokenLifetimeSeconds() { return signInTokenLifetimeSeconds; }
  /** 0 issues sign-in tokens that are already expired. */
  public EmulatorOptions setSignInTokenLifetimeSeconds(int seconds) {
    this.signInTokenLifetimeSeconds = nonNegative(seconds, "signInTokenLifetimeSeconds");
    return this;
  }

  public int getLatencyMs() { return latencyMs; }
  public EmulatorOptions setLatencyMs(int latencyMs) { this.latencyMs = nonNegative(latencyMs, "latencyMs"); return this; }

  public int getLatencyJitterMs() { return latencyJitterMs; }
  public EmulatorOptions setLatencyJitterMs(int jitterMs) {
    this.latencyJitterMs = nonNegative(jitterMs, "latencyJitterMs");
    return this;
  }

  public int getRateLimitPerSecond() { return rateLimitPerSecond; }
  /** 0 turns rate limiting off. */
  public EmulatorOptions setRateLimitPerSecond(int limit) {
    this.rateLimitPerSecond = nonNegative(limit, "rateLimitPerSecond");
    return this;
  }

  public String getRetryAfterValue() { return retryAfterValue; }
  /** Sent verbatim as {@code Retry-After} on 429s: seconds or an HTTP date; null or empty sends no header. */
  public EmulatorOptions setRetryAfterValue(String value) { this.retryAfterValue = value; return this; }

  public double getFailureRate() { return failureRate; }
  public EmulatorOptions setFailureRate(double rate) { this.failureRate = rate(rate, "failureRate"); return this; }

  public double getDropInstallRate() { return dropInstallRate; }
  public EmulatorOptions setDropInstallRate(double rate) { this.dropInstallRate = rate(rate, "dropInstallRate"); return this; }

  public double getDropTemplateInstallRate() { return dropTemplateInstallRate; }
  /** Share of template installs that are committed but whose answer is lost (the connection closes). */
  public EmulatorOptions setDropTemplateInstallRate(double rate) {
    this.dropTemplateInstallRate = rate(rate, "dropTemplateInstallRate");
    return this;
  }

  public boolean isOutage() { return outage; }
  public EmulatorOptions setOutage(boolean outage) { this.outage = outage; return this; }

  public boolean isAutoCreateAccounts() { return autoCreateAccounts; }
  public EmulatorOptions setAutoCreateAccounts(boolean auto) { this.autoCreateAccounts = auto; return this; }

  public int getPageSizeMax() { return pageSizeMax; }
  public EmulatorOptions setPageSizeMax(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("pageSizeMax must be >= 1: " + max);
    }
    this.pageSizeMax = max;
    return this;
  }

  public boolean isSendTotalPagesHeader() { return sendTotalPagesHeader; }
  public EmulatorOptions setSendTotalPagesHeader(boolean send) { this.sendTotalPagesHeader = send; return this; }

  // ---- short aliases ------------------------------------------------------------------------

  public String host() { return getHost(); }
  public EmulatorOptions host(String v) { return setHost(v); }
  public String clientId() { return getClientId(); }
  public EmulatorOptions clientId(String v) { return setClientId(v); }
  public String clientSecret() { return getClientSecret(); }
  public EmulatorOptions clientSecret(String v) { return setClientSecret(v); }
  public int accessTokenLifetimeSeconds() { return getAccessTokenLifetimeSeconds(); }
  public EmulatorOptions accessTokenLifetimeSeconds(int v) { return setAccessTokenLifetimeSeconds(v); }
  public int signInTokenLifetimeSeconds() { return getSignInTokenLifetimeSeconds(); }
  public EmulatorOptions signInTokenLifetimeSeconds(int v) { return setSignInTokenLifetimeSeconds(v); }
  public int latencyMs() { return getLatencyMs(); }
  public EmulatorOptions latencyMs(int v) { return setLatencyMs(v); }
  public int latencyJitterMs() { return getLatencyJitterMs(); }
  public EmulatorOptions latencyJitterMs(int v) { return setLatencyJitterMs(v); }
  public int rateLimitPerSecond() { return getRateLimitPerSecond(); }
  public EmulatorOptions rateLimitPerSecond(int v) { return setRateLimitPerSecond(v); }
  public String retryAfterValue() { return getRetryAfterValue(); }
  public EmulatorOptions retryAfterValue(String v) { return setRetryAfterValue(v); }
  public double failureRate() { return getFailureRate(); }
  public EmulatorOptions failureRate(double v) { return setFailureRate(v); }
  public double dropInstallRate() { return getDropInstallRate(); }
  public EmulatorOptions dropInstallRate(double v) { return setDropInstallRate(v); }
  public double dropTemplateInstallRate() { return getDropTemplateInstallRate(); }
  public EmulatorOptions dropTemplateInstallRate(double v) { return setDropTemplateInstallRate(v); }
  public boolean outage() { return isOutage(); }
  public EmulatorOptions outage(boolean v) { return setOutage(v); }
  public boolean autoCreateAccounts() { return isAutoCreateAccounts(); }
  public EmulatorOptions autoCreateAccounts(boolean v) { return setAutoCreateAccounts(v); }
  public int pageSizeMax() { return getPageSizeMax(); }
  public EmulatorOptions pageSizeMax(int v) { return setPageSizeMax(v); }
  public boolean sendTotalPagesHeader() { return isSendTotalPagesHeader(); }
  public EmulatorOptions sendTotalPagesHeader(boolean v) { return setSendTotalPagesHeader(v); }

  private static int nonNegative(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must be >= 0: " + value);
    }
    return value;
  }

  private static double rate(double value, String name) {
    if (!(value >= 0.0 && value <= 1.0)) {
      throw new IllegalArgumentException(name + " must be within 0..1: " + value);
    }
    return value;
  }

  @Override
  public String toString() {
    return "EmulatorOptions{host=" + host + ", clientId=" + clientId + ", accessTokenLifetimeSeconds="
        + accessTokenLifetimeSeconds + ", signInTokenLifetimeSeconds=" + signInTokenLifetimeSeconds
        + ", latencyMs=" + latencyMs + ", latencyJitterMs=" + latencyJitterMs
        + ", rateLimitPerSecond=" + rateLimitPerSecond + ", retryAfterValue=" + retryAfterValue
        + ", failureRate=" + failureRate + ", dropInstallRate=" + dropInstallRate
        + ", dropTemplateInstallRate=" + dropTemplateInstallRate + ", outage=" + outage
        + ", autoCreateAccounts=" + autoCreateAccounts + ", pageSizeMax=" + pageSizeMax
        + ", sendTotalPagesHeader=" + sendTotalPagesHeader + '}';
  }
}
