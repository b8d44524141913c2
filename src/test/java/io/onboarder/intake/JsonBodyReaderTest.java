package io.onboarder.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.onboarder.bus.JsonBounds;
import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JSON and NDJSON bodies read token by token, one item at a time, split at every possible place. */
class JsonBodyReaderTest {
  private static final String JOB = "{\"items\": [{\"account\": \"a\", \"properties\": [{\"name\": \"R\", \"value\": \"é\"}]},"
      + " {\"account\": \"b\", \"connector\": {\"id\": 12}}, 7, null],"
      + " \"connector\": {\"name\": \"Salesforce\"}, \"unknown\": {\"deep\": [1, 2, {\"x\": true}]}}";

  @ParameterizedTest(name = "[{index}] chunks of {0} bytes")
  @ValueSource(ints = {1, 2, 5, 13, 100_000})
  void readsItemsOneByOneAndJobFieldsThatComeAfterThem(int chunk) {
    RecordingListener l = RecordingListener.read(BodyFormat.JSON, JOB, chunk);
    assertThat(l.items).containsExactly(
        new JsonObject().put("account", "a").put("properties", new JsonArray()
            .add(new JsonObject().put("name", "R").put("value", "é"))),
        new JsonObject().put("account", "b").put("connector", new JsonObject().put("id", 12)),
        7, null);
    assertThat(l.jobFields.getJsonObject("connector")).isEqualTo(new JsonObject().put("name", "Salesforce"));
    assertThat(l.problems).isEmpty();
  }

  @Test
  void aMissingOrNonArrayItemsIsReportedAtSlashItems() {
    assertThat(RecordingListener.read(BodyFormat.JSON, "{\"connector\": {\"id\": 1}}", 3).problems)
        .containsExactly("/items is required: a non-empty array of items");
    assertThat(RecordingListener.read(BodyFormat.JSON, "{\"items\": {\"a\": [1]}}", 3).problems)
        .containsExactly("/items must be an array");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"", " ", "[]", "42", "\"x\"", "{", "{\"items\": [", "{items: []}", "{\"a\":1} trailing",
      "{\"a\":1} {}", "{\"items\": [], \"items\": []}"})
  void aBodyThatIsNotOneJsonObjectIsA400(String body) {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.JSON, body, 2), Problem.class);
    assertThat(p).isNotNull();
    assertThat(p.status()).isEqualTo(400);
  }

  @Test
  void syntaxErrorsNameLineAndColumnButNeverQuoteTheBody() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.JSON,
        "{\"items\": [\n  {\"account\": \"a\", \"authValue\": s3cr3t-value}\n]}", 4), Problem.class);
    assertThat(p.getMessage()).contains("line 2").doesNotContain("s3cr3t");
    assertThat(p.toJson().encode()).doesNotContain("s3cr3t");
  }

  @Test
  void anOversizedItemIsReportedAndSkippedWithoutBeingBuilt() {
    String big = "x".repeat(JsonBodyReader.MAX_STRING / 2);
    String body = "{\"items\": [{\"account\": \"a\", \"p\": [\"" + big + "\", \"" + big + "\", \"" + big + "\"]},"
        + " {\"account\": \"b\"}]}";
    RecordingListener l = RecordingListener.read(BodyFormat.JSON, body, 8192);
    assertThat(l.items).hasSize(2);
    assertThat(l.items.get(0)).isNull();
    assertThat(l.problems).singleElement().asString().contains("too large");
    assertThat(l.items.get(1)).isEqualTo(new JsonObject().put("account", "b"));
  }

  @Test
  void aStringLongerThanTheLimitIsA400() {
    String body = "{\"items\": [{\"account\": \"" + "x".repeat(JsonBodyReader.MAX_STRING + 1) + "\"}]}";
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.JSON, body, 65536), Problem.class);
    assertThat(p.getMessage()).contains("longer than");
  }

  @Test
  void ndjsonTakesLine1AsTheJobAndEachLineAsAnItemWithItsLineNumber() {
    String body = "{\"connector\": {\"id\": 2}, \"installName\": \"X\"}\r\n{\"account\": \"a\"}\n\n  {\"account\": \"b\"}\n";
    RecordingListener l = RecordingListener.read(BodyFormat.NDJSON, body, 3);
    assertThat(l.jobFields).isEqualTo(new JsonObject().put("connector", new JsonObject().put("id", 2))
        .put("installName", "X"));
    assertThat(l.fieldsDone).isTrue();
    assertThat(l.items).containsExactly(new JsonObject().put("account", "a"), new JsonObject().put("account", "b"));
    assertThat(l.wheres.get(1).apply("/items/1/account")).isEqualTo(new JsonObject().put("line", 4));
  }

  @Test
  void ndjsonRejectsTwoValuesOnOneLineAndItemsOnLine1() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.NDJSON,
        "{}\n{\"account\": \"a\"} {\"account\": \"b\"}\n", 4), Problem.class);
    assertThat(p.getMessage()).contains("line 2");
    assertThat(RecordingListener.read(BodyFormat.NDJSON, "{\"items\": []}\n{\"account\": \"a\"}", 4).problems)
        .singleElement().asString().startsWith("/items must not be on line 1");
  }

  @Test
  void ndjsonLine1MustBeAnObjectAndTheBodyMustNotBeEmpty() {
    assertThat(catchThrowableOfType(() -> RecordingListener.read(BodyFormat.NDJSON, "[1]\n", 4), Problem.class)
        .getMessage()).contains("line 1");
    assertThat(catchThrowableOfType(() -> RecordingListener.read(BodyFormat.NDJSON, "\n \n", 4), Problem.class)
        .status()).isEqualTo(400);
  }
  private static final String MILLION_DIGITS = "9".repeat(1_000_000);

  /** Where a 1,000,000-digit number may hide; each must be refused at once, never converted. */
  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"job field", "unknown item field", "skipped items value", "float", "ndjson job line",
      "ndjson item line"})
  void aMillionDigitNumberIsA400WithinMilliseconds(String where) {
    String n = MILLION_DIGITS;
    String body = switch (where) {
      case "job field" -> "{\"connector\": {\"id\": " + n + "}, \"items\": [{\"account\": \"a\"}]}";
      case "unknown item field" -> "{\"connector\": {\"id\": 2}, \"items\": [{\"account\": \"a\", \"x\": " + n + "}]}";
      case "skipped items value" -> "{\"items\": {\"x\": " + n + "}}";
      case "float" -> "{\"items\": [{\"account\": \"a\", \"x\": 1." + n + "}]}";
      case "ndjson job line" -> "{\"connector\": {\"id\": " + n + "}}\n{\"account\": \"a\"}\n";
      default -> "{\"connector\": {\"id\": 2}}\n{\"account\": \"a\", \"x\": -" + n + "}\n";
    };
    BodyFormat format = where.startsWith("ndjson") ? BodyFormat.NDJSON : BodyFormat.JSON;
    long started = System.nanoTime();
    Problem p = catchThrowableOfType(() -> RecordingListener.read(format, body, 8192), Problem.class);
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertThat(p).isNotNull();
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.getMessage()).contains("a number is longer than " + JsonBounds.MAX_NUMBER_CHARS + " characters");
    // Converted, such a number takes ~20 s; refused, ~0.05 s (the margin is for a busy machine).
    assertThat(ms).as("milliseconds to refuse").isLessThan(3_000);
  }

  @Test
  void aNumberOfTheLongestAllowedLengthIsRead() {
    String n = "7".repeat(JsonBounds.MAX_NUMBER_CHARS);
    RecordingListener l = RecordingListener.read(BodyFormat.JSON, "{\"items\": [{\"account\": \"a\", \"x\": " + n
        + "}]}", 100);
    assertThat(((JsonObject) l.items.get(0)).getNumber("x")).isEqualTo(new java.math.BigInteger(n));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"{\"connector\": {\"id\": 1}, \"connector\": {\"id\": 2}, \"items\": [{\"account\": \"a\"}]}",
      "{\"items\": [{\"account\": \"a\", \"authValue\": \"k\", \"account\": \"b\"}]}",
      "{\"items\": [{\"account\": \"a\", \"properties\": [{\"name\": \"R\", \"value\": \"x\", \"name\": \"S\"}]}]}",
      "{\"items\": [{\"account\": \"a\"}], \"unknown\": {\"x\": 1, \"x\": 2}}"})
  void aKeyRepeatedInOneObjectIsA400(String body) {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.JSON, body, 7), Problem.class);
    assertThat(p).isNotNull();
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.getMessage()).contains("a key appears twice in one object");
  }

  @Test
  void ndjsonRefusesARepeatedKeyOnAnyLine() {
    for (String body : new String[] {"{\"installName\": \"a\", \"installName\": \"b\"}\n{\"account\": \"a\"}\n",
        "{\"connector\": {\"id\": 2}}\n{\"account\": \"a\", \"account\": \"b\"}\n"}) {
      Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.NDJSON, body, 5), Problem.class);
      assertThat(p.getMessage()).contains("a key appears twice");
    }
  }
}
