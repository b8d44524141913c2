package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code status}, {@code report}, {@code cancel} and {@code retry}: one job each. */
public final class JobCommands {
  private JobCommands() {}

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"Show a job's status and counts.", "Exit code: 0 running or succeeded, 1 completed with errors "
          + "or cancelled, 2 usage or connection error."})
  public static final class Status extends ClientCommand {
    @Parameters(index = "0", paramLabel = "JOB") String jobId;

    @Option(names = "--wait", description = "follow the job to its end")
    boolean await;

    @Override
    int run(ApiClient api) {
      JsonObject job = api.get(jobPath(jobId)).body();
      if (await) {
        job = await(api, jobId);
      }
      out().println(jobId + "  " + Progress.summary(job));
      out().flush();
      return exitCode(job);
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true,
      description = "Write every item of a job (account, connector, status, error, account connector id, sign-in "
          + "link and its expiry) as CSV or NDJSON, streamed.")
  public static final class Report extends ClientCommand {
    @Parameters(index = "0", paramLabel = "JOB") String jobId;

    @Option(names = "--status", paramLabel = "STATUS", description = "only items with this status, e.g. FAILED")
    String status;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "where to write it (default: stdout)")
    Path output;

    @Option(names = "--format", paramLabel = "csv|ndjson",
        description = "default: from the output file's name (.ndjson), else csv")
    String format;

    @Override
    int run(ApiClient api) {
      jobPath(jobId);
      String f = format != null ? format : output != null && output.toString().endsWith(".ndjson") ? "ndjson" : "csv";
      if (!f.equals("csv") && !f.equals("ndjson")) {
        throw new CliException("--format must be csv or ndjson");
      }
      if (output != null) {
        long rows = api.report(jobId, status, f, output);
        spec.commandLine().getErr().println("report: " + output + " (" + rows + " items)");
        spec.commandLine().getErr().flush();
        return OK;
      }
      Path tmp = null;
      try {
        tmp = Files.createTempFile("cyclr-onboarder-report-", "." + f);
        api.report(jobId, status, f, tmp);
        try (var lines = Files.lines(tmp)) {
          lines.forEach(out()::println);
        }
        out().flush();
        return OK;
      } catch (IOException e) {
        throw new CliException("cannot write the report: " + e.getMessage());
      } finally {
        if (tmp != null) {
          try {
            Files.deleteIfExists(tmp);
          } catch (IOException ignored) {
            // best effort
          }
        }
      }
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a job: items not started are cancelled; items at Cyclr finish.")
  public static final class Cancel extends ClientCommand {
    @Parameters(index = "0", paramLabel = "JOB") String jobId;

    @Override
    int run(ApiClient api) {
      JsonObject job = api.post(jobPath(jobId) + "/cancel").body();
      out().println("cancel requested: " + jobId + "  " + Progress.summary(job));
      out().flush();
      return OK;
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true, description = "Run a job's FAILED items again.")
  public static final class Retry extends ClientCommand {
    @Parameters(index = "0", paramLabel = "JOB") String jobId;

    @Override
    int run(ApiClient api) {
      JsonObject job = api.post(jobPath(jobId) + "/retry").body();
      out().println("retrying: " + jobId + "  " + Progress.summary(job));
      out().flush();
      return OK;
    }
  }
}
