package io.onboarder.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.job.StoreException;
import io.onboarder.job.StoreException.Kind;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The one classification of database failures, table-driven: by codes and types, never by message text. */
class StoreFailuresTest {

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("SQLite SQLITE_FULL", new SQLiteException("database or disk is full", SQLiteErrorCode.SQLITE_FULL),
            Kind.DISK_FULL),
        Arguments.of("PostgreSQL disk_full", pg("53100"), Kind.DISK_FULL),
        Arguments.of("SQLite unique constraint", new SQLiteException("UNIQUE constraint failed",
            SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE), Kind.DUPLICATE),
        Arguments.of("PostgreSQL unique_violation", pg("23505"), Kind.DUPLICATE),
        Arguments.of("SQLite foreign key", new SQLiteException("FOREIGN KEY constraint failed",
            SQLiteErrorCode.SQLITE_CONSTRAINT_FOREIGNKEY), Kind.FAILED),
        Arguments.of("SQLite cannot open", new SQLiteException("unable to open database file",
            SQLiteErrorCode.SQLITE_CANTOPEN), Kind.UNAVAILABLE),
        Arguments.of("SQLite busy", new SQLiteException("database is locked", SQLiteErrorCode.SQLITE_BUSY),
            Kind.UNAVAILABLE),
        Arguments.of("PostgreSQL admin shutdown", pg("57P01"), Kind.UNAVAILABLE),
        Arguments.of("PostgreSQL cannot connect now", pg("57P03"), Kind.UNAVAILABLE),
        Arguments.of("PostgreSQL connection failure", pg("08006"), Kind.UNAVAILABLE),
        Arguments.of("PostgreSQL syntax error", pg("42601"), Kind.FAILED),
        Arguments.of("connection refused", new ConnectException("Connection refused"), Kind.UNAVAILABLE),
        Arguments.of("connection closed", ClosedConnectionException.INSTANCE, Kind.UNAVAILABLE),
        Arguments.of("pool closed or its wait timed out", new VertxException("Pool closed", true), Kind.UNAVAILABLE),
        Arguments.of("wrapped cause", new RuntimeException("outer", pg("53100")), Kind.DISK_FULL),
        Arguments.of("already classified", new StoreException(Kind.CONFLICT, "taken"), Kind.CONFLICT),
        // Message text decides nothing.
        Arguments.of("text that mentions a full disk", new RuntimeException("No space left on device (53100)"),
            Kind.FAILED),
        Arguments.of("text that mentions a timeout", new IllegalStateException("timeout"), Kind.FAILED));
  }

  private static PgException pg(String sqlState) {
    return new PgException("error", "ERROR", sqlState, null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void eachFailureIsClassifiedOnceFromItsCodeOrType(String name, Throwable failure, Kind expected) {
    StoreException classified = StoreFailures.classify(failure);
    assertThat(classified.kind()).isEqualTo(expected);
    assertThat(StoreFailures.classify(classified)).isSameAs(classified);
  }
}
