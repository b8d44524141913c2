package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.onboarder.bus.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets a clear 4xx listing every violation as {pointer, message}; good input becomes a JobRequest. */
class JobRequestValidatorTest {
  private final JobRequestValidator validator = new JobRequestValidator(5);

  /** A valid body: job-level connector by id, one plain item and one with per-item overrides. */
  private static JsonObject valid() {
    return new JsonObject()
        .put("connector", new JsonObject().put("id", 2))
        .put("installName", "Salesforce")
        .put("description", "bulk onboarding")
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com").put("callbackMessage", "done"))
        .put("options", new JsonObject().put("dryRun", true).put("createAccounts", true)
            .put("toleratedFailurePercent", 12.5))
        .put("items", new JsonArray()
            .add(new JsonObject().put("account", "tenant-001"))
            .add(new JsonObject().put("account", "tenant-002")
                .put("authValue", "dXNlcjpwYXNz")
                .put("properties", new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu")))
                .put("connector", new JsonObject().put("name", " Example Connector ").put("version", "1.0"))
                .put("installName", "Per-item name")));
  }

  @Test
  void parsesAValidJobWithJobLevelConnectorAndItemOverrides() {
    JobRequest r = validator.validate(valid());

    assertThat(r.connector()).isEqualTo(ConnectorRef.ofId(2));
    assertThat(r.installName()).isEqualTo("Salesforce");
    assertThat(r.description()).isEqualTo("bulk onboarding");
    assertThat(r.targetOrigin()).isEqualTo("https://app.example.com");
    assertThat(r.callbackMessage()).isEqualTo("done");
    assertThat(r.username()).isNull();
    assertThat(r.dryRun()).isTrue();
    assertThat(r.createAccounts()).isTrue();
    assertThat(r.toleratedFailurePercent()).isEqualTo(12.5);
    assertThat(r.items()).hasSize(2);

    JobRequest.Item plain = r.items().get(0);
    assertThat(plain.account()).isEqualTo("tenant-001");
    assertThat(plain.authValue()).isNull();
    assertThat(plain.connector()).as("inherits the job-level connector").isNull();
    assertThat(plain.installName()).isNull();
    assertThat(plain.properties()).isNull();
    assertThat(plain.specJson()).isNull();

    JobRequest.Item overridden = r.items().get(1);
    assertThat(overridden.account()).isEqualTo("tenant-002");
    assertThat(overridden.authValue()).isEqualTo("dXNlcjpwYXNz");
    assertThat(overridden.connector()).isEqualTo(ConnectorRef.ofName("Example Connector", "1.0"));
    assertThat(overridden.installName()).isEqualTo("Per-item name");
    assertThat(overridden.properties())
        .isEqualTo(new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu")));
    assertThat(overridden.specJson().encode()).doesNotContain("dXNlcjpwYXNz");
    assertThat(r.specJson().encode()).doesNotContain("dXNlcjpwYXNz");
  }

  @Test
  void defaultsOptionsAndAllowsPerItemConnectorsWithoutAJobLevelOne() {
    JsonObject body = new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("account", "a").put("connector", new JsonObject().put("id", 1)))
        .add(new JsonObject().put("account", "b").put("connector", new JsonObject().put("name", "Salesforce"))));
    JobRequest r = validator.validate(body);
    assertThat(r.connector()).isNull();
    assertThat(r.dryRun()).isFalse();
    assertThat(r.createAccounts()).isFalse();
    assertThat(r.toleratedFailurePercent()).isEqualTo(100.0);
    assertThat(r.items()).extracting(JobRequest.Item::connector)
        .containsExactly(ConnectorRef.ofId(1), ConnectorRef.ofName("Salesforce", null));
  }

  @Test
  void acceptsExactlyMaxItems() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 5; i++) {
      items.add(new JsonObject().put("account", "t" + i));
    }
    assertThat(validator.validate(valid().put("items", items)).items()).hasSize(5);
  }

  static Stream<Arguments> violations() {
    String longName = "x".repeat(201);
    return Stream.of(
        v("items missing", b -> b.remove("items"), "/items"),
        v("items not an array", b -> b.put("items", "tenant-001"), "/items"),
        v("items empty", b -> b.put("items", new JsonArray()), "/items"),
        v("connector id negative", b -> b.put("connector", new JsonObject().put("id", -1)), "/connector/id"),
        v("connector id zero", b -> b.put("connector", new JsonObject().put("id", 0)), "/connector/id"),
        v("connector id fractional", b -> b.put("connector", new JsonObject().put("id", 1.5)), "/connector/id"),
        v("connector id a string", b -> b.put("connector", new JsonObject().put("id", "2")), "/connector/id"),
        v("connector a string", b -> b.put("connector", "Salesforce"), "/connector"),
        v("connector null", b -> b.putNull("connector"), "/connector"),
        v("connector empty object", b -> b.put("connector", new JsonObject()), "/connector"),
        v("connector blank name", b -> b.put("connector", new JsonObject().put("name", " ")), "/connector"),
        v("connector version a number", b -> b.put("connector", new JsonObject().put("name", "X").put("version", 3)),
            "/connector/version"),
        v("installName a number", b -> b.put("installName", 5), "/installName"),
        v("installName too long", b -> b.put("installName", longName), "/installName"),
        v("description with control char", b -> b.put("description", "a\u0000b"), "/description"),
        v("oauth not an object", b -> b.put("oauth", "x"), "/oauth"),
        v("oauth targetOrigin not a URL", b -> b.getJsonObject("oauth").put("targetOrigin", "app.example.com"),
            "/oauth/targetOrigin"),
        v("oauth targetOrigin javascript:", b -> b.getJsonObject("oauth").put("targetOrigin", "javascript:alert(1)"),
            "/oauth/targetOrigin"),
        v("oauth callbackMessage a number", b -> b.getJsonObject("oauth").put("callbackMessage", 1),
            "/oauth/callbackMessage"),
        v("options not an object", b -> b.put("options", true), "/options"),
        v("dryRun a string", b -> b.getJsonObject("options").put("dryRun", "yes"), "/options/dryRun"),
        v("createAccounts a number", b -> b.getJsonObject("options").put("createAccounts", 1),
            "/options/createAccounts"),
        v("toleratedFailurePercent over 100", b -> b.getJsonObject("options").put("toleratedFailurePercent", 101),
            "/options/toleratedFailurePercent"),
        v("toleratedFailurePercent negative", b -> b.getJsonObject("options").put("toleratedFailurePercent", -1),
            "/options/toleratedFailurePercent"),
        v("item not an object", b -> b.getJsonArray("items").set(0, "tenant-001"), "/items/0"),
        v("account missing", b -> item(b, 0).remove("account"), "/items/0/account"),
        v("account a number", b -> item(b, 0).put("account", 1), "/items/0/account"),
        v("account empty", b -> item(b, 0).put("account", ""), "/items/0/account"),
        v("account too long", b -> item(b, 0).put("account", longName), "/items/0/account"),
        v("account with newline", b -> item(b, 0).put("account", "a\nb"), "/items/0/account"),
        v("account with leading space", b -> item(b, 0).put("account", " tenant"), "/items/0/account"),
        v("account with line separator", b -> item(b, 0).put("account", "a\u2028b"), "/items/0/account"),
        v("authValue a number", b -> item(b, 1).put("authValue", 42), "/items/1/authValue"),
        v("authValue over 8 KiB", b -> item(b, 1).put("authValue", "k".repeat(8 * 1024 + 1)), "/items/1/authValue"),
        v("properties not an array", b -> item(b, 1).put("properties", "Region=eu"), "/items/1/properties"),
        v("property without name", b -> item(b, 1).put("properties",
            new JsonArray().add(new JsonObject().put("value", "eu"))), "/items/1/properties/0"),
        v("property with blank name", b -> item(b, 1).put("properties",
            new JsonArray().add(new JsonObject().put("name", " ").put("value", "eu"))), "/items/1/properties/0"),
        v("property value a number", b -> item(b, 1).put("properties",
            new JsonArray().add(new JsonObject().put("name", "Region").put("value", 1))), "/items/1/properties/0"),
        v("property with an extra field", b -> item(b, 1).put("properties",
            new JsonArray().add(new JsonObject().put("name", "R").put("value", "v").put("x", 1))),
            "/items/1/properties/0"),
        v("too many properties", b -> item(b, 1).put("properties", manyProperties(101)), "/items/1/properties"),
        v("no connector anywhere", b -> b.remove("connector"), "/items/0/connector"),
        v("item connector id zero", b -> item(b, 1).put("connector", new JsonObject().put("id", 0)),
            "/items/1/connector/id"),
        v("item connector null", b -> item(b, 0).putNull("connector"), "/items/0/connector"),
        v("item installName a number", b -> item(b, 1).put("installName", 1), "/items/1/installName"));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("violations")
  void eachViolationIsA400ProblemPointingAtTheField(String name, Consumer<JsonObject> breakIt, String pointer) {
    JsonObject body = valid();
    breakIt.accept(body);

    Problem problem = catchThrowableOfType(() -> validator.validate(body), Problem.class);

    assertThat(problem).as("validation must fail").isNotNull();
    assertThat(problem.status()).isEqualTo(400);
    JsonObject json = problem.toJson();
    assertThat(json.getInteger("status")).isEqualTo(400);
    assertThat(json.getString("type")).isNotBlank();
    assertThat(json.getString("detail")).contains(pointer);
    JsonArray errors = json.getJsonArray("errors");
    assertThat(errors).isNotNull();
    assertThat(pointers(errors)).contains(pointer);
    assertThat(errors).allSatisfy(e -> assertThat(((JsonObject) e).getString("message")).isNotBlank());
  }

  @Test
  void reportsEveryViolationNotJustTheFirst() {
    JsonObject body = valid().put("installName", 5);
    item(body, 0).put("account", "");
    item(body, 1).put("authValue", 1);

    Problem problem = catchThrowableOfType(() -> validator.validate(body), Problem.class);

    assertThat(pointers(problem.toJson().getJsonArray("errors")))
        .containsExactlyInAnyOrder("/installName", "/items/0/account", "/items/1/authValue");
    assertThat(problem.getMessage()).contains("(and 2 more)");
  }

  @Test
  void capsTheNumberOfReportedErrors() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 150; i++) {
      items.add(new JsonObject());
    }
    Problem problem = catchThrowableOfType(() -> new JobRequestValidator(1_000).validate(valid().put("items", items)),
        Problem.class);
    assertThat(problem.status()).isEqualTo(400);
    assertThat(problem.toJson().getJsonArray("errors")).hasSize(100);
  }

  @Test
  void moreThanMaxItemsIsA422PointingAtItems() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 6; i++) {
      items.add(new JsonObject().put("account", "t" + i));
    }
    Problem problem = catchThrowableOfType(() -> validator.validate(valid().put("items", items)), Problem.class);
    assertThat(problem.status()).isEqualTo(422);
    assertThat(pointers(problem.toJson().getJsonArray("errors"))).containsExactly("/items");
    assertThat(problem.getMessage()).contains("5");
  }

  @Test
  void aBodyThatIsNotAJsonObjectIsA400() {
    for (Object body : new Object[] {null, "text", new JsonArray().add(1), 42}) {
      Problem problem = catchThrowableOfType(() -> validator.validate(body), Problem.class);
      assertThat(problem).as("body %s", body).isNotNull();
      assertThat(problem.status()).isEqualTo(400);
    }
  }

  @Test
  void problemJsonNeverEchoesTheAuthValue() {
    JsonObject body = valid();
    item(body, 1).put("account", "");
    Problem problem = catchThrowableOfType(() -> validator.validate(body), Problem.class);
    assertThat(problem.toJson().encode()).doesNotContain("dXNlcjpwYXNz");
  }

  private static Arguments v(String name, Consumer<JsonObject> breakIt, String pointer) {
    return Arguments.of(name, breakIt, pointer);
  }

  private static JsonObject item(JsonObject body, int i) {
    return body.getJsonArray("items").getJsonObject(i);
  }

  private static JsonArray manyProperties(int n) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) {
      a.add(new JsonObject().put("name", "p" + i).put("value", "v"));
    }
    return a;
  }

  private static List<String> pointers(JsonArray errors) {
    return errors.stream().map(e -> ((JsonObject) e).getString("pointer")).toList();
  }

  @Test
  void anItemLikeTheOneBeforeSharesItsNonSecretPartAndKeepsItsOwnAccountAndAuthValue() {
    ValidationErrors errors = new ValidationErrors();
    JobRequest.Item first = JobRequestValidator.item(new JsonObject("{\"account\": \"a\", \"authValue\": \"k1\", "
        + "\"installName\": \"N\", \"properties\": [{\"name\": \"Region\", \"value\": \"eu\"}]}"), 0, errors);
    JobRequest.Item same = JobRequestValidator.item(new JsonObject("{\"account\": \"b\", \"authValue\": \"k2\", "
        + "\"installName\": \"N\", \"properties\": [{\"name\": \"Region\", \"value\": \"eu\"}]}"), 1, errors);
    JobRequest.Item other = JobRequestValidator.item(new JsonObject("{\"account\": \"c\", "
        + "\"installName\": \"N\", \"properties\": [{\"name\": \"Region\", \"value\": \"us\"}]}"), 2, errors);
    assertThat(errors.isEmpty()).isTrue();

    JobRequest.Item shared = same.sharingSpecWith(first);
    assertThat(shared).isEqualTo(same);
    assertThat(shared.properties()).isSameAs(first.properties());
    assertThat(shared.installName()).isSameAs(first.installName());
    assertThat(shared.account()).isEqualTo("b");
    assertThat(shared.authValue()).isEqualTo("k2");
    assertThat(shared.specText()).isEqualTo(same.specText());
    assertThat(other.sharingSpecWith(first)).isSameAs(other);
    assertThat(first.sharingSpecWith(null)).isSameAs(first);
  }
}
