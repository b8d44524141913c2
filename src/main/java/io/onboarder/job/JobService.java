package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.bus.GatewayContract.SignInOp;
import io.onboarder.bus.GatewayContract.SignInReply;
import io.onboarder.bus.GatewayContract.SignInRequest;
import io.onboarder.bus.Problem;
import io.onboarder.lease.NodeLifecycle;
import io.onboarder.logs.LogKeys;
import io.onboarder.metrics.Metrics;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public {@code onboarder.jobs.*} addresses but submit (the intake's), on every node: get, list,
 * items, accounts, events, cancel, retry and sign-in links, answered from the shared store (stateless,
 * so any node answers for any job). Callers reaching it through the HTTP API carry their name in a
 * {@value #CALLER} header and see only their own jobs unless they are admins; event-bus clients
 * inside the cluster are trusted.
 */
public final class JobService extends VerticleBase {
  /** Message header: the API caller's name (token name). */
  public static final String CALLER = "caller";
  /** Message header: "true" for an admin token, which sees every caller's jobs. */
  public static final String ADMIN = "admin";
  /**
   * The owner of jobs submitted over the event bus by a cluster member: the same caller as plain
   * (unnamed) API tokens, so those see them, as before callers had names.
   */
  public static final String BUS_OWNER = io.onboarder.config.Settings.RESERVED_CALLER;

  private static final Logger log = LoggerFactory.getLogger(JobService.class);

  /** The stores this service answers from. */
  public record Ports(JobRecords jobs, ItemQueue items, AccountQueue accounts, EventLog events, SignIns signIns,
                      SignInPolicy policy) {}

  private final Ports store;
  private final NodeLifecycle node;
  private JobEvents events;

  public JobService(Ports store, NodeLifecycle node) {
    this.store = store;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    events = new JobEvents(bus, Metrics.current());
    List<MessageConsumer<?>> consumers = List.of(
        bus.<Object>consumer(Addresses.JOBS_GET, guarded(msg -> reply(msg, visibleJob(msg).compose(this::summary)
            .compose(this::withCyclrState)))),
        bus.<Object>consumer(Addresses.JOBS_LIST, guarded(this::list)),
        bus.<Object>consumer(Addresses.JOBS_ITEMS, guarded(this::items)),
        bus.<Object>consumer(Addresses.JOBS_ACCOUNTS, guarded(this::accounts)),
        bus.<Object>consumer(Addresses.JOBS_CANCEL, guarded(msg -> reply(msg, visibleJob(msg)
            .compose(job -> cancel(job, caller(msg)))))),
        bus.<Object>consumer(Addresses.JOBS_RETRY, guarded(msg -> reply(msg, visibleJob(msg)
            .compose(job -> retry(job, caller(msg)))))),
        bus.<Object>consumer(Addresses.JOBS_EVENTS, guarded(this::events)),
        bus.<Object>consumer(Addresses.JOBS_LINK, guarded(msg -> reply(msg, visibleJob(msg)
            .compose(job -> link(job, itemId(msg), caller(msg)))))));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  // ---- callers -------------------------------------------------------------------------------

  private static String caller(Message<?> msg) {
    String name = msg.headers().get(CALLER);
    return name == null ? BUS_OWNER : name;
  }

  /** Null: every job is visible (admin token, or a trusted event-bus client). */
  private static String ownerFilter(Message<?> msg) {
    String name = msg.headers().get(CALLER);
    return name == null || "true".equals(msg.headers().get(ADMIN)) ? null : name;
  }

  private Future<JobRecord> visibleJob(Message<JsonObject> msg) {
    return visibleJob(store.jobs(), msg);
  }

  /** The job named by the message, if it exists and the caller may see it (else 404, as if it did not exist). */
  public static Future<JobRecord> visibleJob(JobRecords jobs, Message<JsonObject> msg) {
    String id = id(msg);
    String owner = ownerFilter(msg);
    return jobs.job(id).compose(job -> job == null || (owner != null && !owner.equals(job.owner()))
        ? Future.failedFuture(Problem.notFound("No job with id '" + id + "'.")) : Future.succeededFuture(job));
  }

  // ---- queries -------------------------------------------------------------------------------

  private Future<JsonObject> summary(JobRecord job) {
    return JobSummaries.load(store.jobs(), job);
  }

  /**
   * An unfinished job's summary gains {@code "cyclr": {"breaker", "unavailableSince"}} while this node's gateway
   * is degraded (breaker open longer than gateway.degradedAfterMs): why the job is not moving, since readiness
   * no longer says so. Without an answer from the gateway within a second the summary goes out as it is.
   */
  private Future<JsonObject> withCyclrState(JsonObject summary) {
    if (JobStatus.valueOf(summary.getString("status")).terminal()) {
      return Future.succeededFuture(summary);
    }
    return vertx.eventBus().<JsonObject>request(Addresses.GATEWAY_STATUS, new JsonObject(),
            new DeliveryOptions().setSendTimeout(1000))
        .map(reply -> {
          JsonObject gateway = reply.body();
          Long since = gateway.getLong("breakerOpenSinceMs");
          if (gateway.getBoolean("degraded", false) && since != null) {
            summary.put("cyclr", new JsonObject().put("breaker", gateway.getString("breaker"))
                .put("unavailableSince", java.time.Instant.ofEpochMilli(since).toString()));
          }
          return summary;
        })
        .otherwise(summary);
  }

  private void list(Message<JsonObject> msg) {
    int limit = Math.max(1, Math.min(200, msg.body().getInteger("limit", 20)));
    reply(msg, store.jobs().recentJobs(ownerFilter(msg), limit).compose(jobs -> {
      List<Future<JsonObject>> summaries = jobs.stream().map(this::summary).toList();
      return Future.all(summaries).map(all -> new JsonObject().put("jobs",
          new JsonArray(summaries.stream().map(Future::result).toList())));
    }));
  }

  private void items(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    ItemStatus status = q.getString("status") == null ? null : ItemStatus.parse(q.getString("status"));
    if (q.getString("status") != null && status == null) {
      fail(msg, Problem.badRequest("status must be one of " + java.util.Arrays.stream(ItemStatus.values())
          .map(Enum::name).collect(java.util.stream.Collectors.joining(", "))));
      return;
    }
    int limit = Math.max(1, Math.min(1000, q.getInteger("limit", 100)));
    reply(msg, visibleJob(msg).compose(job -> store.items().page(job.id(), status, limit, q.getString("cursor"))
        .map(page -> new JsonObject().put("items", page.items()).put("next", page.next()))));
  }

  /** The accounts of a job with a template (an empty page for a job without one). */
  private void accounts(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    AccountStatus status = q.getString("status") == null ? null : AccountStatus.parse(q.getString("status"));
    if (q.getString("status") != null && status == null) {
      fail(msg, Problem.badRequest("status must be one of WAITING, INSTALLED, ACTIVE, SETUP_REQUIRED, FAILED"));
      return;
    }
    int limit = Math.max(1, Math.min(1000, q.getInteger("limit", 100)));
    reply(msg, visibleJob(msg).compose(job -> store.accounts().page(job.id(), status, limit, q.getString("cursor"))
        .map(page -> new JsonObject().put("items", page.items()).put("next", page.next()))));
  }

  /**
   * A page of a job's event log. The job's status is read before the events: if it is final, every
   * event up to its finish is committed and in this page or the next.
   */
  private void events(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    long after = q.getLong("after", 0L);
    int limit = Math.max(1, Math.min(1000, q.getInteger("limit", 500)));
    if (after < 0) {
      fail(msg, Problem.badRequest("\"after\" must be an event id (0 or more)"));
      return;
    }
    reply(msg, visibleJob(msg).compose(job -> store.events().events(job.id(), after, limit).map(events ->
        new JsonObject().put("status", job.status().name())
            .put("events", new JsonArray(events.stream().map(JobEvent::toJson).toList())))));
  }

  // ---- control -------------------------------------------------------------------------------

  /**
   * Durable flag plus cluster-wide notices: items not yet started are cancelled in the store at once;
   * every node's gateway drops this job's calls that have not been sent; items already on the wire
   * finish (they may be installed).
   */
  private Future<JsonObject> cancel(JobRecord job, String caller) {
    String id = job.id();
    return store.jobs().cancel(id).recover(err -> {
      // A finished job has nothing left to cancel, but its sign-in links may still work: revoke those.
      if (!StoreException.is(err, StoreException.Kind.CONFLICT)) {
        return Future.failedFuture(err);
      }
      return store.signIns().revokeLinks(id).compose(revoked -> {
        if (revoked == 0) {
          return Future.failedFuture(err);
        }
        LogKeys.job(log.atInfo(), id, caller)
            .log("job {} (finished) cancelled by {}: {} sign-in link(s) revoked", id, caller, revoked);
        return Future.succeededFuture(List.<JobRecords.Changed>of());
      });
    }).compose(changed -> {
      vertx.eventBus().publish(Addresses.GATEWAY_CANCEL, new JsonObject().put("jobId", id));
      events.work(id);
      LogKeys.job(log.atInfo(), id, caller)
          .log("job {} cancelled by {}: {} pending item(s) cancelled", id, caller, changed.size());
      return store.jobs().finishIfDone(id);
    }).compose(finished -> {
      if (finished != null) {
        return JobSummaries.load(store.jobs(), finished);
      }
      return store.jobs().job(id).compose(this::summary);
    });
  }

  private Future<JsonObject> retry(JobRecord job, String caller) {
    String id = job.id();
    if (node.draining()) {
      return Future.failedFuture(Problem.busy("The service is shutting down; retry again shortly.", 5));
    }
    return store.jobs().retry(id).compose(retried -> {
      if (retried.isEmpty()) {
        return Future.failedFuture(Problem.conflict("Job '" + id + "' has no FAILED items"
            + (job.hasTemplate() ? ", FAILED accounts or SETUP_REQUIRED accounts" : "") + " to retry."));
      }
      LogKeys.job(log.atInfo(), id, caller).log("job {}: {} retries {} failed item(s) and {} account(s)", id, caller,
          retried.items().size(),
          retried.accounts().size());
      return store.jobs().job(id).compose(reopened -> summary(reopened).map(summary -> {
        events.work(id);
        return summary;
      }));
    });
  }

  // ---- sign-in links --------------------------------------------------------------------------

  /**
   * A new sign-in link for an OAUTH_PENDING item, published like the first (an oauth event written with it). Relay links: the old one is
   * revoked in the same transaction. Raw links (no PUBLIC_URL): a fresh Cyclr URL is minted now.
   */
  private Future<JsonObject> link(JobRecord job, long itemId, String caller) {
    SignIns signIns = store.signIns();
    Future<SignIns.IssuedLink> issued;
    if (store.policy().relayLinks()) {
      issued = signIns.reissue(job.id(), itemId);
    } else {
      issued = signIns.linkTarget(job.id(), itemId).compose(t -> vertx.eventBus().<SignInReply>request(
              Addresses.GATEWAY_SIGNIN, new SignInRequest(SignInOp.MINT, t.account(), t.accountConnectorId(),
                  GatewayRequests.link(job.spec(), true)), new DeliveryOptions().setLocalOnly(true)
                  .setSendTimeout(60_000))
          .recover(err -> Future.failedFuture(Problem.unavailable("Cyclr did not mint a sign-in token ("
              + err.getMessage() + "); try again shortly.")))
          .compose(reply -> {
            String url = reply.body().url();
            String expiresAt = reply.body().expiresAt();
            return signIns.rawLinkIssued(t, url, expiresAt)
                .map(v -> new SignIns.IssuedLink(t, url, url, expiresAt));
          }));
    }
    // The store wrote the link's oauth event with it; it is published after the commit.
    return issued.map(l -> {
      LogKeys.job(log.atInfo(), job.id(), caller).addKeyValue(LogKeys.ITEM_ID, String.valueOf(itemId))
          .log("job {}: {} issued a new sign-in link for item {}", job.id(), caller, itemId);
      return new JsonObject().put("url", l.url()).put("expiresAt", l.expiresAt());
    });
  }

  public static long itemId(Message<JsonObject> msg) {
    Object id = msg.body().getValue("itemId");
    try {
      return Long.parseLong(String.valueOf(id));
    } catch (NumberFormatException e) {
      throw Problem.badRequest("\"itemId\" must be an item id");
    }
  }

  // ---- replies -------------------------------------------------------------------------------

  private static String id(Message<JsonObject> msg) {
    Object id = msg.body().getValue("id");
    if (!(id instanceof String s) || s.isBlank()) {
      throw Problem.badRequest("\"id\" must be a job id (a string)");
    }
    return s;
  }

  /** Public addresses answer bad input with a 400 failure instead of leaving the caller waiting. */
  @SuppressWarnings("unchecked")
  public static Handler<Message<Object>> guarded(Handler<Message<JsonObject>> h) {
    return msg -> {
      if (!(msg.body() instanceof JsonObject)) {
        fail(msg, Problem.badRequest("The message body must be a JSON object."));
        return;
      }
      try {
        h.handle((Message<JsonObject>) (Message<?>) msg);
      } catch (Problem p) {
        fail(msg, p);
      } catch (ClassCastException | NullPointerException e) {
        fail(msg, Problem.badRequest("The message has a field of the wrong type."));
      }
    };
  }

  public static void reply(Message<?> msg, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else {
        fail(msg, ar.cause());
      }
    });
  }

  private static void fail(Message<?> msg, Throwable err) {
    Problem p = StoreProblems.of(err);
    if (p == null) {
      log.error("request on {} failed: {}", msg.address(), err.toString());
      p = StoreProblems.internal();
    }
    msg.fail(p.status(), p.toJson().encode());
  }
}
