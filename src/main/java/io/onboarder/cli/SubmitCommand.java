package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code submit FILE}: sends a tenant list (.csv, .ndjson or .json) as a job; with --wait, follows it to the end. */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Submit a tenant list as a job: FILE is .csv (header row with an 'account' column), .ndjson "
        + "(line 1 the job, then one item per line) or .json (the job object).",
        "Job options override the file's job fields. Exit code: 0 accepted (with --wait: succeeded), 1 completed "
            + "with errors or cancelled, 2 usage or connection error."})
public final class SubmitCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "FILE", description = "the tenant list")
  Path file;

  @Option(names = "--format", paramLabel = "csv|ndjson|json", description = "the file's format (default: from its name)")
  String format;

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "the same key with the same file answers the job already created")
  String idempotencyKey;

  @Option(names = "--wait", description = "follow the job to its end, then write its report")
  boolean await;

  @Option(names = "--report", paramLabel = "FILE",
      description = "with --wait: where the CSV report goes (default: FILE's name with .report.csv)")
  Path report;

  @Option(names = "--connector-id", paramLabel = "ID") Long connectorId;
  @Option(names = "--connector-name", paramLabel = "NAME") String connectorName;
  @Option(names = "--connector-version", paramLabel = "VERSION") String connectorVersion;
  @Option(names = "--install-name", paramLabel = "NAME") String installName;
  @Option(names = "--target-origin", paramLabel = "URL", description = "where OAuth sign-in pages return to")
  String targetOrigin;
  @Option(names = "--callback-message", paramLabel = "TEXT") String callbackMessage;
  @Option(names = "--dry-run", description = "check every item at Cyclr, change nothing") Boolean dryRun;
  @Option(names = "--create-accounts", description = "create missing Cyclr accounts") Boolean createAccounts;
  @Option(names = "--tolerated-failure-percent", paramLabel = "0-100") Double toleratedFailurePercent;
  @Option(names = "--template-id", paramLabel = "ID", description = "install this template (integration) in every "
      + "account once its items are ready") String templateId;
  @Option(names = "--template-name", paramLabel = "NAME", description = "the same, by the template's exact name")
  String templateName;
  @Option(names = "--activate-interval", paramLabel = "MINUTES", description = "activate the template's cycle, "
      + "running every MINUTES (1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080)")
  Integer activateInterval;
  @Option(names = "--activate-run-once", description = "activate the template's cycle to run once") Boolean activateRunOnce;
  @Option(names = "--activate-start-time", paramLabel = "ISO-8601") String activateStartTime;

  @Override
  int run(ApiClient api) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new CliException(file + " is not a readable file");
    }
    String type = contentType();
    JsonObject job;
    ApiClient.Answer answer = api.submit(file, type, jobOptions(), idempotencyKey);
    job = answer.body();
    String id = job.getString("id");
    out().println((answer.status() == 202 ? "accepted" : "already submitted with this idempotency key") + ": job " + id
        + " (" + job.getLong("total", 0L) + " items) at " + api.base() + "/v1/jobs/" + id);
    out().flush();
    if (!await) {
      return OK;
    }
    job = await(api, id);
    out().println(Progress.summary(job));
    Path target = report != null ? report : Path.of(stem(file.getFileName().toString()) + ".report.csv");
    long rows = api.report(id, null, "csv", target);
    out().println("report: " + target + " (" + rows + " items)");
    out().flush();
    return exitCode(job);
  }

  private String contentType() {
    String f = format != null ? format.toLowerCase(Locale.ROOT) : extension(file.getFileName().toString());
    return switch (f) {
      case "csv" -> "text/csv";
      case "ndjson", "jsonl" -> "application/x-ndjson";
      case "json" -> "application/json";
      default -> throw new CliException("cannot tell the format of " + file + ": name it .csv, .ndjson or .json, "
          + "or give --format");
    };
  }

  private Map<String, String> jobOptions() {
    Map<String, String> q = new LinkedHashMap<>();
    put(q, "connectorId", connectorId);
    put(q, "connectorName", connectorName);
    put(q, "connectorVersion", connectorVersion);
    put(q, "installName", installName);
    put(q, "targetOrigin", targetOrigin);
    put(q, "callbackMessage", callbackMessage);
    put(q, "dryRun", dryRun);
    put(q, "createAccounts", createAccounts);
    put(q, "toleratedFailurePercent", toleratedFailurePercent);
    put(q, "templateId", templateId);
    put(q, "templateName", templateName);
    put(q, "activateInterval", activateInterval);
    put(q, "activateRunOnce", activateRunOnce);
    put(q, "activateStartTime", activateStartTime);
    return q;
  }

  private static void put(Map<String, String> q, String name, Object value) {
    if (value != null) {
      q.put(name, value instanceof Double d && d == Math.rint(d) ? String.valueOf(d.longValue()) : value.toString());
    }
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static String stem(String name) {
    int dot = name.lastIndexOf('.');
    return dot <= 0 ? name : name.substring(0, dot);
  }
}
