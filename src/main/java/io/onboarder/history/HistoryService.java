package io.onboarder.history;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.Problem;
import io.onboarder.job.JobService;
import io.onboarder.job.StoreProblems;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@value Addresses#HISTORY}: one page of an account's history, oldest first, and records what is sent to
 * {@value Addresses#HISTORY_RECORD}. A caller that is not an admin
 * (headers {@code caller}, {@code admin} as for jobs) sees only the entries of the jobs and fleets it owns: the
 * history of someone else's tenant is none of its business, and a shared account shows each owner its own part.
 */
public final class HistoryService extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HistoryService.class);
  /** Account ids are Cyclr API ids: bounded like an item's account. */
  private static final int MAX_ACCOUNT = 256;

  private final AccountHistory history;

  public HistoryService(AccountHistory history) {
    this.history = history;
  }

  @Override
  public Future<?> start() {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().localConsumer(Addresses.HISTORY, this::page);
    MessageConsumer<JsonObject> records = vertx.eventBus().localConsumer(Addresses.HISTORY_RECORD, this::record);
    return Future.all(consumer.completion(), records.completion());
  }

  /** One entry sent to be recorded; a malformed one is logged and dropped (nothing waits for an answer). */
  private void record(Message<JsonObject> msg) {
    JsonObject e = msg.body() == null ? new JsonObject() : msg.body();
    HistoryKind kind = HistoryKind.parse(text(e, "kind"));
    String account = text(e, "account");
    if (kind == null || account == null || account.isBlank()) {
      log.warn("history record without a known kind or an account dropped");
      return;
    }
    JsonObject detail = e.getValue("detail") instanceof JsonObject d ? d : null;
    history.record(HistoryEntry.now(account, kind, text(e, "jobId"), text(e, "fleet"), detail))
        .onFailure(err -> log.atWarn().addKeyValue(LogKeys.ACCOUNT, account).addKeyValue(LogKeys.JOB_ID, text(e, "jobId"))
            .log("recording {} for account {} failed: {}", kind.wire, account, err.getMessage()));
  }

  private void page(Message<JsonObject> msg) {
    JsonObject q = msg.body() == null ? new JsonObject() : msg.body();
    String account = q.getValue("account") instanceof String a ? a : null;
    if (account == null || account.isBlank() || account.length() > MAX_ACCOUNT) {
      fail(msg, Problem.badRequest("account must be a Cyclr account id of 1 to " + MAX_ACCOUNT + " characters."));
      return;
    }
    int limit = q.getValue("limit") instanceof Number n ? Math.max(1, Math.min(200, n.intValue())) : 100;
    String cursor = q.getValue("cursor") instanceof String c ? c : null;
    boolean admin = "true".equals(msg.headers().get(JobService.ADMIN));
    String owner = admin ? null : msg.headers().get(JobService.CALLER);
    if (!admin && owner == null) {
      fail(msg, Problem.of(403, "forbidden", "Forbidden", "No caller named."));
      return;
    }
    history.page(account, owner, cursor, limit).onComplete(ar -> {
      if (ar.succeeded()) {
        JsonArray items = new JsonArray();
        ar.result().items().forEach(e -> items.add(e.toJson()));
        msg.reply(new JsonObject().put("items", items).put("next", ar.result().next()));
      } else {
        fail(msg, ar.cause());
      }
    });
  }

  private static String text(JsonObject j, String key) {
    return j.getValue(key) instanceof String s ? s : null;
  }

  private static void fail(Message<?> msg, Throwable err) {
    Problem p = StoreProblems.of(err);
    if (p == null) {
      log.error("history request failed: {}", err.toString());
      p = StoreProblems.internal();
    }
    msg.fail(p.status(), p.toJson().encode());
  }
}
