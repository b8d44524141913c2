package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code history ACCOUNT}: what the service did and saw for one Cyclr account, oldest first, every page. */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = {"Show what the service did and saw for one Cyclr account (installs, sign-in links, sign-ins, "
        + "cycles, drift, uninstalls), oldest first: the entries of your jobs and fleets, or all with an admin token.",
        "Exit code: 0, 2 usage or connection error."})
public final class HistoryCommand extends ClientCommand {
  /** Entries per request (the API's largest page). */
  private static final int PAGE = 200;

  @Parameters(index = "0", paramLabel = "ACCOUNT", description = "the Cyclr account id") String account;

  @Option(names = "--json", description = "one JSON object per line (NDJSON), as the API gives them")
  boolean json;

  @Override
  int run(ApiClient api) {
    if (account.isBlank()) {
      throw new CliException("ACCOUNT must not be empty");
    }
    String path = "/v1/accounts/" + URLEncoder.encode(account, StandardCharsets.UTF_8).replace("+", "%20")
        + "/history?limit=" + PAGE;
    String cursor = null;
    int entries = 0;
    do {
      JsonObject page = api.get(path + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor,
          StandardCharsets.UTF_8))).body();
      for (Object o : page.getJsonArray("items")) {
        JsonObject e = (JsonObject) o;
        out().println(json ? e.encode() : line(e));
        entries++;
      }
      cursor = page.getString("next");
    } while (cursor != null);
    if (entries == 0 && !json) {
      out().println("no history for account " + account + " (none yet, or none of it is yours)");
    }
    out().flush();
    return OK;
  }

  /** {@code at  kind  job J  fleet F  {detail}}, the parts that are there. */
  private static String line(JsonObject e) {
    StringBuilder sb = new StringBuilder().append(e.getString("at")).append("  ")
        .append(String.format("%-21s", e.getString("kind")));
    if (e.getString("jobId") != null) {
      sb.append("  job ").append(e.getString("jobId"));
    }
    if (e.getString("fleet") != null) {
      sb.append("  fleet ").append(e.getString("fleet"));
    }
    JsonObject detail = e.getJsonObject("detail");
    if (detail != null && !detail.isEmpty()) {
      sb.append("  ").append(detail.encode());
    }
    return sb.toString();
  }
}
