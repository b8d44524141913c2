package io.onboarder.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The embedded PostgreSQL the store and cluster tests run against. */
class PostgresTest {

  private static int queryInt(String databaseUrl, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(Postgres.jdbcUrl(databaseUrl));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      assertThat(rs.next()).isTrue();
      return rs.getInt(1);
    }
  }

  private static void execute(String databaseUrl, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(Postgres.jdbcUrl(databaseUrl));
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void freshDatabasesAreSeparateAndSurviveAServerRestartOnTheSamePort() throws Exception {
    String a = Postgres.freshDatabaseUrl();
    String b = Postgres.freshDatabaseUrl();
    int port = Postgres.port();

    assertThat(a).isNotEqualTo(b).startsWith("postgresql://postgres@127.0.0.1:" + port + "/");
    assertThat(b).startsWith("postgresql://postgres@127.0.0.1:" + port + "/");
    assertThat(queryInt(a, "select 1")).isEqualTo(1);
    assertThat(queryInt(b, "select 1")).isEqualTo(1);
    assertThat(queryInt(a, "select current_setting('server_version_num')::int"))
        .as("PostgreSQL 15 or newer").isGreaterThanOrEqualTo(150000);

    execute(a, "create table t (v int)");
    execute(a, "insert into t values (42)");
    assertThat(queryInt(b, "select count(*) from pg_tables where tablename = 't'")).isZero();

    Postgres.stop();
    assertThat(Postgres.isRunning()).isFalse();
    assertThatThrownBy(() -> queryInt(a, "select 1")).isInstanceOf(SQLException.class);

    Postgres.start();
    assertThat(Postgres.port()).isEqualTo(port);
    assertThat(queryInt(a, "select 1")).isEqualTo(1);
    assertThat(queryInt(a, "select v from t")).isEqualTo(42);
  }
}
