package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountOutcome;
import io.onboarder.job.AccountPhase;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.AccountStatus;
import io.onboarder.job.ClaimedAccount;
import io.onboarder.job.ClaimedItem;
import io.onboarder.job.ItemOutcome;
import io.onboarder.job.ItemStatus;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecord;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.JobStatus;
import io.onboarder.job.StoreException;
import io.onboarder.signin.SignInPolicy;
import io.onboarder.signin.SignIns;
import io.onboarder.support.Postgres;
import io.onboarder.support.TestService;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the store contract tests share: the back ends they run on (in memory, the SQLite file, and a
 * real PostgreSQL, embedded and started by the tests), and the requests and outcomes they use. Each
 * port's contract is its own test class; the rules the cluster relies on are checked at the source.
 */
abstract class StoreContract {
  static final byte[] KEY = new byte[32];
  static final JobRequestValidator VALIDATOR = new JobRequestValidator(100_000);
  static final String MEMORY = "memory";

  @TempDir
  Path dir;
  Vertx vertx;
  final List<StorePorts> stores = new ArrayList<>();
  /** In-memory stores by their "url": two nodes of one store share it, as they share a database. */
  private final Map<String, MemoryStores> memory = new HashMap<>();
  /** The in-memory stores' clock (epoch milliseconds): it moves only when a test lets time pass. */
  private final java.util.concurrent.atomic.AtomicLong memoryNow =
      new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    stores.forEach(s -> TestService.await(s.close()));
    TestService.await(vertx.close());
  }

  /** Where a store of {@code kind} lives: a fresh database for PostgreSQL and memory, the test's file for SQLite. */
  String urlFor(String kind) {
    return switch (kind) {
      case "sqlite" -> null;
      case MEMORY -> "memory:" + memory.size();
      default -> SchemaTemplates.postgresDatabaseUrl();
    };
  }

  /** A started store of {@code kind}; {@code url} lets two stores (two nodes) share one database. */
  StorePorts store(String kind, String url) {
    return store(kind, url, SignInPolicy.DEFAULT);
  }

  /** As {@link #store(String, String)}, with sign-in links issued under {@code policy}. */
  StorePorts store(String kind, String url, SignInPolicy policy) {
    if (kind.equals(MEMORY)) {
      return StorePorts.of(memory.computeIfAbsent(url, u -> new MemoryStores(memoryNow::get, policy)));
    }
    Stores s = unstarted(kind, url, policy, 4);
    TestService.await(s.start());
    StorePorts ports = StorePorts.of(s);
    stores.add(ports);
    return ports;
  }

  StorePorts store(String kind) {
    return store(kind, urlFor(kind));
  }

  /** A store of {@code kind}, not started; the test's SQLite file starts as a copy of the migrated template. */
  Stores unstarted(String kind, String url, SignInPolicy policy, int poolSize) {
    if (!kind.equals("sqlite")) {
      return Stores.postgres(vertx, url, KEY, poolSize, policy);
    }
    Path file = dir.resolve("db.sqlite");
    SchemaTemplates.sqliteAt(file);
    return Stores.sqlite(vertx, file, KEY, policy);
  }

  /**
   * Lets {@code ms} pass on the back end's clock, which decides leases, due times and expiry: the
   * in-memory stores' clock moves at once; a database's clock is its own, so the test waits for it.
   */
  void elapse(String kind, long ms) {
    if (kind.equals(MEMORY)) {
      memoryNow.addAndGet(ms);
    } else {
      TestService.await(vertx.timer(ms));
    }
  }

  /** Renews both kinds of lease a node holds, as the node's renewal does; returns how many. */
  static int renew(StorePorts s, String node, long leaseMs) {
    return await(s.items().renew(node, leaseMs)) + (s.accounts() == null ? 0 : await(s.accounts().renew(node, leaseMs)));
  }

  static JobRequest request(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a).put("authValue", "key-of-" + a));
    }
    return VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1)).put("items", items));
  }

  /** A job of API-key items with a template, so every account is onboarded too. */
  static JobRequest templateRequest(String... accounts) {
    JsonArray items = new JsonArray();
    for (String a : accounts) {
      items.add(new JsonObject().put("account", a).put("authValue", "key-of-" + a));
    }
    return VALIDATOR.validate(new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("template", new JsonObject().put("id", "tmpl-1")).put("activate", new JsonObject().put("interval", 60))
        .put("items", items));
  }

  /** Claims every item of the job (one per account at a time) and records it with {@code status}. */
  static void finishItems(StorePorts s, String job, ItemStatus status) {
    for (int round = 0; round < 20; round++) {
      List<ClaimedItem> items = await(s.items().claim("n", 100, 60_000));
      if (items.isEmpty()) {
        return;
      }
      await(s.items().record("n", items.stream().map(i -> new ItemOutcome(i.id(), i.jobId(), i.account(), status, 1L, "c",
          10L, null, null, status == ItemStatus.FAILED ? new JsonObject().put("code", "X") : null, false)).toList()));
    }
  }

  static AccountOutcome settled(ClaimedAccount a, AccountStatus status, AccountPhase phase) {
    return new AccountOutcome(a.id(), a.jobId(), a.account(), a.status(), status, phase, "cycle-" + a.account(),
        new JsonArray(), null, null, status == AccountStatus.FAILED ? AccountOutcome.error("X", "failed") : null,
        null, null, null, false, false);
  }

  /** The failure is a store failure of {@code kind}. */
  static java.util.function.Consumer<Throwable> failedWith(StoreException.Kind kind) {
    return err -> assertThat(err).isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  static <T> T await(Future<T> f) {
    return TestService.await(f);
  }

  static ItemOutcome installed(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.INSTALLED, 1L, "c", 10L, null, null, null,
        false);
  }

  static ItemOutcome withSignInUrl(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.OAUTH_PENDING, 2L, "Salesforce", 77L,
        "https://cyclr.example/oauth?id=77&token=t", "2030-01-01T00:00:00Z", null, false);
  }

  static List<String> describe(List<JobEvent> events) {
    return events.stream().map(e -> e.seq() + ":" + e.kind().wire + ":" + e.body().getString("status")).toList();
  }

  // ---- sign-in links and the sign-in watch -----------------------------------------------------

  static final String PUBLIC = "https://onboard.example.com";

  static SignInPolicy relay(long ttlMs, long firstMs) {
    return new SignInPolicy(PUBLIC, ttlMs, firstMs, Math.max(firstMs, 900_000));
  }

  static ItemOutcome oauthPending(ClaimedItem i) {
    return new ItemOutcome(i.id(), i.jobId(), i.account(), ItemStatus.OAUTH_PENDING, 2L, "Salesforce",
        1000 + i.id(), null, null, null, false);
  }

  /** A job of OAUTH_PENDING items (installed, sign-in links issued); the outcomes as recorded. */
  List<ItemOutcome> pendingSignIns(StorePorts s, String... accounts) {
    String job = await(s.intake().create(request(accounts), "alice", null)).job().id();
    List<ClaimedItem> claimed = await(s.items().claim("n", 100, 60_000));
    return await(s.items().record("n", claimed.stream().map(StoreContract::oauthPending).toList())).applied();
  }

  static String token(ItemOutcome o) {
    return o.relayUrl().substring(o.relayUrl().lastIndexOf('/') + 1);
  }

  /** Every text value of the links and items tables, to prove what is not stored. */
  String storedText(String kind, String url) throws Exception {
    if (kind.equals(MEMORY)) {
      return ((MemorySignIns) memory.get(url).signIns()).storedText();
    }
    String jdbc = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("db.sqlite") : Postgres.jdbcUrl(url);
    StringBuilder all = new StringBuilder();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, kind.equals("sqlite") ? null : "postgres",
        null); java.sql.Statement st = c.createStatement()) {
      for (String table : List.of("links", "items")) {
        try (java.sql.ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
          while (rs.next()) {
            for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
              all.append(rs.getString(col)).append('|');
            }
          }
        }
      }
    }
    return all.toString();
  }

  static <T> List<T> concat(List<T> x, List<T> y) {
    List<T> all = new ArrayList<>(x);
    all.addAll(y);
    return all;
  }
}
