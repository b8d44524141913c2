package io.onboarder.store;

import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Function;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteOpenMode;

/**
 * The embedded database: one SQLite file (WAL, immediate transactions) through {@link SqliteClient},
 * schema migrated by Flyway. One process at a time: it holds an exclusive lock on a file beside the
 * database, so a second process refuses to start instead of taking over the first one's items.
 */
final class SqliteBackend implements Backend {
  private final Path dbFile;
  private final byte[] configuredKey;
  private final java.util.List<byte[]> oldKeys;
  private Vertx vertx;
  private FileChannel lockChannel;
  private FileLock lock;
  /** The database file's identity (inode) when opened: a file deleted or replaced under the service differs. */
  private volatile Object fileKey;
  private SqliteCheckpoints checkpoints;

  SqliteBackend(Path dbFile, byte[] configuredKey, java.util.List<byte[]> oldKeys) {
    this.dbFile = dbFile;
    this.configuredKey = configuredKey;
    this.oldKeys = oldKeys;
  }

  @Override
  public SqlDialect dialect() {
    return SqlDialect.SQLITE;
  }

  /**
   * The page cache, in KiB (SQLite's negative cache_size). The default 2 MiB is smaller than one intake batch
   * of 4,096 items dirties (about 1.3 MiB of rows plus three indexes), so a big upload spilled pages to the WAL
   * in the middle of its transactions and read them back; 16 MiB holds two batches. Allocated as used.
   */
  static final int CACHE_KIB = -16_384;

  @Override
  public Future<Opened> open(Vertx vertx) {
    this.vertx = vertx;
    return vertx.executeBlocking(() -> {
      Path dir = dbFile.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      lockExclusively();
      SecretBox box = SecretBox.forStore(configuredKey, oldKeys, keyFileFor(dbFile));
      SQLiteConfig config = new SQLiteConfig();
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
      config.setBusyTimeout(30_000);
      config.enforceForeignKeys(true);
      config.setPragma(SQLiteConfig.Pragma.SECURE_DELETE, "true");
      config.setCacheSize(CACHE_KIB);
      // After a big upload made the log long, it is cut back to this once copied.
      config.setJournalSizeLimit(64 * 1024 * 1024);
      SQLiteDataSource dataSource = new SQLiteDataSource(config);
      dataSource.setUrl("jdbc:sqlite:" + dbFile.toAbsolutePath());
      Database.migrate(dataSource, "classpath:db/migration/sqlite");
      fileKey = identity();
      // One connection: SQLite has one writer, and statements are short; no lock contention at all.
      SqliteClient client = new SqliteClient(vertx, dataSource, "onboarder-sqlite");
      // Its connection never creates the file: a database deleted under the service is not made anew behind it.
      SQLiteConfig copying = new SQLiteConfig(config.toProperties());
      copying.resetOpenMode(SQLiteOpenMode.CREATE);
      SQLiteDataSource copyingSource = new SQLiteDataSource(copying);
      copyingSource.setUrl(dataSource.getUrl());
      checkpoints = new SqliteCheckpoints(vertx, copyingSource, "onboarder-wal-checkpoint");
      checkpoints.start();
      // The connections and the file lock go with this Vert.x instance, as they would with a process that dies.
      ((io.vertx.core.internal.VertxInternal) vertx).addCloseHook(completion -> vertx.executeBlocking(() -> {
        checkpoints.closeNow();
        client.closeNow();
        return (Void) null;
      }).transform(x -> releaseLock()).onComplete(completion));
      return new Opened(client, box);
    }).recover(err -> releaseLock().transform(x -> Future.<Opened>failedFuture(err)));
  }

  private void lockExclusively() throws IOException {
    Path lockFile = dbFile.resolveSibling(dbFile.getFileName() + ".lock");
    lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      lock = lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null; // this JVM holds it already: another service instance on the same file
    }
    if (lock == null) {
      lockChannel.close();
      throw new StoreException(StoreException.Kind.REFUSED, "another cyclr-onboarder process is using " + dbFile
          + " (it holds " + lockFile.getFileName() + "): stop it first, or give this one its own STORE_URL");
    }
  }

  private Future<Void> releaseLock() {
    return vertx.executeBlocking(() -> {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
      return null;
    });
  }

  /** The generated key lives beside the database: {@code data/onboarder.db} → {@code data/onboarder.key}. */
  static Path keyFileFor(Path dbFile) {
    String name = dbFile.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dbFile.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".key");
  }

  /**
   * The database file was deleted (or replaced) under the running service: nothing written now would
   * survive a restart, so the store counts as unavailable.
   */
  @Override
  public Future<Void> check() {
    return vertx.executeBlocking(() -> {
      Object now = identity();
      if (now == null || (fileKey != null && !fileKey.equals(now))) {
        throw new StoreException(StoreException.Kind.UNAVAILABLE, "the database file " + dbFile
            + (now == null ? " is gone" : " was replaced") + " under the running service");
      }
      return null;
    }, false);
  }

  /** The file's key (inode and device where the file system has them), or null when it does not exist. */
  private Object identity() {
    try {
      java.nio.file.attribute.BasicFileAttributes a =
          Files.readAttributes(dbFile, java.nio.file.attribute.BasicFileAttributes.class);
      return a.fileKey() != null ? a.fileKey() : Boolean.TRUE;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * One IMMEDIATE transaction with explicit BEGIN/COMMIT on the leased connection: the write lock is
   * taken at BEGIN, so two transactions never deadlock upgrading read locks.
   */
  @Override
  public <T> Future<T> inTransaction(Pool pool, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> inTransactionOn(conn, work));
  }

  private static <T> Future<T> inTransactionOn(SqlConnection conn, Function<SqlConnection, Future<T>> work) {
    return conn.query("BEGIN IMMEDIATE").execute()
        .compose(v -> work.apply(conn)
            .compose(r -> conn.query("COMMIT").execute().map(r))
            .recover(err -> conn.query("ROLLBACK").execute().transform(x -> Future.<T>failedFuture(err))));
  }

  /** Log pages the checkpoint thread has copied into the database file (for tests). */
  long checkpointedPages() {
    return checkpoints == null ? 0 : checkpoints.pagesCopied();
  }

  /** Checkpoints the thread has tried, done or failed (for tests). */
  long checkpointsTried() {
    return checkpoints == null ? 0 : checkpoints.tried();
  }

  /** As one task on the connection's thread: see {@link SqliteClient#runSteps}. */
  @Override
  public Future<Void> runSteps(Pool pool, java.util.List<SqlStep> steps) {
    return ((SqliteClient) pool).runSteps(steps);
  }

  /**
   * Job creation is fsynced (synchronous=FULL), which makes every earlier WAL frame durable too.
   * Item progress rides on NORMAL (durable across process crashes): losing the last of it to power
   * loss only means a re-check at Cyclr.
   */
  @Override
  public <T> Future<T> inDurableTransaction(Pool pool, Function<SqlConnection, Future<T>> work) {
    // Checked after the commit too: a job written into a file deleted a moment ago (before the next health
    // check noticed) would be acknowledged and then lost at the next start.
    return pool.withConnection(conn -> conn.query("PRAGMA synchronous = FULL").execute()
        .compose(v -> inTransactionOn(conn, work))
        .transform(ar -> conn.query("PRAGMA synchronous = NORMAL").execute().transform(x -> (Future<T>) ar)))
        .compose(r -> check().map(r));
  }

  @Override
  public Future<Void> close(Pool pool) {
    return (checkpoints == null ? Future.<Void>succeededFuture() : checkpoints.close())
        .transform(x -> pool.close()).eventually(this::releaseLock);
  }
}
