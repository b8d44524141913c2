package io.onboarder.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies SQLite's write-ahead log into the database file from a second connection on a thread of its own,
 * every {@link #PERIOD_MS} ms. Left to the writer, that copy (and its fsync) ran inside the commit of every
 * few batches of a big upload, and the one writer thread, which everything waits for, stood still
 * meanwhile. Passive checkpoints never block the writer; the writer still checkpoints by itself past
 * {@link #WRITER_CHECKPOINT_PAGES}, so the log stays bounded if this one falls behind (and then finds most of
 * the copying done).
 */
final class SqliteCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(SqliteCheckpoints.class);
  static final long PERIOD_MS = 100;
  /** 64 MiB of 4 KiB pages: the log's bound (SQLite's default, 1,000 pages, made the writer do the copying). */
  static final int WRITER_CHECKPOINT_PAGES = 16_384;

  private final Vertx vertx;
  private final DataSource dataSource;
  private final WorkerExecutor thread;
  private final AtomicLong copied = new AtomicLong();
  private final AtomicLong tried = new AtomicLong();
  /** Held by a checkpoint, and by {@link #closeNow} (which so waits for the checkpoint running now). */
  private final Object lock = new Object();
  private volatile boolean closed;
  private Connection conn;
  // On the timer's event loop only.
  private boolean running;
  private long timer = -1;

  SqliteCheckpoints(Vertx vertx, DataSource dataSource, String name) {
    this.vertx = vertx;
    this.dataSource = dataSource;
    this.thread = vertx.createSharedWorkerExecutor(name, 1);
  }

  void start() {
    timer = vertx.setPeriodic(PERIOD_MS, t -> {
      if (running) {
        return;
      }
      running = true;
      thread.executeBlocking(this::checkpoint, false).onComplete(ar -> {
        running = false;
        if (ar.failed()) {
          // The writer's own checkpoints still bound the log; the store's health check reports a lost file.
          log.debug("passive checkpoint failed: {}", ar.cause().toString());
        }
      });
    });
  }

  /** Checkpoints tried so far, done or failed. */
  long tried() {
    return tried.get();
  }

  /** Log pages copied into the database file by this thread so far. */
  long pagesCopied() {
    return copied.get();
  }

  private Void checkpoint() throws SQLException {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      tried.incrementAndGet();
      if (conn == null) {
        conn = dataSource.getConnection();
      }
      try (Statement st = conn.createStatement();
           ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        if (rs.next() && rs.getLong(3) > 0) {
          copied.addAndGet(rs.getLong(3));
        }
      } catch (SQLException e) {
        Connection broken = conn;
        conn = null;
        closeQuietly(broken);
        throw e;
      }
      return null;
    }
  }

  /** Stops checkpointing and closes the connection, from a worker. */
  Future<Void> close() {
    return vertx.executeBlocking(() -> {
      closeNow();
      return (Void) null;
    }).eventually(thread::close);
  }

  /**
   * Stops checkpointing and closes the connection from the calling thread, after the checkpoint running now
   * (also while Vert.x closes, when its executors may be gone already).
   */
  void closeNow() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    synchronized (lock) {
      closeQuietly(conn);
      conn = null;
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
