package io.onboarder.cli;

import io.onboarder.config.ConfigException;
import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.store.Backup;
import io.onboarder.store.Rekey;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Store maintenance beside a running service, configured like {@code serve} (environment, {@code --config}):
 * {@code backup} copies the embedded SQLite store consistently; {@code rekey} re-seals stored auth values with the
 * current {@code STORE_SECRET_KEY}. Exit codes: 0 done, 1 failed, 2 bad configuration or arguments.
 */
public final class StoreCommands {
  private StoreCommands() {}

  /**
   * Runs {@code work} with the service's settings, read as {@code serve} reads them; a bad configuration is
   * reported on stderr with exit code 2.
   */
  static int withSettings(String configFile, java.util.function.Function<Settings, Integer> work) {
    if (configFile != null && !Files.isRegularFile(Path.of(configFile))) {
      System.err.println("invalid configuration: --config " + configFile + " does not exist or is not a file");
      return 2;
    }
    Settings settings;
    Vertx vertx = Vertx.vertx();
    try {
      settings = Settings.from(ConfigLoader.load(vertx, configFile != null ? configFile : "conf/config.json")
          .await(30, TimeUnit.SECONDS));
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    } finally {
      vertx.close();
    }
    return work.apply(settings);
  }

  @Command(name = "backup", mixinStandardHelpOptions = true,
      description = "Copy the embedded SQLite store to FILE while the service runs (a consistent snapshot).")
  public static final class BackupCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "FILE", description = "the backup file (must not exist)")
    Path to;

    @Option(names = "--config", description = "config file, as for serve")
    String configFile;

    @Override
    public Integer call() {
      return withSettings(configFile, this::backup);
    }

    private int backup(Settings settings) {
      if (settings.postgres()) {
        System.err.println("backup copies the embedded SQLite store; for PostgreSQL use pg_dump or your provider's "
            + "backups (the service needs nothing else)");
        return 2;
      }
      try {
        Backup.Result r = Backup.sqlite(Path.of(settings.sqlitePath()), to, settings.secretKey() == null);
        System.out.println("backup written to " + r.file() + " (" + r.bytes() + " bytes, " + r.jobs() + " jobs, "
            + r.items() + " items, integrity ok)");
        if (r.keyFile() != null) {
          System.out.println("the store's generated key was copied to " + r.keyFile()
              + ": it opens the auth values in the backup; keep it as secret as the key");
        } else if (settings.secretKey() != null) {
          System.out.println("auth values in the backup are sealed with STORE_SECRET_KEY: restore with the same key");
        }
        return 0;
      } catch (Exception e) {
        System.err.println("backup failed: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "rekey", mixinStandardHelpOptions = true,
      description = "Re-seal every stored auth value with STORE_SECRET_KEY (values sealed with a key in "
          + "STORE_SECRET_KEYS_OLD are opened with it). Safe while the service runs.")
  public static final class RekeyCommand implements Callable<Integer> {
    @Option(names = "--config", description = "config file, as for serve")
    String configFile;

    @Override
    public Integer call() {
      return withSettings(configFile, this::rekey);
    }

    private int rekey(Settings settings) {
      try {
        Rekey.Result r = Rekey.run(settings);
        System.out.println("re-sealed " + r.resealed() + " auth values with the current key; " + r.current()
            + " had it already" + (r.changedMeanwhile() > 0 ? "; " + r.changedMeanwhile()
            + " changed by the service meanwhile (written with the current key)" : ""));
        if (r.oldKeyLinks() > 0) {
          System.out.println(r.oldKeyLinks() + " live relay links were made with an old key: keep it in "
              + "STORE_SECRET_KEYS_OLD until they expire, so that they can still be shown and reminded");
        } else {
          System.out.println("no stored value needs STORE_SECRET_KEYS_OLD any more");
        }
        return 0;
      } catch (Exception e) {
        System.err.println("rekey failed: " + e.getMessage());
        return 1;
      }
    }
  }
}
