package io.onboarder.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The CSV dialect (RFC 4180 as spreadsheets write it), read in chunks split at every possible place. */
class CsvBodyReaderTest {
  private static final String SAMPLE = "\uFEFFaccount,authValue,installName,connectorName,connectorVersion,prop:Region,"
      + "prop:Notes\r\n"
      + "tenant-001,key-1,,Salesforce,2.0,eu,plain\r\n"
      + "tenant-002,\"key, with comma\",\"Name \"\"quoted\"\"\",,,us,\"two\r\nlines\"\r\n"
      + "\r\n"
      + "tenant-003,,,,,,\r\n";

  @ParameterizedTest(name = "[{index}] chunks of {0} bytes")
  @ValueSource(ints = {1, 2, 3, 7, 64, 100_000})
  void readsQuotedFieldsEmbeddedCommasQuotesAndLineBreaksWithBomAndCrlfInAnyChunking(int chunk) {
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, SAMPLE, chunk);

    assertThat(l.problems).isEmpty();
    assertThat(l.fieldsDone).isTrue();
    assertThat(l.items).containsExactly(
        new JsonObject().put("account", "tenant-001").put("authValue", "key-1")
            .put("connector", new JsonObject().put("name", "Salesforce").put("version", "2.0"))
            .put("properties", new JsonArray()
                .add(new JsonObject().put("name", "Region").put("value", "eu"))
                .add(new JsonObject().put("name", "Notes").put("value", "plain"))),
        new JsonObject().put("account", "tenant-002").put("authValue", "key, with comma")
            .put("installName", "Name \"quoted\"")
            .put("properties", new JsonArray()
                .add(new JsonObject().put("name", "Region").put("value", "us"))
                .add(new JsonObject().put("name", "Notes").put("value", "two\r\nlines"))),
        new JsonObject().put("account", "tenant-003"));
  }

  @Test
  void linesAreCountedAcrossQuotedLineBreaksForErrorLocations() {
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, SAMPLE, 5);
    // tenant-003 starts on line 6: header 1, tenant-001 2, tenant-002 3-4, blank 5.
    assertThat(l.wheres.get(2).apply("/items/2/account"))
        .isEqualTo(new JsonObject().put("line", 6).put("column", 1).put("field", "account"));
    assertThat(l.wheres.get(0).apply("/items/0/connector/version").getInteger("column")).isEqualTo(5);
    assertThat(l.wheres.get(1).apply("/items/1/properties/1/value").getString("field")).isEqualTo("prop:Notes");
  }

  @Test
  void lfOnlyAndNoBomAndNoFinalNewlineWork() {
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, "ACCOUNT, connectorId\na,7\nb,x", 3);
    assertThat(l.items).containsExactly(
        new JsonObject().put("account", "a").put("connector", new JsonObject().put("id", 7L)),
        // Not a number: left as text, so the validator names the column.
        new JsonObject().put("account", "b").put("connector", new JsonObject().put("id", "x")));
  }

  @Test
  void aMissingAccountColumnIsA400OnLine1() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "authValue,installName\nk,n\n", 4),
        Problem.class);
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.getMessage()).contains("line 1").contains("'account'");
  }

  @Test
  void unknownAndDuplicateColumnsAreNamedWithTheirColumn() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "account,acount,account\n", 100),
        Problem.class);
    assertThat(p.getMessage()).contains("line 1, column 2").contains("unknown column 'acount'").contains("and 1 more");
    assertThat(p.toJson().getJsonArray("errors").getJsonObject(1).getInteger("column")).isEqualTo(3);
  }

  @Test
  void aPropertyColumnRepeatedInAnotherCaseIsRefused() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV,
        "account,prop:Region,PROP:region\na,eu,us\n", 5), Problem.class);
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.getMessage()).contains("line 1, column 3").contains("column 'PROP:region' appears twice");
  }

  @Test
  void aRowWithTheWrongNumberOfFieldsIsAnItemErrorOnItsLine() {
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, "account,authValue\na,1\nb,2,3\nc,3\n", 100);
    assertThat(l.items).hasSize(3);
    assertThat(l.problems).singleElement().asString().contains("item 1").contains("has 3 fields").contains("\"line\":3");
  }

  @Test
  void anUnclosedQuoteNamesWhereItStarted() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "account\na\n\"b\nc\n", 2),
        Problem.class);
    assertThat(p.status()).isEqualTo(400);
    assertThat(p.getMessage()).contains("not closed").contains("starts on line 3");
  }

  @Test
  void aBareQuoteInsideAnUnquotedFieldIsASyntaxErrorWithLineAndColumn() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "account,installName\na,b\"c\n", 100),
        Problem.class);
    assertThat(p.getMessage()).contains("line 2, column 2");
  }

  @Test
  void textAfterAClosingQuoteIsASyntaxError() {
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "account\n\"a\"b\n", 100),
        Problem.class);
    assertThat(p.getMessage()).contains("line 2, column 1").contains("closing quote");
  }

  @Test
  void invalidUtf8IsA400() {
    byte[] body = "account\nt\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    Problem p = catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, body, 100), Problem.class);
    assertThat(p.getMessage()).contains("UTF-8").contains("line 2");
  }

  @Test
  void multiByteCharactersSplitAcrossChunksSurvive() {
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, "account,installName\nt1,Zoë ☃ 日本\n", 1);
    assertThat(((JsonObject) l.items.get(0)).getString("installName")).isEqualTo("Zoë ☃ 日本");
  }

  @Test
  void anEmptyBodyIsA400AndAHeaderAloneHasNoItems() {
    assertThat(catchThrowableOfType(() -> RecordingListener.read(BodyFormat.CSV, "", 10), Problem.class).status())
        .isEqualTo(400);
    assertThat(RecordingListener.read(BodyFormat.CSV, "account\r\n", 10).items).isEmpty();
  }

  @Test
  void rowsThatRepeatTheRowAboveShareItsValuesYetEachRowReadsAsWritten() {
    String body = "account,installName,prop:Region,prop:Tier\n"
        + "a,Same,eu,gold\nb,Same,eu,gold\nc,Same,us,gold\nd,Other,us,\n\ne,Other,us,\nf,Same,eu,gold\n";
    RecordingListener l = RecordingListener.read(BodyFormat.CSV, body, 7);
    java.util.function.BiFunction<String, String[], JsonObject> item = (name, props) -> {
      JsonArray p = new JsonArray();
      for (int i = 0; i < props.length; i += 2) {
        p.add(new JsonObject().put("name", props[i]).put("value", props[i + 1]));
      }
      return new JsonObject().put("installName", name).put("properties", p);
    };
    assertThat(l.items).containsExactly(
        item.apply("Same", new String[] {"Region", "eu", "Tier", "gold"}).put("account", "a"),
        item.apply("Same", new String[] {"Region", "eu", "Tier", "gold"}).put("account", "b"),
        item.apply("Same", new String[] {"Region", "us", "Tier", "gold"}).put("account", "c"),
        item.apply("Other", new String[] {"Region", "us"}).put("account", "d"),
        item.apply("Other", new String[] {"Region", "us"}).put("account", "e"),
        item.apply("Same", new String[] {"Region", "eu", "Tier", "gold"}).put("account", "f"));
    JsonObject a = (JsonObject) l.items.get(0);
    JsonObject b = (JsonObject) l.items.get(1);
    // Equal cells are one String and equal properties one array in memory: a million rows hold them once.
    assertThat(b.getString("installName")).isSameAs(a.getString("installName"));
    assertThat(b.getJsonArray("properties")).isSameAs(a.getJsonArray("properties"));
    assertThat(((JsonObject) l.items.get(2)).getJsonArray("properties")).isNotSameAs(a.getJsonArray("properties"));
    // A property missing from a row is located in the columns of the properties it has.
    assertThat(l.wheres.get(3).apply("/items/3/properties/0/value").getString("field")).isEqualTo("prop:Region");
  }
}
