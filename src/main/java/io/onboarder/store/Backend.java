package io.onboarder.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/** What differs between the two databases once their SQL is the same: opening, transactions, health, closing. */
interface Backend {

  /** An opened database: its pool and the key of the values it encrypts. */
  record Opened(Pool pool, SecretBox box) {}

  SqlDialect dialect();

  /** Migrates the schema (refusing a newer one) and opens the pool. */
  Future<Opened> open(Vertx vertx);

  /** Runs {@code work} in one transaction on one connection. */
  <T> Future<T> inTransaction(Pool pool, Function<SqlConnection, Future<T>> work);

  /** Runs {@code steps}, all known beforehand, in one transaction; a guard that changes no row fails it. */
  default Future<Void> runSteps(Pool pool, java.util.List<SqlStep> steps) {
    return inTransaction(pool, conn -> SqlStep.runOn(conn, steps));
  }

  /** A transaction whose commit must survive power loss (a 202 promises the job survives). */
  default <T> Future<T> inDurableTransaction(Pool pool, Function<SqlConnection, Future<T>> work) {
    return inTransaction(pool, work);
  }

  /** Fails when the database cannot be trusted even though it answers (its file was deleted). */
  default Future<Void> check() {
    return Future.succeededFuture();
  }

  Future<Void> close(Pool pool);
}
