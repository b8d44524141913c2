package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.io.Console;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fleet plan|apply|status|tenants}: a fleet's desired state, its plan, its staged apply, its tenants. */
@Command(name = "fleet", mixinStandardHelpOptions = true,
    description = "Declare a fleet (desired state), see its plan, apply it in stages, look at it.",
    subcommands = {FleetCommands.Plan.class, FleetCommands.Apply.class, FleetCommands.Status.class,
        FleetCommands.Tenants.class})
public final class FleetCommands implements Runnable {
  /** Exit code of {@code fleet plan} when the plan has changes. */
  static final int CHANGES = 4;
  private static final int PAGE = 200;
  /** Unchanged tenants read for drift left as it is: up to 50 pages; past that, {@code fleet tenants} shows them. */
  private static final long MAX_UNCHANGED_LISTED = 10_000;
  private static final List<String> CHANGING = List.of("INSTALL", "REINSTALL", "RELINK", "INSTALL_CYCLE", "ACTIVATE",
      "UNINSTALL");

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
        "give a fleet command: plan, apply, status or tenants");
  }

  static String fleetPath(String name) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new CliException("'" + name + "' is not a fleet name (lower-case letters, digits and '-', at most 63)");
    }
    return "/v1/fleets/" + name;
  }

  /** What {@code plan} and {@code apply} share: the file is the fleet's spec, put first, then planned. */
  abstract static class Planned extends ClientCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "the fleet: .json, .ndjson (line 1 the fleet "
        + "without tenants) or .csv (tenants; fleet fields as --connector-id etc. are not taken here)")
    Path file;

    @Option(names = "--name", required = true, paramLabel = "N", description = "the fleet's name") String name;

    /** Puts the spec and plans it; prints the summary and the changing tenants; returns the plan. */
    JsonObject putAndPlan(ApiClient api) {
      String path = fleetPath(name);
      String f = file.getFileName().toString().toLowerCase(Locale.ROOT);
      String type = f.endsWith(".csv") ? "text/csv" : f.endsWith(".ndjson") || f.endsWith(".jsonl")
          ? "application/x-ndjson" : f.endsWith(".json") ? "application/json" : null;
      if (type == null) {
        throw new CliException("cannot tell the format of " + file + ": name it .json, .ndjson or .csv");
      }
      JsonObject fleet = api.put(path, file, type).body();
      JsonObject plan = api.post(path + "/plan", new JsonObject(), Duration.ofMinutes(30)).body();
      // A big fleet's plan is answered while it still reads Cyclr (OPEN): follow it until it is READY.
      if ("OPEN".equals(plan.getString("status"))) {
        err().println("planning " + name + ": reading each tenant's live state at Cyclr…");
        err().flush();
      }
      while ("OPEN".equals(plan.getString("status"))) {
        pause();
        plan = api.get(path + "/plans/" + plan.getString("planId")).body();
      }
      JsonObject summary = plan.getJsonObject("summary");
      StringBuilder line = new StringBuilder("fleet " + name + " (generation " + fleet.getLong("generation")
          + ", " + fleet.getLong("total") + " tenants), plan " + plan.getString("planId") + ":");
      summary.forEach(e -> {
        if (((Number) e.getValue()).longValue() > 0) {
          line.append(' ').append(e.getKey().toLowerCase(Locale.ROOT)).append(' ').append(e.getValue());
        }
      });
      out().println(line);
      for (String action : CHANGING) {
        if (summary.getLong(action, 0L) > 0) {
          lines(api, path + "/plans/" + plan.getString("planId") + "/actions?limit=" + PAGE + "&action=" + action);
        }
      }
      // Drift the plan leaves as it is (credentials Cyclr refused: only new ones repair it), when there are few
      // enough unchanged tenants to look through.
      long unchanged = summary.getLong("NONE", 0L);
      if (unchanged > 0 && unchanged <= MAX_UNCHANGED_LISTED) {
        lines(api, path + "/plans/" + plan.getString("planId") + "/actions?limit=" + PAGE + "&action=NONE");
      }
      out().flush();
      return plan;
    }

    private void lines(ApiClient api, String path) {
      String cursor = null;
      do {
        JsonObject page = api.get(path + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor,
            StandardCharsets.UTF_8))).body();
        for (Object o : page.getJsonArray("items")) {
          JsonObject a = (JsonObject) o;
          String action = a.getString("action");
          if (action.equals("NONE")) {
            if (a.getString("drift") != null) {
              out().println("! drifted " + a.getString("account") + " (" + a.getString("reason") + ")");
            }
            continue;
          }
          String sign = action.equals("UNINSTALL") ? "-" : action.equals("INSTALL") || action.equals("REINSTALL")
              ? "+" : "~";
          String reason = a.getString("reason");
          boolean plain = action.equals("INSTALL") && "not installed".equals(reason);
          out().println(sign + " " + action.toLowerCase(Locale.ROOT).replace('_', '-') + " " + a.getString("account")
              + (plain || reason == null ? "" : " (" + reason + ")"));
        }
        cursor = page.getString("next");
      } while (cursor != null);
    }

    static boolean changes(JsonObject plan) {
      JsonObject s = plan.getJsonObject("summary");
      return CHANGING.stream().anyMatch(a -> s.getLong(a, 0L) > 0);
    }
  }

  @Command(name = "plan", mixinStandardHelpOptions = true,
      description = {"Put FILE as fleet N and show its plan: what each tenant needs (+ install, ~ relink, "
          + "- uninstall ...). Changes nothing at Cyclr.", "Exit code: 0 no changes, 4 changes, 2 usage or "
          + "connection error."})
  public static final class Plan extends Planned {
    @Override
    int run(ApiClient api) {
      return changes(putAndPlan(api)) ? CHANGES : OK;
    }
  }

  @Command(name = "apply", mixinStandardHelpOptions = true,
      description = {"Put FILE as fleet N, show its plan, ask (on a terminal), then apply it in the rollout's "
          + "steps.", "Exit code: 0 applied (or nothing to do), 1 halted, 2 usage or connection error, or no "
          + "terminal to ask on and no --yes."})
  public static final class Apply extends Planned {
    @Option(names = "--yes", description = "do not ask") boolean yes;

    @Option(names = "--wait", description = "follow the steps to the end") boolean await;

    @Option(names = "--confirm-prune", paramLabel = "N", description = "the plan uninstalls N tenants (prune): "
        + "needed when that is more than the policy's maxPrunePercent of the fleet") Long confirmPrune;

    @Override
    int run(ApiClient api) {
      JsonObject plan = putAndPlan(api);
      if (!changes(plan)) {
        out().println("nothing to apply");
        out().flush();
        return OK;
      }
      if (!yes) {
        Console console = System.console();
        if (console == null) {
          throw new CliException("no terminal to ask on: pass --yes to apply without asking");
        }
        String answer = console.readLine("Apply this plan? [y/N] ");
        if (answer == null || !answer.trim().equalsIgnoreCase("y")) {
          out().println("not applied");
          out().flush();
          return OK;
        }
      }
      String path = fleetPath(name);
      JsonObject applied;
      try {
        applied = api.post(path + "/apply" + (confirmPrune == null ? "" : "?confirmPrune=" + confirmPrune),
            new JsonObject().put("planId", plan.getString("planId")), Duration.ofSeconds(60)).body();
      } catch (CliException e) {
        long prune = plan.getJsonObject("summary").getLong("UNINSTALL", 0L);
        throw prune > 0 && e.getMessage().contains("confirmPrune") ? new CliException(e.getMessage()
            + " With this command: --confirm-prune " + prune + ".") : e;
      }
      out().println("applying plan " + applied.getString("planId") + ": job " + applied.getJsonArray("jobIds")
          .encode());
      out().flush();
      if (!await) {
        return OK;
      }
      JsonObject fleet = api.get(path).body();
      Integer shown = null;
      while ("APPLYING".equals(fleet.getString("status"))) {
        Integer step = fleet.getJsonObject("rollout").getInteger("step");
        if (step != null && !step.equals(shown)) {
          out().println("step " + step + " of " + fleet.getJsonObject("rollout").getJsonArray("steps").size());
          out().flush();
          shown = step;
        }
        pause();
        fleet = api.get(path).body();
      }
      out().println(Status.line(fleet));
      out().flush();
      return "HALTED".equals(fleet.getString("status")) ? JOB_NOT_SUCCEEDED : OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a fleet's status, tenants and drift.")
  public static final class Status extends ClientCommand {
    @Parameters(index = "0", paramLabel = "N") String name;

    @Override
    int run(ApiClient api) {
      out().println(line(api.get(fleetPath(name)).body()));
      out().flush();
      return OK;
    }

    static String line(JsonObject f) {
      JsonObject rollout = f.getJsonObject("rollout");
      return f.getString("name") + "  " + f.getString("status") + "  generation " + f.getLong("generation")
          + " (applied " + f.getValue("appliedGeneration") + ")  tenants " + f.getJsonObject("tenants").encode()
          + (f.getJsonObject("drift").isEmpty() ? "" : "  drift " + f.getJsonObject("drift").encode())
          + (rollout.getString("haltedReason") == null ? "" : "  halted: " + rollout.getString("haltedReason"));
    }
  }

  @Command(name = "tenants", mixinStandardHelpOptions = true, description = "List a fleet's tenants and their state.")
  public static final class Tenants extends ClientCommand {
    @Parameters(index = "0", paramLabel = "N") String name;

    @Option(names = "--state", paramLabel = "S", description = "only tenants in this state, e.g. DRIFTED") String state;

    @Override
    int run(ApiClient api) {
      String path = fleetPath(name) + "/tenants?limit=" + PAGE + (state == null ? "" : "&state="
          + URLEncoder.encode(state, StandardCharsets.UTF_8));
      String cursor = null;
      do {
        JsonObject page = api.get(path + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor,
            StandardCharsets.UTF_8))).body();
        for (Object o : page.getJsonArray("items")) {
          JsonObject t = (JsonObject) o;
          out().println(t.getString("account") + "  " + t.getString("state")
              + (t.getValue("accountConnectorId") == null ? "" : "  connector " + t.getValue("accountConnectorId"))
              + (t.getString("url") == null ? "" : "  " + t.getString("url")));
        }
        cursor = page.getString("next");
      } while (cursor != null);
      out().flush();
      return OK;
    }
  }
}
