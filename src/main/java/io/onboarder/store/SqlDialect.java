package io.onboarder.store;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What differs between the SQL of SQLite and PostgreSQL, in one place: placeholders, the database
 * clock (leases are measured on it, so nodes' clocks never need to agree), row locks, and the claim.
 */
enum SqlDialect {
  SQLITE("CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)", "", "", "json_extract(spec, '$.fleet')"),
  POSTGRES("(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT", " FOR UPDATE", " FOR UPDATE SKIP LOCKED",
      "(spec::json ->> 'fleet')");

  private static final Pattern PLACEHOLDER = Pattern.compile("\\?");

  /** Milliseconds since the epoch, on the database's clock. */
  final String nowMs;
  /** Row lock for a read inside a transaction (SQLite's BEGIN IMMEDIATE already serializes writers). */
  final String forUpdate;
  /** Row lock that passes over rows another transaction holds (several senders claiming at once). */
  final String skipLocked;
  /** The fleet a job's {@code spec} names (a fleet's step job), or null: read where the row is. */
  final String jobFleet;

  SqlDialect(String nowMs, String forUpdate, String skipLocked, String jobFleet) {
    this.nowMs = nowMs;
    this.forUpdate = forUpdate;
    this.skipLocked = skipLocked;
    this.jobFleet = jobFleet;
  }

  /**
   * Expands {NOW_MS}, {FOR_UPDATE}, {SKIP_LOCKED} and {JOB_FLEET}; PostgreSQL numbers its placeholders ($1, $2…)
   * unless they already are.
   */
  String sql(String text) {
    String s = text.replace("{NOW_MS}", nowMs).replace("{FOR_UPDATE}", forUpdate).replace("{SKIP_LOCKED}", skipLocked)
        .replace("{JOB_FLEET}", jobFleet);
    if (this != POSTGRES || s.contains("$1")) {
      return s;
    }
    Matcher m = PLACEHOLDER.matcher(s);
    StringBuilder out = new StringBuilder();
    int n = 0;
    while (m.find()) {
      m.appendReplacement(out, "\\$" + (++n));
    }
    m.appendTail(out);
    return out.toString();
  }
}
