package io.onboarder.store;

import io.onboarder.fleet.FleetRecord;
import io.onboarder.fleet.FleetSpec;
import io.onboarder.fleet.FleetStatus;
import io.onboarder.fleet.FleetStore;
import io.onboarder.fleet.FleetTenant;
import io.onboarder.fleet.TenantState;
import io.onboarder.job.JobRequest;
import io.onboarder.job.RequestPrint;
import io.onboarder.job.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Fleet specs and tenants on the {@link Database}. A spec's tenants are written in batches under a
 * hidden intake, then moved into the fleet in one transaction that holds the fleet's row, so two PUTs
 * of one fleet on any nodes are serialized and {@code If-Match} is decided by the database.
 */
final class SqlFleetStore implements FleetStore {
  /** An intake whose node has not renewed it for this long is deleted by the next one opened. */
  static final long STALE_INTAKE_MS = 10 * 60_000;
  /** Tenants per multi-row INSERT ({@link FleetSql#INTAKE_COLUMNS} parameters each). */
  private static final int ROWS = 64;
  private static final String ABANDONED = "The upload took too long and was abandoned; send the fleet again.";

  private final Database db;

  SqlFleetStore(Database db) {
    this.db = db;
  }

  @Override
  public RequestPrint newPrint() {
    return db.box().newPrint();
  }

  @Override
  public Future<Intake> openIntake(String name) {
    String id = UUID.randomUUID().toString();
    return purgeStale().transform(ar -> db.query(FleetSql.INSERT_INTAKE, Tuple.of(id, name)))
        .map(v -> new SqlIntake(id, name));
  }

  private Future<Void> purgeStale() {
    return db.query(FleetSql.STALE_INTAKES, Tuple.of(STALE_INTAKE_MS)).compose(rs -> {
      Future<Void> all = Future.succeededFuture();
      for (Row r : rs) {
        String id = r.getString(0);
        all = all.compose(v -> db.transaction(conn -> deleteIntake(conn, id)));
      }
      return all;
    });
  }

  private Future<Void> deleteIntake(SqlConnection conn, String id) {
    return conn.preparedQuery(db.sql(FleetSql.DELETE_INTAKE_TENANTS)).execute(Tuple.of(id))
        .compose(x -> conn.preparedQuery(db.sql(FleetSql.DELETE_INTAKE)).execute(Tuple.of(id))).mapEmpty();
  }

  @Override
  public Future<FleetRecord> fleet(String name) {
    return db.query(FleetSql.SELECT_FLEET, Tuple.of(name))
        .map(rs -> rs.size() == 0 ? null : fleet(rs.iterator().next()));
  }

  @Override
  public Future<List<FleetRecord>> fleets(String owner, int limit) {
    Future<RowSet<Row>> rows = owner == null ? db.query(FleetSql.SELECT_FLEETS, Tuple.of(limit))
        : db.query(FleetSql.SELECT_OWN_FLEETS, Tuple.of(owner, limit));
    return rows.map(rs -> {
      List<FleetRecord> out = new ArrayList<>();
      rs.forEach(r -> out.add(fleet(r)));
      return out;
    });
  }

  @Override
  public Future<Map<TenantState, Long>> tenantCounts(String name) {
    return db.query(FleetSql.COUNT_TENANTS, Tuple.of(name)).map(rs -> {
      Map<TenantState, Long> counts = new EnumMap<>(TenantState.class);
      rs.forEach(r -> counts.put(TenantState.valueOf(r.getString(0)), r.getLong(1)));
      return counts;
    });
  }

  @Override
  public Future<TenantPage> tenants(String name, TenantState state, String cursor, int limit) {
    String after;
    try {
      after = Cursors.after(cursor);
    } catch (StoreException e) {
      return Future.failedFuture(e);
    }
    Future<RowSet<Row>> rows = state == null ? db.query(FleetSql.TENANTS, Tuple.of(name, after, limit + 1))
        : db.query(FleetSql.TENANTS_IN_STATE, Tuple.of(name, state.name(), after, limit + 1));
    return rows.map(rs -> {
      List<FleetTenant> out = new ArrayList<>();
      for (Row r : rs) {
        out.add(new FleetTenant(r.getString("account"), TenantState.valueOf(r.getString("state")),
            JobRows.flag(r, "in_spec"), r.getLong("account_connector_id"), bool(r.getInteger("authenticated")),
            r.getString("cycle_id"), r.getString("cycle_status"), r.getString("last_checked_at"), r.getString("url")));
      }
      if (out.size() <= limit) {
        return new TenantPage(out, null);
      }
      List<FleetTenant> page = out.subList(0, limit);
      String last = page.get(limit - 1).account();
      return new TenantPage(List.copyOf(page), Cursors.of(last));
    });
  }

  /**
   * The keyed fingerprint of a tenant's credentials (null without): what tells new credentials from those Cyclr
   * refused, with no plaintext stored. A key rotation changes it, so at most one attempt is made with the same
   * credentials after one.
   */
  static String authPrint(SecretBox box, String authValue) {
    return authValue == null ? null : box.fingerprint("fleet-tenant-auth:" + authValue);
  }

  private static Boolean bool(Integer v) {
    return v == null ? null : v != 0;
  }

  @Override
  public Future<Boolean> delete(String name) {
    return db.transaction(conn -> conn.preparedQuery(db.sql(FleetSql.DELETE_TENANTS)).execute(Tuple.of(name))
        .compose(x -> conn.preparedQuery(db.sql(FleetSql.DELETE_FLEET)).execute(Tuple.of(name)))
        .map(rs -> rs.rowCount() > 0));
  }

  static FleetRecord fleet(Row r) {
    String rollout = r.getString("rollout");
    String drift = r.getString("drift");
    return new FleetRecord(r.getString("name"), r.getString("owner"), r.getLong("generation"),
        r.getLong("applied_generation"), new JsonObject(r.getString("spec")), r.getLong("tenant_count"),
        FleetStatus.valueOf(r.getString("status")), rollout == null ? null : new JsonObject(rollout),
        drift == null ? null : new JsonObject(drift), r.getString("created_at"), r.getString("updated_at"),
        r.getString("last_reconcile_at"), r.getString("next_reconcile_at"), r.getLong("state_version"),
        r.getString("apply_plan"), r.getInteger("apply_step"), r.getString("apply_job"));
  }

  /** One spec being written: batches in call order, each in its own transaction. */
  private final class SqlIntake implements Intake {
    private final String id;
    private final String name;
    private Future<Void> tail = Future.succeededFuture();

    SqlIntake(String id, String name) {
      this.id = id;
      this.name = name;
    }

    @Override
    public Future<Void> append(List<JobRequest.Item> tenants) {
      // Encrypting starts now, on a worker, while the previous batch is still being inserted.
      Future<List<Tuple>> rows = Database.classified(db.vertx().executeBlocking(() -> rows(tenants), false));
      tail = tail.compose(v -> rows).compose(batch -> db.transaction(conn -> conn
          .preparedQuery(db.sql(FleetSql.TOUCH_INTAKE)).execute(Tuple.of(id))
          .compose(t -> t.rowCount() == 1 ? insert(conn, batch, 0)
              : Future.failedFuture(new StoreException(StoreException.Kind.ABANDONED, ABANDONED)))));
      return tail;
    }

    private List<Tuple> rows(List<JobRequest.Item> tenants) {
      List<Tuple> out = new ArrayList<>();
      Tuple t = null;
      for (int i = 0; i < tenants.size(); i++) {
        if (i % ROWS == 0) {
          t = Tuple.tuple();
          out.add(t);
        }
        JobRequest.Item item = tenants.get(i);
        t.addValue(id).addValue(item.account()).addValue(item.specText()).addValue(db.box().encrypt(item.authValue()))
            .addValue(authPrint(db.box(), item.authValue()));
      }
      return out;
    }

    private Future<Void> insert(SqlConnection conn, List<Tuple> batch, int from) {
      if (from >= batch.size()) {
        return Future.succeededFuture();
      }
      Tuple t = batch.get(from);
      return conn.preparedQuery(db.sql(FleetSql.insertIntakeTenants(t.size() / FleetSql.INTAKE_COLUMNS))).execute(t)
          .compose(x -> insert(conn, batch, from + 1));
    }

    @Override
    public Future<Void> touch() {
      return db.query(FleetSql.TOUCH_INTAKE, Tuple.of(id)).mapEmpty();
    }

    @Override
    public Future<Put> commit(String owner, String ownerFilter, Long ifMatch, FleetSpec spec, long total,
                              String print) {
      String now = Instant.now().toString();
      String specText = spec.toJson().encode();
      int autoApply = spec.policy().autoApply() ? 1 : 0;
      Future<Put> done = tail.compose(v -> db.transaction(conn -> q(conn, FleetSql.TOUCH_INTAKE, Tuple.of(id))
          .compose(t -> t.rowCount() == 1 ? q(conn, FleetSql.COUNT_INTAKE_TENANTS, Tuple.of(id))
              : Future.failedFuture(new StoreException(StoreException.Kind.ABANDONED, ABANDONED)))
          .compose(count -> {
            long stored = count.iterator().next().getLong(0);
            if (stored < total) {
              return deleteIntake(conn, id).map(new Put(Outcome.DUPLICATE_TENANTS, null, total - stored));
            }
            return q(conn, FleetSql.SELECT_FLEET_FOR_PUT, Tuple.of(name)).compose(rs -> {
              Row current = rs.size() == 0 ? null : rs.iterator().next();
              Outcome outcome = decide(current, ownerFilter, ifMatch, print);
              Future<?> write = switch (outcome) {
                case CREATED -> q(conn, FleetSql.INSERT_FLEET, Tuple.of(name, owner, specText, print, total, now, now)
                        .addValue(autoApply))
                    .compose(x -> replaceTenants(conn));
                case UPDATED -> q(conn, FleetSql.UPDATE_FLEET, Tuple.of(specText, print, total, now, autoApply,
                        autoApply, name))
                    .compose(x -> replaceTenants(conn));
                default -> Future.succeededFuture();
              };
              return write.compose(x -> deleteIntake(conn, id))
                  .compose(x -> outcome == Outcome.PRECONDITION_FAILED || outcome == Outcome.TAKEN || outcome == Outcome.DELETING
                      ? Future.succeededFuture(new Put(outcome, null, 0))
                      : q(conn, FleetSql.SELECT_FLEET, Tuple.of(name))
                          .map(f -> new Put(outcome, fleet(f.iterator().next()), 0)));
            });
          })));
      tail = done.transform(ar -> Future.succeededFuture());
      return done;
    }

    private Outcome decide(Row current, String ownerFilter, Long ifMatch, String print) {
      if (current == null) {
        return ifMatch != null ? Outcome.PRECONDITION_FAILED : Outcome.CREATED;
      }
      if (ownerFilter != null && !ownerFilter.equals(current.getString("owner"))) {
        return Outcome.TAKEN;
      }
      if ("DELETING".equals(current.getString("status"))) {
        return Outcome.DELETING;
      }
      if (ifMatch != null && ifMatch != current.getLong("generation").longValue()) {
        return Outcome.PRECONDITION_FAILED;
      }
      return print.equals(current.getString("spec_print")) ? Outcome.UNCHANGED : Outcome.UPDATED;
    }

    private Future<Void> replaceTenants(SqlConnection conn) {
      return q(conn, FleetSql.UPSERT_TENANTS, Tuple.of(name, id))
          .compose(x -> q(conn, FleetSql.LEAVE_SPEC, Tuple.of(name, id)))
          .compose(x -> q(conn, FleetSql.FORGET_UNINSTALLED, Tuple.of(name)))
          .mapEmpty();
    }

    private Future<RowSet<Row>> q(SqlConnection conn, String sql, Tuple args) {
      return conn.preparedQuery(db.sql(sql)).execute(args);
    }

    @Override
    public Future<Void> discard() {
      tail = tail.transform(ar -> db.transaction(conn -> deleteIntake(conn, id)));
      return tail;
    }
  }
}
