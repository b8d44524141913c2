package io.onboarder.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The shared database of cluster mode: PostgreSQL through the reactive Vert.x client (pooled,
 * nothing blocking), schema migrated by Flyway over JDBC once at start-up on a worker thread.
 * Every node uses the same {@code STORE_SECRET_KEY}; there is no key file.
 */
final class PgBackend implements Backend {
  private final PgConnectOptions connect;
  private final byte[] secretKey;
  private final java.util.List<byte[]> oldKeys;
  private final int poolSize;

  /** {@code url}: a libpq URI, {@code postgresql://user:pass@host:port/db?sslmode=…}. */
  PgBackend(String url, byte[] secretKey, java.util.List<byte[]> oldKeys, int poolSize) {
    this.connect = PgConnectOptions.fromUri(url);
    connect.setCachePreparedStatements(true);
    this.secretKey = secretKey;
    this.oldKeys = oldKeys;
    this.poolSize = poolSize;
  }

  @Override
  public SqlDialect dialect() {
    return SqlDialect.POSTGRES;
  }

  @Override
  public Future<Opened> open(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      SecretBox box = new SecretBox(secretKey, oldKeys);
      // Several nodes may start at once: Flyway serializes them with an advisory lock.
      Database.migrate(dataSource(connect), "classpath:db/migration/postgresql");
      return box;
    }).map(box -> new Opened(PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(poolSize).setName("onboarder-pg").setMaxWaitQueueSize(10_000)
            .setConnectionTimeout(10).setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS))
        // An unreachable server fails a connection attempt in seconds, not a TCP timeout's minutes.
        .with(new io.vertx.core.net.NetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true))
        .connectingTo(connect)
        .using(vertx)
        .build(), box));
  }

  /** A JDBC data source for the database {@code connect} names (Flyway's, and the maintenance commands'). */
  static PGSimpleDataSource dataSource(PgConnectOptions connect) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {connect.getHost()});
    ds.setPortNumbers(new int[] {connect.getPort()});
    ds.setDatabaseName(connect.getDatabase());
    ds.setUser(connect.getUser());
    ds.setPassword(connect.getPassword());
    ds.setSslMode(connect.getSslMode().name().toLowerCase().replace('_', '-'));
    ds.setConnectTimeout(10);
    return ds;
  }

  @Override
  public <T> Future<T> inTransaction(Pool pool, Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(work);
  }

  @Override
  public Future<Void> close(Pool pool) {
    return pool.close();
  }
}
