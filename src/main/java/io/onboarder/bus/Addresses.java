package io.onboarder.bus;

/**
 * The event-bus contract in one place. Public addresses are the contract in docs/events.md; bodies are
 * {@code JsonObject}s so any Vert.x node or bridge client can use them. The gateway's local addresses
 * (onboard, account step, sign-in) carry the typed records of {@link GatewayContract} instead.
 */
public final class Addresses {
  private Addresses() {}

  /** request/reply: same JSON as POST /v1/jobs (+ optional idempotencyKey) → job summary. */
  public static final String JOBS_SUBMIT = "onboarder.jobs.submit";
  /** request/reply: {"id"} → job summary, 404 failure if unknown. */
  public static final String JOBS_GET = "onboarder.jobs.get";
  /** request/reply: {"limit"} → {"jobs": [summary…]}. */
  public static final String JOBS_LIST = "onboarder.jobs.list";
  /** request/reply: {"id","status"?,"limit","cursor"?} → {"items": […], "next"}. */
  public static final String JOBS_ITEMS = "onboarder.jobs.items";
  /** request/reply: {"id"} → job summary. */
  public static final String JOBS_CANCEL = "onboarder.jobs.cancel";
  /** request/reply: {"id"} → job summary. */
  public static final String JOBS_RETRY = "onboarder.jobs.retry";
  /**
   * request/reply: {"id","after"?,"limit"?} → {"status": job status, "events": [{"id","event","data"}…]}:
   * a job's events after number {@code after}, from the store (the SSE stream reads them here).
   */
  public static final String JOBS_EVENTS = "onboarder.jobs.events";
  /** request/reply: {"id","itemId"} → {"jobId","itemId","revoked"}: the item's sign-in link answers 410 from now. */
  public static final String JOBS_LINK_REVOKE = "onboarder.jobs.link.revoke";
  /**
   * request/reply: {"id"} → the job's sign-in funnel {"issued","opened","started","authenticated","reminded",
   * "expired","medianSecondsToSignIn"}.
   */
  public static final String JOBS_SIGN_INS = "onboarder.jobs.signins";
  /** request/reply: {} → {"ready": bool}; used by the readiness check. */
  public static final String JOBS_READY = "onboarder.jobs.ready";

  /** internal publish, cluster-wide: {"jobId"} may have claimable items or may be finishable: dispatchers wake up. */
  public static final String JOBS_WORK = "onboarder.internal.work";

  /** internal request/reply: {"graceMs"} → stop claiming, wait for in-flight items, flush; replies when done. */
  public static final String JOBS_DRAIN = "onboarder.jobs.drain";

  /** publish: {"jobId","itemId","account","connectorId","status","error"} on every item status change. */
  public static final String EVENTS_ITEM = "onboarder.events.item";
  /** publish: job summary on every job status change. */
  public static final String EVENTS_JOB = "onboarder.events.job";
  /** publish: {"jobId","itemId","account","connectorId","connectorName","accountConnectorId","url","expiresAt"}. */
  public static final String EVENTS_OAUTH = "onboarder.events.oauth";

  /**
   * publish: {"jobId","account","status","cycleId","prerequisites","error"} on every status change of an account
   * of a job with a template.
   */
  public static final String EVENTS_ACCOUNT = "onboarder.events.account";
  /** request/reply: {"id","status"?,"limit","cursor"?} → {"items": [account…], "next"}. */
  public static final String JOBS_ACCOUNTS = "onboarder.jobs.accounts";
  /** internal request/reply: {"status"?,"limit","cursor"?} → {"deliveries": […], "next", "endpoint", "counts"}. */
  public static final String WEBHOOKS_DELIVERIES = "onboarder.internal.webhooks.deliveries";
  /** internal request/reply: {"id"} → the delivery, replayed (due now, same webhook-id); 404 if unknown. */
  public static final String WEBHOOKS_REPLAY = "onboarder.internal.webhooks.replay";
  /** internal publish, cluster-wide: deliveries may be due (a replay); every sender looks now. */
  public static final String WEBHOOKS_WAKE = "onboarder.internal.webhooks.wake";

  /**
   * request/reply, header {@code action} = put|get|list|tenants|plan|apply|pause|resume|rollback|delete: fleets,
   * the same operations as the {@code /v1/fleets} routes; body {"name", ...} (put: {"name","ifMatch"?,"fleet"}).
   */
  public static final String FLEETS = "onboarder.fleets";
  /** internal publish, cluster-wide: a fleet's apply may have something due now (resumed); every node looks. */
  public static final String FLEETS_WAKE = "onboarder.internal.fleets.wake";
  /** publish: {"fleet","generation","type","summary"} when a fleet halts, drifts or converges. */
  public static final String EVENTS_FLEET = "onboarder.events.fleet";

  /** internal request/reply (local): {@link GatewayContract.ItemRequest} → {@link GatewayContract.ItemReply}. */
  public static final String GATEWAY_ONBOARD = "cyclr.gateway.onboard";
  /**
   * internal request/reply (local): one account step of a job with a template (template, prerequisites, activation),
   * {@link GatewayContract.AccountStepRequest} → {@link GatewayContract.AccountStepReply}.
   */
  public static final String GATEWAY_ACCOUNT = "cyclr.gateway.account";
  /** internal request/reply (this node): {"graceMs"} → stop claiming account steps, wait for those in flight, flush. */
  public static final String ACCOUNTS_DRAIN = "onboarder.internal.accounts.drain";
  /**
   * internal request/reply (this node's gateway): {} → {"breaker", "breakerOpenSinceMs", "degraded", "inFlight",
   * "waiting", "rate", "ratePerSecond", "clusterRatePerSecond", "gatewayNodes", "pausedForMs", ...}.
   */
  public static final String GATEWAY_STATUS = "cyclr.gateway.status";
  /** internal request/reply: stop taking new work, fail waiting calls as "shutting down". */
  public static final String GATEWAY_DRAIN = "cyclr.gateway.drain";
  /**
   * internal publish (every node's gateway): {"jobId"} → calls of that job's items not yet sent are abandoned and
   * those items replied PENDING with "cancelled": true (not recovered). As a request the reply is
   * {"jobId","cancelled","finishing"}.
   */
  public static final String GATEWAY_CANCEL = "cyclr.gateway.cancel";
  /** internal publish (cluster-wide): {"retryAfterMs","from"}: a 429 one gateway saw; every other gateway pauses. */
  public static final String GATEWAY_RATE_LIMITED = "cyclr.gateway.ratelimited";
  /**
   * internal publish (cluster-wide): {"nodeId","event": "joined" | "left"}. Every gateway also consumes it: the
   * nodes registered here are the gateways that share gateway.ratePerSecond.
   */
  public static final String GATEWAY_MEMBERS = "cyclr.gateway.members";
  /**
   * internal request/reply (local): a sign-in check or mint at Cyclr, {@link GatewayContract.SignInRequest} →
   * {@link GatewayContract.SignInReply}; see {@code cyclr.SignInCalls}.
   */
  public static final String GATEWAY_SIGNIN = "cyclr.gateway.signin";

  /**
   * internal request/reply (local): one tenant's live state at Cyclr (account, installs of a connector, cycles of a
   * template), {@link FleetContract.LiveStateRequest} → {@link FleetContract.LiveStateReply}; reads are held to
   * {@code fleets.readRatePercent} of the Cyclr rate limit.
   */
  public static final String GATEWAY_LIVE_STATE = "cyclr.gateway.livestate";
  /**
   * internal request/reply (local): remove one account connector or cycle at Cyclr,
   * {@link FleetContract.RemovalRequest} → {@link FleetContract.RemovalReply} (404 counts as already gone).
   */
  public static final String GATEWAY_REMOVE = "cyclr.gateway.remove";

  /**
   * internal request/reply (local): {"account","cursor"?,"limit"?} with headers {@code caller}, {@code admin} →
   * {"items": [{"at","kind","jobId","fleet","detail"}…], "next"}: an account's history, oldest first.
   */
  public static final String HISTORY = "onboarder.internal.history";
  /**
   * internal send (local): {"account","kind","jobId"?,"fleet"?,"detail"?} → one account-history entry recorded
   * (a kind of {@code history.HistoryKind}); for what no store transaction writes, e.g. an account created at Cyclr.
   */
  public static final String HISTORY_RECORD = "onboarder.internal.history.record";

  /** request/reply: {"id","itemId"} → {"url","expiresAt"}: a new sign-in link for the item, the old one revoked. */
  public static final String JOBS_LINK = "onboarder.jobs.link";
  /** internal request/reply (local): the public relay-link pages, {"op": view|start|done, "token"} → page model. */
  public static final String CONNECT = "onboarder.internal.connect";
}
