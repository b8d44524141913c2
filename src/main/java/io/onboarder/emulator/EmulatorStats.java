package io.onboarder.emulator;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters of what the emulator saw and did, read by tests and benchmarks while it runs. */
public final class EmulatorStats {

  private final LongAdder requests = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> byRoute = new ConcurrentHashMap<>();
  private final LongAdder installs = new LongAdder();
  private final LongAdder duplicateInstalls = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> installsByAccount = new ConcurrentHashMap<>();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong maxInFlight = new AtomicLong();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder failuresInjected = new LongAdder();
  private final LongAdder dropsInjected = new LongAdder();
  private final LongAdder unauthorized = new LongAdder();
  private final LongAdder tokenRequests = new LongAdder();
  private final LongAdder signInTokensIssued = new LongAdder();
  private final LongAdder oauthPagesAccepted = new LongAdder();
  private final LongAdder oauthPagesRejected = new LongAdder();
  private final LongAdder cyclesInstalled = new LongAdder();
  private final LongAdder duplicateCycles = new LongAdder();
  private final LongAdder activations = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> cyclesByAccount = new ConcurrentHashMap<>();
  private final LongAdder answered = new LongAdder();
  private final LongAdder answerNanos = new LongAdder();

  EmulatorStats() {
  }

  // ---- getters ------------------------------------------------------------------------------

  public long requests() { return requests.sum(); }

  /** A snapshot keyed by route template, e.g. {@code "POST /v1.0/connectors/{id}/install"}. */
  public Map<String, Long> requestsByRoute() {
    Map<String, Long> copy = new TreeMap<>();
    byRoute.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  public long requests(String routeKey) {
    LongAdder adder = byRoute.get(routeKey);
    return adder == null ? 0 : adder.sum();
  }

  public long installs() { return installs.sum(); }
  public long duplicateInstalls() { return duplicateInstalls.sum(); }

  public long installsFor(String account) {
    LongAdder adder = installsByAccount.get(account);
    return adder == null ? 0 : adder.sum();
  }

  /** Template installs (each made a cycle). */
  public long cyclesInstalled() { return cyclesInstalled.sum(); }
  /** Template installs into an account that already had a cycle of that template. */
  public long duplicateCycles() { return duplicateCycles.sum(); }
  /** Cycles switched from paused to active. */
  public long activations() { return activations.sum(); }

  public long cyclesInstalledFor(String account) {
    LongAdder adder = cyclesByAccount.get(account);
    return adder == null ? 0 : adder.sum();
  }

  /** Mean time from a request's arrival to the end of its answer: the latency a client really sees. */
  public double meanResponseMillis() {
    long n = answered.sum();
    return n == 0 ? 0 : answerNanos.sum() / 1e6 / n;
  }

  void answered(long nanos) {
    answered.increment();
    answerNanos.add(nanos);
  }

  public long inFlight() { return inFlight.get(); }
  public long maxInFlight() { return maxInFlight.get(); }
  public long rateLimited() { return rateLimited.sum(); }
  public long failuresInjected() { return failuresInjected.sum(); }
  public long dropsInjected() { return dropsInjected.sum(); }
  public long unauthorized() { return unauthorized.sum(); }
  public long tokenRequests() { return tokenRequests.sum(); }
  public long signInTokensIssued() { return signInTokensIssued.sum(); }
  public long oauthPagesAccepted() { return oauthPagesAccepted.sum(); }
  public long oauthPagesRejected() { return oauthPagesRejected.sum(); }

  /** Everything as JSON, for the demo command and for logging a benchmark run. */
  public JsonObject toJson() {
    JsonObject routes = new JsonObject();
    requestsByRoute().forEach(routes::put);
    return new JsonObject()
        .put("requests", requests())
        .put("meanResponseMillis", meanResponseMillis())
        .put("requestsByRoute", routes)
        .put("installs", installs())
        .put("duplicateInstalls", duplicateInstalls())
        .put("cyclesInstalled", cyclesInstalled())
        .put("duplicateCycles", duplicateCycles())
        .put("activations", activations())
        .put("inFlight", inFlight())
        .put("maxInFlight", maxInFlight())
        .put("rateLimited", rateLimited())
        .put("failuresInjected", failuresInjected())
        .put("dropsInjected", dropsInjected())
        .put("unauthorized", unauthorized())
        .put("tokenRequests", tokenRequests())
        .put("signInTokensIssued", signInTokensIssued())
        .put("oauthPagesAccepted", oauthPagesAccepted())
        .put("oauthPagesRejected", oauthPagesRejected());
  }

  @Override
  public String toString() {
    return toJson().encode();
  }

  // ---- recording (package-private: only the emulator counts) ---------------------------------

  void requestStarted() {
    requests.increment();
    long now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
  }

  void requestFinished() {
    inFlight.decrementAndGet();
  }

  void countRoute(String key) {
    LongAdder adder = byRoute.get(key); // plain get first: the hot path never takes a bin lock
    if (adder == null) {
      adder = byRoute.computeIfAbsent(key, k -> new LongAdder());
    }
    adder.increment();
  }

  void countInstall(String account, boolean duplicate) {
    installs.increment();
    if (duplicate) {
      duplicateInstalls.increment();
    }
    installsByAccount.computeIfAbsent(account, k -> new LongAdder()).increment();
  }

  void countCycleInstalled(String account, boolean duplicate) {
    cyclesInstalled.increment();
    if (duplicate) {
      duplicateCycles.increment();
    }
    cyclesByAccount.computeIfAbsent(account, k -> new LongAdder()).increment();
  }

  void countActivation() { activations.increment(); }
  void countRateLimited() { rateLimited.increment(); }
  void countFailureInjected() { failuresInjected.increment(); }
  void countDropInjected() { dropsInjected.increment(); }
  void countUnauthorized() { unauthorized.increment(); }
  void countTokenRequest() { tokenRequests.increment(); }
  void countSignInTokenIssued() { signInTokensIssued.increment(); }
  void countOAuthPage(boolean accepted) {
    (accepted ? oauthPagesAccepted : oauthPagesRejected).increment();
  }

  /** Zeroes every counter; {@code inFlight} is a gauge of live requests, so it stays and seeds the new maximum. */
  void reset() {
    requests.reset();
    byRoute.clear();
    installs.reset();
    duplicateInstalls.reset();
    installsByAccount.clear();
    cyclesInstalled.reset();
    duplicateCycles.reset();
    activations.reset();
    cyclesByAccount.clear();
    maxInFlight.set(inFlight.get());
    rateLimited.reset();
    failuresInjected.reset();
    dropsInjected.reset();
    unauthorized.reset();
    tokenRequests.reset();
    signInTokensIssued.reset();
    oauthPagesAccepted.reset();
    oauthPagesRejected.reset();
  }
}
