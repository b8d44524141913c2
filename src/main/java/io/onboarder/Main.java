package io.onboarder;

import io.onboarder.cli.JobCommands;
import io.onboarder.cli.SubmitCommand;
import io.onboarder.config.ConfigException;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.demo.Demo;
import io.onboarder.job.StoreException;
import io.onboarder.logs.LogEncoder;
import io.onboarder.trace.Tracing;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Promise;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * Command line: {@code serve} (default) runs the service; {@code demo} runs it against the embedded
 * emulator; {@code submit}, {@code status}, {@code report}, {@code cancel}, {@code retry} and {@code history}
 * talk to a running service; {@code backup} and {@code rekey} maintain its store ({@code io.onboarder.cli}).
 */
@Command(name = "cyclr-onboarder", mixinStandardHelpOptions = true, version = "cyclr-onboarder 0.1.0",
    description = "Onboards many tenant accounts into Cyclr at once.",
    subcommands = {Main.Serve.class, Demo.class, io.onboarder.emulator.EmulatorCommand.class,
        SubmitCommand.class, JobCommands.Status.class, JobCommands.Report.class, JobCommands.Cancel.class,
        JobCommands.Retry.class, io.onboarder.cli.HistoryCommand.class, io.onboarder.cli.FleetCommands.class,
        io.onboarder.cli.StoreCommands.BackupCommand.class, io.onboarder.cli.StoreCommands.RekeyCommand.class})
public final class Main implements Callable<Integer> {
  static final int EXIT_CONFIG = 2;
  /**
   * The shutdown watchdog ends the process this long after {@code jobs.shutdownGraceMs}, whatever hangs. The pod's
   * terminationGracePeriodSeconds must cover its preStop pause + the grace + this (k8s/, OperationsPackTest).
   */
  static final long WATCHDOG_AFTER_GRACE_MS = 12_000;

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    // No command given: serve.
    int code = cli.execute(args.length == 0 ? new String[] {"serve"} : args);
    System.exit(code);
  }

  @Override
  public Integer call() {
    return new CommandLine(new Serve()).execute();
  }

  /** Runs the service until SIGTERM/SIGINT, then drains and exits 0. */
  @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the service (default).")
  public static final class Serve implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Serve.class);

    @Option(names = "--config", description = "config file (default: conf/config.json if present, else the "
        + "defaults built into the jar)")
    String configFile;

    @Override
    public Integer call() throws Exception {
      if (configFile != null && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(configFile))) {
        System.err.println("invalid configuration: --config " + configFile + " does not exist or is not a file");
        return EXIT_CONFIG;
      }
      if (!LogEncoder.known(System.getenv("LOG_FORMAT"))) {
        System.err.println("invalid configuration: LOG_FORMAT must be json or text, not '" + System.getenv("LOG_FORMAT")
            + "'");
        return EXIT_CONFIG;
      }
      Settings settings;
      Vertx configVertx = Vertx.vertx();
      try {
        JsonObject conf = ConfigLoader.load(configVertx, configFile != null ? configFile : "conf/config.json")
            .await(30, TimeUnit.SECONDS);
        settings = Settings.from(conf);
      } catch (ConfigException e) {
        System.err.println(e.getMessage());
        return EXIT_CONFIG;
      } finally {
        configVertx.close();
      }
      Tracing tracing;
      try {
        tracing = Tracing.start(settings.tracing());
      } catch (ConfigException e) {
        System.err.println(e.getMessage());
        return EXIT_CONFIG;
      }
      Vertx vertx;
      try {
        vertx = Application.newVertx(settings, tracing).await(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("start-up failed: could not join the cluster '" + settings.clusterName() + "': "
            + e.getMessage());
        log.debug("cluster join failure", e);
        return 1;
      }
      Application app;
      try {
        app = Application.deploy(vertx, settings).await(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        Throwable cause = StoreException.is(e.getCause(), StoreException.Kind.REFUSED) ? e.getCause() : e;
        System.err.println("start-up failed: " + cause.getMessage());
        log.debug("start-up failure", e);
        vertx.close();
        return StoreException.is(cause, StoreException.Kind.REFUSED) ? EXIT_CONFIG : 1;
      }
      log.info("cyclr-onboarder listening on port {} ({}; {})", app.httpPort(), settings, settings.tracing());
      Promise<Void> stopped = Promise.promise();
      Runnable shutdown = () -> {
        log.info("shutdown requested: draining (up to {} ms)", settings.shutdownGraceMs());
        // A watchdog guarantees the process ends even if something hangs.
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "shutdown-watchdog");
          t.setDaemon(true);
          return t;
        });
        watchdog.schedule(() -> Runtime.getRuntime().halt(1), settings.shutdownGraceMs() + WATCHDOG_AFTER_GRACE_MS,
            TimeUnit.MILLISECONDS);
        try {
          app.stop(settings.shutdownGraceMs()).await(settings.shutdownGraceMs() + 5_000, TimeUnit.MILLISECONDS);
          vertx.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.warn("shutdown: {}", e.getMessage());
        }
        log.info("stopped");
        stopped.tryComplete();
        System.exit(0);
      };
      Signal.handle(new Signal("TERM"), sig -> new Thread(shutdown, "shutdown").start());
      Signal.handle(new Signal("INT"), sig -> new Thread(shutdown, "shutdown").start());
      stopped.future().await();
      return 0;
    }
  }
}
