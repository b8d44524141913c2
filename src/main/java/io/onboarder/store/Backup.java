package io.onboarder.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Copies the embedded SQLite store to a file while the service runs: {@code VACUUM INTO} reads the database in one
 * read transaction (WAL mode lets the service go on writing meanwhile), so the copy is the database as it was at
 * one instant, jobs running or not. Blocking: a command, not the service, calls it.
 */
public final class Backup {
  private Backup() {}

  /** What a backup wrote: the file, its size, the counts read back from the copy, and a copied key file (or null). */
  public record Result(Path file, long bytes, long jobs, long items, Path keyFile) {}

  /**
   * Backs {@code dbFile} up to {@code target}, which must not exist. The copy is written beside the target first
   * and renamed once it passed SQLite's integrity check, so a target that exists is a whole backup. With
   * {@code copyKeyFile} (no {@code STORE_SECRET_KEY} configured: the store's generated key file seals the auth
   * values), the key file is copied beside the target too, owner-only, as {@code <target name>.key}.
   */
  public static Result sqlite(Path dbFile, Path target, boolean copyKeyFile) throws IOException, SQLException {
    if (!Files.isRegularFile(dbFile)) {
      throw new IOException("no database at " + dbFile);
    }
    if (Files.exists(target)) {
      throw new IOException(target + " exists already: choose a new file");
    }
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path partial = dir.resolve(target.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    try {
      try (Connection c = connect(dbFile); PreparedStatement vacuum = c.prepareStatement("VACUUM INTO ?")) {
        vacuum.setString(1, partial.toString());
        vacuum.execute();
      }
      long jobs;
      long items;
      try (Connection c = connect(partial); Statement s = c.createStatement()) {
        try (ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
          String answer = check.next() ? check.getString(1) : "no answer";
          if (!"ok".equals(answer)) {
            throw new SQLException("the copy failed SQLite's integrity check: " + answer);
          }
        }
        jobs = count(s, "SELECT count(*) FROM jobs");
        items = count(s, "SELECT count(*) FROM items");
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      Path keyCopy = copyKeyFile ? copyKey(SqliteBackend.keyFileFor(dbFile), SqliteBackend.keyFileFor(target)) : null;
      return new Result(target, Files.size(target), jobs, items, keyCopy);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  private static Path copyKey(Path from, Path to) throws IOException {
    if (!Files.exists(from)) {
      return null;
    }
    try {
      Files.createFile(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(to);
    }
    Files.write(to, Files.readAllBytes(from));
    return to;
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /** A plain connection beside the service's (it does not take the service's lock file): it only reads. */
  static Connection connect(Path file) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(30_000);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
    return ds.getConnection();
  }
}
