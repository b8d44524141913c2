package io.onboarder.fleet;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.FleetContract.RemovalKind;
import io.onboarder.bus.FleetContract.RemovalOutcome;
import io.onboarder.bus.FleetContract.RemovalReply;
import io.onboarder.bus.FleetContract.RemovalRequest;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.ItemStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Undoes a halted apply: exactly the installs its steps' jobs made ({@code INSTALLED} items, with their
 * account connector ids) are removed through this node's gateway ({@value Addresses#GATEWAY_REMOVE}); an
 * install a job found there ({@code ALREADY_INSTALLED}) or that nobody asked for is never touched. A
 * removal Cyclr answers 404 for counts as done, so running a rollback again after a failure is safe.
 */
final class Rollback {
  private static final int PAGE = 500;
  private static final int IN_FLIGHT = 8;
  private static final DeliveryOptions TO_GATEWAY = new DeliveryOptions().setLocalOnly(true).setSendTimeout(120_000);

  /** How a rollback went. */
  record Result(long removed, long alreadyGone, long failed) {
    JsonObject toJson() {
      return new JsonObject().put("removed", removed).put("alreadyGone", alreadyGone).put("failed", failed);
    }
  }

  private final Vertx vertx;
  private final ItemQueue items;
  private final FleetApplies applies;

  Rollback(Vertx vertx, ItemQueue items, FleetApplies applies) {
    this.vertx = vertx;
    this.items = items;
    this.applies = applies;
  }

  Future<Result> run(String fleet, List<String> jobIds) {
    long[] counts = new long[3];
    Future<Void> all = Future.succeededFuture();
    for (String job : jobIds) {
      all = all.compose(v -> job(fleet, job, null, counts));
    }
    return all.map(v -> new Result(counts[0], counts[1], counts[2]));
  }

  private Future<Void> job(String fleet, String jobId, String cursor, long[] counts) {
    return items.page(jobId, ItemStatus.INSTALLED, PAGE, cursor).compose(page -> {
      List<JsonObject> installed = new ArrayList<>();
      page.items().forEach(o -> installed.add((JsonObject) o));
      return PlanRun.bounded(installed, IN_FLIGHT, this::remove).compose(replies -> {
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
          RemovalOutcome outcome = replies.get(i).outcome();
          counts[outcome.ordinal()]++;
          if (outcome != RemovalOutcome.FAILED) {
            gone.add(installed.get(i).getString("account"));
          }
        }
        return applies.removed(fleet, gone);
      }).compose(v -> page.next() == null ? Future.succeededFuture() : job(fleet, jobId, page.next(), counts));
    });
  }

  private Future<RemovalReply> remove(JsonObject item) {
    Long id = item.getLong("accountConnectorId");
    if (id == null) {
      return Future.succeededFuture(RemovalReply.ALREADY_GONE);
    }
    RemovalRequest request = new RemovalRequest(item.getString("account"), RemovalKind.CONNECTOR, String.valueOf(id));
    return vertx.eventBus().<RemovalReply>request(Addresses.GATEWAY_REMOVE, request, TO_GATEWAY).map(m -> m.body())
        .recover(err -> Future.succeededFuture(RemovalReply.failed(
            new io.onboarder.bus.FleetContract.CyclrFailure("GATEWAY_UNAVAILABLE", err.getMessage(), null, true))));
  }
}
