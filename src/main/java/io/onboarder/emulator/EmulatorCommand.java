package io.onboarder.emulator;

import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emulator}: runs the Cyclr emulator alone, to try the service offline or to benchmark it. */
@Command(name = "emulator", mixinStandardHelpOptions = true,
    description = "Run the embedded Cyclr emulator until stopped (Ctrl-C).")
public final class EmulatorCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8081", description = "port (0 = any; default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "bind address (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--latency-ms", defaultValue = "0", description = "added latency per request")
  int latencyMs;

  @Option(names = "--rate-limit", defaultValue = "0", description = "requests/s before 429 (0 = off)")
  int rateLimit;

  @Option(names = "--failure-rate", defaultValue = "0", description = "share of requests answered 503")
  double failureRate;

  @Option(names = "--drop-install-rate", defaultValue = "0",
      description = "share of installs committed whose response is lost")
  double dropInstallRate;

  @Option(names = "--sign-in-token-seconds", defaultValue = "300",
      description = "lifetime of the one-time sign-in tokens it mints (Cyclr: about 300; default: ${DEFAULT-VALUE})")
  int signInTokenSeconds;

  @Override
  public Integer call() throws Exception {
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    EmulatorOptions options = new EmulatorOptions().setHost(host).setLatencyMs(latencyMs)
        .setRateLimitPerSecond(rateLimit).setFailureRate(failureRate).setDropInstallRate(dropInstallRate)
        .setSignInTokenLifetimeSeconds(signInTokenSeconds);
    CyclrEmulator emulator = new CyclrEmulator(vertx, options);
    emulator.start(port).await(30, TimeUnit.SECONDS);
    System.out.println("Cyclr emulator on " + emulator.apiUrl() + "  client id '" + options.getClientId()
        + "', client secret '" + options.getClientSecret() + "'");
    // Runs until the JVM is asked to stop (Ctrl-C, SIGTERM); the hook prints what the emulator saw.
    Runtime.getRuntime().addShutdownHook(new Thread(() ->
        System.out.println("emulator stats: " + emulator.stats().toJson().encode())));
    io.vertx.core.Promise.<Void>promise().future().await();
    return 0;
  }
}
