package io.onboarder.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Map;

/**
 * Reads {@code conf/config.json} (from the working directory, else the copy inside the jar),
 * then the environment, which wins. Env names are mapped to nested keys here, via {@link ConfigKey}.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static Future<JsonObject> load(Vertx vertx, String configFile) {
    return load(vertx, configFile, true);
  }

  /** As {@link #load(Vertx, String)}; {@code environment} false reads the file alone (tests, tools). */
  public static Future<JsonObject> load(Vertx vertx, String configFile, boolean environment) {
    JsonArray envKeys = new JsonArray(Arrays.stream(ConfigKey.values()).map(k -> k.env).toList());
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .setIncludeDefaultStores(false);
    // A missing file is fine (defaults + env); a present but malformed one must stop start-up,
    // so the store is only optional when there is no file (vertx-config would swallow parse errors).
    if (vertx.fileSystem().existsBlocking(configFile)) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
          .setConfig(new JsonObject().put("path", configFile)));
    }
    if (environment) {
      options.addStore(new ConfigStoreOptions().setType("env")
          .setConfig(new JsonObject().put("keys", envKeys).put("raw-data", true)));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .recover(err -> Future.failedFuture(new ConfigException(configFile, err)))
        .map(ConfigLoader::foldEnv)
        .map(conf -> environment ? withProcessTracing(conf) : conf)
        .eventually(() -> {
          retriever.close();
          return Future.succeededFuture();
        });
  }

  /** Moves flat env entries (HTTP_PORT) onto their nested keys (http.port), overriding the file. */
  public static JsonObject foldEnv(JsonObject merged) {
    JsonObject out = merged.copy();
    for (ConfigKey k : ConfigKey.values()) {
      out.remove(k.env);
      Object v = merged.getValue(k.env);
      if (v != null) {
        put(out, k.key, String.valueOf(v));
      }
    }
    return out;
  }

  /** The process's {@code OTEL_*} variables and {@code -Dotel.*} properties over the file's {@code tracing} object. */
  private static JsonObject withProcessTracing(JsonObject conf) {
    Map<String, String> process = TracingSettings.ofProcess().properties();
    if (!process.isEmpty()) {
      JsonObject tracing = conf.getValue(TracingSettings.CONFIG_KEY) instanceof JsonObject t ? t.copy()
          : new JsonObject();
      process.forEach(tracing::put);
      conf.put(TracingSettings.CONFIG_KEY, tracing);
    }
    return conf;
  }

  /** Sets a dotted key in a nested JSON object, creating parents. */
  public static JsonObject put(JsonObject root, String dottedKey, Object value) {
    String[] parts = dottedKey.split("\\.");
    JsonObject cur = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = cur.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        cur.put(parts[i], next);
      }
      cur = next;
    }
    cur.put(parts[parts.length - 1], value);
    return root;
  }
}
