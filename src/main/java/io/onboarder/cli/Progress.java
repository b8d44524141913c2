package io.onboarder.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Shows a job's progress: on a terminal a bar redrawn in place (done/total, items/s, ETA, counts by
 * status); otherwise (a log, a pipe, CI) a plain line now and then and on every status change.
 */
final class Progress {
  static final String[] STATUSES = {"PENDING", "RUNNING", "INSTALLED", "ALREADY_INSTALLED", "OAUTH_PENDING",
      "AUTHENTICATED", "FAILED", "CANCELLED", "SIGN_IN_EXPIRED"};
  private static final int BAR = 30;
  private static final long WINDOW_NANOS = Duration.ofSeconds(15).toNanos();

  private final PrintWriter out;
  private final boolean terminal;
  private final long plainEveryNanos;
  private final Deque<long[]> samples = new ArrayDeque<>();
  private long lastPlain;
  private String lastStatus;
  private boolean drawn;

  Progress(PrintWriter out, boolean terminal, Duration plainEvery) {
    this.out = out;
    this.terminal = terminal;
    this.plainEveryNanos = plainEvery.toNanos();
  }

  /** Items that reached a terminal status. */
  static long done(JsonObject job) {
    JsonObject counts = job.getJsonObject("counts", new JsonObject());
    return job.getLong("total", 0L) - counts.getLong("PENDING", 0L) - counts.getLong("RUNNING", 0L);
  }

  void update(JsonObject job) {
    long now = System.nanoTime();
    long done = done(job);
    samples.addLast(new long[] {now, done});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW_NANOS) {
      samples.removeFirst();
    }
    String status = job.getString("status");
    if (terminal) {
      out.print("\r" + line(job, false) + "\u001b[K");
      out.flush();
      drawn = true;
    } else if (!status.equals(lastStatus) || now - lastPlain >= plainEveryNanos) {
      out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + line(job, true));
      out.flush();
      lastPlain = now;
    }
    lastStatus = status;
  }

  /** Ends the bar's line, so that what follows starts on its own. */
  void finish() {
    if (terminal && drawn) {
      out.println();
      out.flush();
    }
  }

  private String line(JsonObject job, boolean plain) {
    long total = job.getLong("total", 0L);
    long done = done(job);
    double share = total == 0 ? 1 : (double) done / total;
    StringBuilder b = new StringBuilder();
    if (plain) {
      b.append(String.format(Locale.ROOT, "%-21s %d/%d (%.1f %%)", job.getString("status"), done, total, share * 100));
    } else {
      int filled = (int) Math.round(share * BAR);
      b.append('[').append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ")
          .append(String.format(Locale.ROOT, "%5.1f%%  %,d/%,d", share * 100, done, total));
    }
    double rate = rate();
    if (rate > 0) {
      b.append(String.format(Locale.ROOT, plain ? "  %.0f items/s" : "  %,.0f/s", rate));
      if (done < total) {
        b.append("  ETA ").append(duration((long) ((total - done) / rate)));
      }
    }
    JsonObject counts = job.getJsonObject("counts", new JsonObject());
    for (String s : STATUSES) {
      long n = counts.getLong(s, 0L);
      if (n > 0 && !s.equals("PENDING")) {
        b.append("  ").append(s).append(plain ? "=" : " ").append(plain ? String.valueOf(n)
            : String.format(Locale.ROOT, "%,d", n));
      }
    }
    return b.toString();
  }

  private double rate() {
    if (samples.size() < 2) {
      return 0;
    }
    long[] first = samples.peekFirst();
    long[] last = samples.peekLast();
    double seconds = (last[0] - first[0]) / 1e9;
    return seconds <= 0 ? 0 : (last[1] - first[1]) / seconds;
  }

  static String duration(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }
    if (seconds >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return seconds + "s";
  }

  /** "SUCCEEDED  1000/1000  INSTALLED 990, OAUTH_PENDING 10": a job in one line. */
  static String summary(JsonObject job) {
    JsonObject counts = job.getJsonObject("counts", new JsonObject());
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s  %d/%d", job.getString("status"), done(job),
        job.getLong("total", 0L)));
    String sep = "  ";
    for (String s : STATUSES) {
      long n = counts.getLong(s, 0L);
      if (n > 0) {
        b.append(sep).append(s).append(' ').append(n);
        sep = ", ";
      }
    }
    return b.toString();
  }
}
