package io.onboarder.store;

import io.onboarder.support.Postgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteDataSource;

/**
 * Empty databases at the current schema, migrated once per test JVM by the service's own migration
 * ({@link Database#migrate}) and copied for each test: a store started on a copy finds its schema
 * current, and Flyway only checks it. Migrating an empty database for each of a few hundred tests
 * (every started service, every store contract test) was a large part of the suite's time.
 */
public final class SchemaTemplates {
  private static String postgres;
  private static Path sqlite;

  private SchemaTemplates() {}

  /** A new PostgreSQL database at the current schema (a copy of the template); its URI. */
  public static String postgresDatabaseUrl() {
    return Postgres.copyOf(postgresTemplate());
  }

  /** Puts an empty SQLite database at the current schema at {@code file}, unless a file is there already. */
  public static void sqliteAt(Path file) {
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.copy(sqliteTemplate(), file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized String postgresTemplate() {
    if (postgres == null) {
      String url = Postgres.freshDatabaseUrl();
      URI uri = URI.create(url);
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {uri.getHost()});
      ds.setPortNumbers(new int[] {uri.getPort()});
      ds.setDatabaseName(uri.getPath().substring(1));
      ds.setUser("postgres");
      Database.migrate(ds, "classpath:db/migration/postgresql");
      postgres = url;
    }
    return postgres;
  }

  private static synchronized Path sqliteTemplate() throws IOException {
    if (sqlite == null) {
      Path dir = Files.createTempDirectory("onboarder-sqlite-template-");
      Path file = dir.resolve("template.sqlite");
      dir.toFile().deleteOnExit();
      file.toFile().deleteOnExit();
      SQLiteDataSource ds = new SQLiteDataSource();
      ds.setUrl("jdbc:sqlite:" + file);
      Database.migrate(ds, "classpath:db/migration/sqlite");
      sqlite = file;
    }
    return sqlite;
  }
}
