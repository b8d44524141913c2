package io.onboarder.store;

import io.onboarder.webhook.WebhookEndpoints;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;

/** The webhook endpoint's state on the {@link Database}: a row while it is disabled, none while enabled. */
final class SqlWebhookEndpoints implements WebhookEndpoints {
  private final Database db;

  SqlWebhookEndpoints(Database db) {
    this.db = db;
  }

  @Override
  public Future<Endpoint> endpoint(String urlHash) {
    return db.query(OutboxSql.SELECT_ENDPOINT, Tuple.of(urlHash)).map(rows -> {
      if (rows.size() == 0) {
        return new Endpoint(true, null, null);
      }
      Row r = rows.iterator().next();
      return new Endpoint(false, r.getString("disabled_at"), r.getString("disabled_reason"));
    });
  }

  @Override
  public Future<Void> disable(String urlHash, String reason) {
    return db.query(OutboxSql.DISABLE_ENDPOINT, Tuple.of(urlHash, Instant.now().toString(), reason)).mapEmpty();
  }

  @Override
  public Future<Void> enable(String urlHash) {
    return db.query(OutboxSql.ENABLE_ENDPOINT, Tuple.of(urlHash)).mapEmpty();
  }
}
