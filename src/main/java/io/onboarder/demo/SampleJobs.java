package io.onboarder.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The demo's job bodies, as a caller would write them for {@code POST /v1/jobs}, against the emulator's
 * default catalogue: connector 1 (API key), 3 (Basic), "Salesforce" (OAuth2); its templates by name.
 */
final class SampleJobs {
  private SampleJobs() {}

  /** The first fifth of the tenants install Salesforce (a sign-in each), the next eighth Basic, the rest API key. */
  static int oauthTenants(int accounts) {
    return Math.max(1, accounts / 5);
  }

  static int basicTenants(int accounts) {
    return Math.max(1, accounts / 8);
  }

  static String tenant(int i) {
    return String.format("tenant-%03d", i);
  }

  /** {@code accounts} tenants: OAuth2 by name, Basic by id, API key by id (the job's connector). */
  static JsonObject mixedJob(int accounts) {
    JsonArray items = new JsonArray();
    int oauth = oauthTenants(accounts);
    int basic = basicTenants(accounts);
    for (int i = 1; i <= accounts; i++) {
      if (i <= oauth) {
        items.add(new JsonObject().put("account", tenant(i))
            .put("connector", new JsonObject().put("name", "Salesforce")));
      } else if (i <= oauth + basic) {
        String basicAuth = Base64.getEncoder().encodeToString(("user-" + i + ":demo-password-" + i)
            .getBytes(StandardCharsets.UTF_8));
        items.add(new JsonObject().put("account", tenant(i)).put("authValue", basicAuth)
            .put("connector", new JsonObject().put("id", 3)));
      } else {
        items.add(apiKeyItem(i));
      }
    }
    return new JsonObject()
        .put("connector", new JsonObject().put("id", 1))
        .put("description", "Installed by the cyclr-onboarder demo")
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
        .put("items", items);
  }

  static JsonObject apiKeyItem(int i) {
    return new JsonObject().put("account", tenant(i)).put("authValue", "demo-api-key-" + i)
        .put("properties", new JsonArray().add(new JsonObject().put("name", "Region").put("value", "eu")));
  }

  /** A job that installs the API-key connector, then the template named {@code template}, activated hourly. */
  static JsonObject templateJob(String template, JsonArray items) {
    return new JsonObject()
        .put("connector", new JsonObject().put("id", 1))
        .put("template", new JsonObject().put("name", template))
        .put("activate", new JsonObject().put("interval", 60))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com"))
        .put("items", items);
  }
}
