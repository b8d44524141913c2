package io.onboarder.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The shared store of cluster mode: PostgreSQL through the reactive Vert.x client (pooled,
 * nothing blocking), schema migrated by Flyway over JDBC once at start-up on a worker thread.
 * Every node uses the same {@code STORE_SECRET_KEY}; there is no key file.
 */
public final class PgJobStore extends SqlJobStore {
  private final PgConnectOptions connect;
  private final byte[] secretKey;
  private final int poolSize;

  /** {@code url}: a libpq URI, {@code postgresql://user:pass@host:port/db?sslmode=…}. */
  public PgJobStore(Vertx vertx, String url, byte[] secretKey, int poolSize) {
    super(vertx, SqlDialect.POSTGRES);
    this.connect = PgConnectOptions.fromUri(url);
    connect.setCachePreparedStatements(true);
    this.secretKey = secretKey;
    this.poolSize = poolSize;
  }

  @Override
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      box = new SecretBox(secretKey);
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {connect.getHost()});
      ds.setPortNumbers(new int[] {connect.getPort()});
      ds.setDatabaseName(connect.getDatabase());
      ds.setUser(connect.getUser());
      ds.setPassword(connect.getPassword());
      ds.setSslMode(connect.getSslMode().name().toLowerCase().replace('_', '-'));
      ds.setConnectTimeout(10);
      // Several nodes may start at once: Flyway serializes them with an advisory lock.
      migrate(ds, "classpath:db/migration/postgresql");
      return null;
    }).map(v -> {
      pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(poolSize).setName("onboarder-pg").setMaxWaitQueueSize(10_000)
              .setConnectionTimeout(10).setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS))
          // An unreachable server fails a connection attempt in seconds, not a TCP timeout's minutes.
          .with(new io.vertx.core.net.NetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true))
          .connectingTo(connect)
          .using(vertx)
          .build();
      return null;
    });
  }

  @Override
  protected <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(work);
  }
}
