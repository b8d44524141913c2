package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the client commands share: the server options, one-line errors with exit code 2, waiting for
 * a job with progress, and the exit code of a finished job (0 succeeded, 1 completed with errors or
 * cancelled).
 */
public abstract class ClientCommand implements Callable<Integer> {
  static final int OK = 0;
  static final int JOB_NOT_SUCCEEDED = 1;
  static final int USAGE = 2;
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED");

  @Mixin
  ServerOptions server;

  @Spec
  CommandSpec spec;

  @Option(names = "--poll-ms", hidden = true, defaultValue = "1000", description = "how often --wait asks for progress")
  long pollMs;

  @Option(names = "--progress-every", paramLabel = "SECONDS", defaultValue = "10",
      description = "without a terminal: seconds between progress lines (default ${DEFAULT-VALUE})")
  double progressEvery;

  @Option(names = "--plain", description = "plain progress lines even on a terminal")
  boolean plain;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Waits {@code --poll-ms} between two looks at something running at the service. */
  void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(pollMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }

  @Override
  public final Integer call() {
    try {
      return run(server.client());
    } catch (CliException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return USAGE;
    }
  }

  abstract int run(ApiClient api);

  /** Polls the job until it is finished, showing progress; returns its last summary. */
  JsonObject await(ApiClient api, String jobId) {
    Progress progress = new Progress(out(), !plain && System.console() != null,
        Duration.ofMillis((long) (progressEvery * 1000)));
    JsonObject job = api.get("/v1/jobs/" + jobId).body();
    while (true) {
      progress.update(job);
      if (TERMINAL.contains(job.getString("status"))) {
        progress.finish();
        return job;
      }
      pause();
      job = api.get("/v1/jobs/" + jobId).body();
    }
  }

  static int exitCode(JsonObject job) {
    String status = job.getString("status");
    return "COMPLETED_WITH_ERRORS".equals(status) || "CANCELLED".equals(status) ? JOB_NOT_SUCCEEDED : OK;
  }

  static String jobPath(String jobId) {
    if (!jobId.matches("[A-Za-z0-9-]{1,64}")) {
      throw new CliException("'" + jobId + "' is not a job id");
    }
    return "/v1/jobs/" + jobId;
  }
}
