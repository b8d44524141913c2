package io.onboarder.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Re-seals every stored auth value with the current key ({@code STORE_SECRET_KEY}), opening it with whichever
 * configured key sealed it, so that an old key ({@code STORE_SECRET_KEYS_OLD}) is no longer needed for them. Safe
 * while the service runs: pages of 500 rows, each value replaced only if it is still the one read (the service may
 * wipe or rewrite it meanwhile, and what it writes is sealed with the current key already). Blocking: a command,
 * not the service, calls it, over its own JDBC connection.
 */
public final class Rekey {
  private static final int PAGE = 500;

  /** A table with sealed auth values, and the columns that name one of its rows (its primary key). */
  private record Sealed(String table, List<String> keys) {}

  private static final List<Sealed> TABLES = List.of(
      new Sealed("items", List.of("id")),
      new Sealed("fleet_intake_tenants", List.of("intake", "account")),
      new Sealed("fleet_tenants", List.of("fleet", "account")));

  /**
   * What a run did: values re-sealed, values already under the current key, values changed by the service while
   * being re-sealed (left as the service wrote them), and live relay links made with an old key (their URLs can be
   * shown and reminded only while that key stays in STORE_SECRET_KEYS_OLD, until they expire).
   */
  public record Result(long resealed, long current, long changedMeanwhile, long oldKeyLinks) {}

  private Rekey() {}

  /**
   * Re-seals the auth values of the store {@code settings} name, with its keys. The embedded store must exist,
   * with its key: this never creates a database or a key file.
   */
  public static Result run(io.onboarder.config.Settings settings) throws java.io.IOException, SQLException {
    try (Connection c = connect(settings)) {
      return run(c, box(settings));
    }
  }

  /** The keys of the store {@code settings} name (for the embedded store: the configured key or its key file). */
  static SecretBox box(io.onboarder.config.Settings settings) throws java.io.IOException {
    if (settings.postgres()) {
      return new SecretBox(settings.secretKey(), settings.oldSecretKeys());
    }
    java.nio.file.Path keyFile = SqliteBackend.keyFileFor(java.nio.file.Path.of(settings.sqlitePath()));
    if (settings.secretKey() == null && !java.nio.file.Files.exists(keyFile)) {
      throw new java.io.IOException("neither STORE_SECRET_KEY nor a key file " + keyFile);
    }
    return SecretBox.forStore(settings.secretKey(), settings.oldSecretKeys(), keyFile);
  }

  /** A JDBC connection to an existing store, beside the service's (for SQLite: not taking its lock file). */
  static Connection connect(io.onboarder.config.Settings settings) throws java.io.IOException, SQLException {
    if (settings.postgres()) {
      return PgBackend.dataSource(io.vertx.pgclient.PgConnectOptions.fromUri(settings.storeUrl())).getConnection();
    }
    java.nio.file.Path db = java.nio.file.Path.of(settings.sqlitePath());
    if (!java.nio.file.Files.isRegularFile(db)) {
      throw new java.io.IOException("no database at " + db);
    }
    return Backup.connect(db);
  }

  public static Result run(Connection c, SecretBox box) throws SQLException {
    long resealed = 0;
    long current = 0;
    long changed = 0;
    for (Sealed t : TABLES) {
      String keyList = String.join(", ", t.keys());
      String after = "(" + keyList + ") > (" + t.keys().stream().map(k -> "?").collect(Collectors.joining(", ")) + ")";
      String match = t.keys().stream().map(k -> k + " = ?").collect(Collectors.joining(" AND "));
      List<Object> last = null;
      while (true) {
        List<Object[]> page = page(c, "SELECT " + keyList + ", auth_value FROM " + t.table()
            + " WHERE auth_value IS NOT NULL" + (last == null ? "" : " AND " + after)
            + " ORDER BY " + keyList + " LIMIT " + PAGE, last, t.keys().size() + 1);
        if (page.isEmpty()) {
          break;
        }
        List<Object[]> stale = new ArrayList<>();
        for (Object[] row : page) {
          String sealed = (String) row[row.length - 1];
          if (box.sealedWithCurrentKey(sealed)) {
            current++;
          } else {
            stale.add(row);
          }
        }
        int[] counts = reseal(c, "UPDATE " + t.table() + " SET auth_value = ? WHERE " + match + " AND auth_value = ?",
            stale, box);
        for (int n : counts) {
          if (n > 0) {
            resealed++;
          } else {
            changed++;
          }
        }
        Object[] end = page.get(page.size() - 1);
        last = List.of(java.util.Arrays.copyOf(end, t.keys().size()));
      }
    }
    return new Result(resealed, current, changed, oldKeyLinks(c, box));
  }

  private static List<Object[]> page(Connection c, String sql, List<Object> after, int columns) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; after != null && i < after.size(); i++) {
        ps.setObject(i + 1, after.get(i));
      }
      List<Object[]> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Object[] row = new Object[columns];
          for (int i = 0; i < columns; i++) {
            row[i] = rs.getObject(i + 1);
          }
          rows.add(row);
        }
      }
      return rows;
    }
  }

  /** One transaction per page; a value is opened with the key its id names (or any, for values older than ids). */
  private static int[] reseal(Connection c, String sql, List<Object[]> rows, SecretBox box) throws SQLException {
    if (rows.isEmpty()) {
      return new int[0];
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (Object[] row : rows) {
        String sealed = (String) row[row.length - 1];
        ps.setString(1, box.encrypt(box.decrypt(sealed)));
        for (int i = 0; i < row.length - 1; i++) {
          ps.setObject(i + 2, row[i]);
        }
        ps.setString(row.length + 1, sealed);
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      c.commit();
      return counts;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /** Live relay links (not revoked, not expired) whose token the current key does not derive; pages by id. */
  private static long oldKeyLinks(Connection c, SecretBox box) throws SQLException {
    long old = 0;
    long now = System.currentTimeMillis();
    List<Object> last = List.of(0L);
    while (true) {
      List<Object[]> page = page(c, "SELECT id, salt, token_hash FROM links WHERE revoked = 0 AND expires_at > "
          + now + " AND id > ? ORDER BY id LIMIT " + PAGE, last, 3);
      if (page.isEmpty()) {
        return old;
      }
      for (Object[] link : page) {
        String token = box.linkToken(Base64.getDecoder().decode((String) link[1]));
        if (!SecretBox.sha256Hex(token).equals(link[2])) {
          old++;
        }
      }
      last = List.of(page.get(page.size() - 1)[0]);
    }
  }
}
