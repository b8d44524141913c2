package io.onboarder.logs;

import org.slf4j.spi.LoggingEventBuilder;

/**
 * The key-values a log line carries about what it concerns (SLF4J 2's {@code addKeyValue}): Vert.x runs a
 * request over many threads and callbacks, so a thread-local MDC would not follow it; each line names its own.
 * JSON lines show them as fields, text lines as {@code key="value"}. Item ids are strings, as in the API.
 */
public final class LogKeys {
  public static final String JOB_ID = "jobId";
  public static final String ITEM_ID = "itemId";
  public static final String ACCOUNT = "account";
  public static final String FLEET = "fleet";
  public static final String CALLER = "caller";

  private LogKeys() {}

  /** A line about a job. */
  public static LoggingEventBuilder job(LoggingEventBuilder line, String jobId) {
    return line.addKeyValue(JOB_ID, jobId);
  }

  /** A line about a job, by or for a caller (an API token's name). */
  public static LoggingEventBuilder job(LoggingEventBuilder line, String jobId, String caller) {
    return line.addKeyValue(JOB_ID, jobId).addKeyValue(CALLER, caller);
  }

  /** A line about an item of a job (the account it is for may be null). */
  public static LoggingEventBuilder item(LoggingEventBuilder line, String jobId, long itemId, String account) {
    return line.addKeyValue(JOB_ID, jobId).addKeyValue(ITEM_ID, String.valueOf(itemId)).addKeyValue(ACCOUNT, account);
  }

  /** A line about a fleet. */
  public static LoggingEventBuilder fleet(LoggingEventBuilder line, String fleet) {
    return line.addKeyValue(FLEET, fleet);
  }
}
