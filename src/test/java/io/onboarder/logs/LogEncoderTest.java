package io.onboarder.logs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import io.onboarder.support.LogCapture;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LOG_FORMAT: one JSON object per line with an ISO-8601 {@code @timestamp}, level, logger, message and the
 * line's key-values and trace ids as fields of their own; text lines with full dates and {@code key="value"}.
 */
class LogEncoderTest {
  private static final Logger log = LoggerFactory.getLogger(LogEncoderTest.class);

  @AfterEach
  void noTracing() {
    LogTrace.install(null);
  }

  @Test
  void jsonLinesCarryTheTimestampLevelLoggerMessageAndKeyValuesAsFields() {
    List<JsonObject> lines;
    try (LogCapture capture = LogCapture.start()) {
      LogKeys.item(log.atInfo(), "job-1", 42, "tenant-7").addKeyValue(LogKeys.CALLER, "alice")
          .log("job {}: item {} \"quoted\"\nsecond line", "job-1", 42);
      LogKeys.fleet(log.atWarn(), "eu-crm").log("fleet {} drifted", "eu-crm");
      log.error("boom", new IllegalStateException("broken\nstate"));
      lines = capture.json();
    }
    assertThat(lines).hasSize(3);
    JsonObject item = lines.get(0);
    Instant at = Instant.parse(item.getString("@timestamp"));
    assertThat(at).isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(item.getString("@timestamp")).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    assertThat(item.getString("level")).isEqualTo("INFO");
    assertThat(item.getString("logger")).isEqualTo(LogEncoderTest.class.getName());
    assertThat(item.getString("message")).isEqualTo("job job-1: item 42 \"quoted\"\nsecond line");
    assertThat(item.getString("jobId")).isEqualTo("job-1");
    assertThat(item.getString("itemId")).isEqualTo("42");
    assertThat(item.getString("account")).isEqualTo("tenant-7");
    assertThat(item.getString("caller")).isEqualTo("alice");
    assertThat(item.containsKey("traceId")).as("no span, no trace id").isFalse();
    assertThat(lines.get(1).getString("fleet")).isEqualTo("eu-crm");
    assertThat(lines.get(1).getString("level")).isEqualTo("WARN");
    assertThat(lines.get(2).getString("error")).isEqualTo("java.lang.IllegalStateException: broken\nstate");
    assertThat(lines.get(2).getString("stack")).contains("LogEncoderTest");
  }

  @Test
  void theCurrentSpansIdsJoinEveryLineWhenTracingInstalledItsReader() {
    List<JsonObject> lines;
    try (LogCapture capture = LogCapture.start()) {
      LogTrace.install(() -> new LogTrace.Ids("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
      LogKeys.job(log.atInfo(), "job-2").log("traced");
      LogTrace.install(() -> {
        throw new IllegalStateException("a broken reader");
      });
      log.info("still logged");
      lines = capture.json();
    }
    assertThat(lines.get(0).getString("traceId")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(lines.get(0).getString("spanId")).isEqualTo("00f067aa0ba902b7");
    assertThat(lines.get(1).getString("message")).isEqualTo("still logged");
    assertThat(lines.get(1).containsKey("traceId")).isFalse();
  }

  @Test
  void textLinesHaveFullDatesAndTheKeyValues() {
    String text;
    try (LogCapture capture = LogCapture.start()) {
      LogKeys.job(log.atInfo(), "job-3", "bob").log("job {} accepted", "job-3");
      log.info("plain");
      text = LogCapture.encode(capture.events(), "TEXT");
    }
    String[] lines = text.split("\n");
    assertThat(lines[0]).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z INFO  .*LogEncoderTest - "
        + "job job-3 accepted jobId=\"job-3\" caller=\"bob\"");
    assertThat(lines[1]).endsWith("LogEncoderTest - plain");
  }

  @Test
  void theFormatIsJsonTextOrByTheTerminalAndAnUnknownOneIsWarnedAbout() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertThat(started(context, "json").json()).isTrue();
    assertThat(started(context, " Text ").json()).isFalse();
    // Tests run without a terminal: JSON, as in a container.
    assertThat(LogEncoder.terminal()).isFalse();
    assertThat(started(context, null).json()).isTrue();
    assertThat(started(context, "auto").json()).isTrue();
    int before = context.getStatusManager().getCount();
    assertThat(started(context, "yaml").json()).isTrue();
    List<Status> added = context.getStatusManager().getCopyOfStatusList().subList(before,
        context.getStatusManager().getCount());
    assertThat(added).anySatisfy(s -> assertThat(s.getMessage()).contains("LOG_FORMAT must be json or text"));
    assertThat(LogEncoder.known(null)).isTrue();
    assertThat(LogEncoder.known("")).isTrue();
    assertThat(LogEncoder.known("JSON")).isTrue();
    assertThat(LogEncoder.known("yaml")).as("serve refuses it (exit code 2)").isFalse();
  }

  @Test
  void logbackXmlWritesStderrThroughThisEncoder() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Appender<ILoggingEvent> stderr = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    assertThat(stderr).isInstanceOf(ConsoleAppender.class);
    assertThat(((ConsoleAppender<ILoggingEvent>) stderr).getEncoder()).isInstanceOfSatisfying(LogEncoder.class,
        encoder -> assertThat(encoder.json()).as("no terminal, no LOG_FORMAT: JSON").isTrue());
  }

  private static LogEncoder started(LoggerContext context, String format) {
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.start();
    return encoder;
  }

  @Test
  void aJobsLinesInJsonNameTheJobAndCallerAndNeverTheAuthValues(@TempDir Path dir) {
    Vertx vertx = Vertx.vertx();
    List<JsonObject> lines;
    String id;
    try (LogCapture capture = LogCapture.start(); TestService s = TestService.start(vertx, dir)) {
      id = s.submit(TestService.apiKeyJob("logs", 2));
      s.awaitJob(id);
      // The job is finished once its outcome is committed; its "finished" line is logged just after that.
      String finished = "job " + id + " finished: SUCCEEDED";
      String raw = s.poll(capture::jsonText, text -> text.contains(finished), Duration.ofSeconds(10),
          "the job's finished line");
      assertThat(raw).doesNotContain("secret-key-logs");
      lines = LogCapture.lines(raw);
    } finally {
      TestService.await(vertx.close());
    }
    assertThat(lines).allSatisfy(l -> assertThat(l.fieldNames()).contains("@timestamp", "level", "logger",
        "message"));
    assertThat(lines).anySatisfy(l -> {
      assertThat(l.getString("message")).startsWith("job " + id + " accepted from");
      assertThat(l.getString("jobId")).isEqualTo(id);
      assertThat(l.getString("caller")).isNotBlank();
    });
    assertThat(lines).anySatisfy(l -> {
      assertThat(l.getString("message")).isEqualTo("job " + id + " finished: SUCCEEDED");
      assertThat(l.getString("jobId")).isEqualTo(id);
    });
  }
}
