package io.onboarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What ties k8s/ to the code and the docs, checked without promtool or kubectl (.ci/run runs those): every alert
 * has a runbook section and a promtool test, every metric the alerts and the dashboard use is documented, and the
 * stop times agree (preStop pause + shutdown grace + watchdog fit in the pod's termination grace period).
 */
class OperationsPackTest {
  private static final Path RULES = Path.of("k8s/monitoring/prometheusrule.yaml");
  private static final Path RULE_TESTS = Path.of("k8s/monitoring/tests/alerts.test.yaml");
  private static final Path DASHBOARD = Path.of("k8s/monitoring/grafana-dashboard.json");
  private static final Path RUNBOOKS = Path.of("docs/runbooks.md");

  @Test
  void everyAlertHasARunbookSectionAndAPromtoolTest() throws IOException {
    String rules = Files.readString(RULES);
    List<String> alerts = all(Pattern.compile("(?m)^\\s*- alert: (\\w+)$"), rules);
    assertThat(alerts).hasSize(7).doesNotHaveDuplicates();
    List<String> runbooks = all(Pattern.compile("(?m)^\\s*runbook_url: (\\S+)$"), rules);
    assertThat(runbooks).hasSameSizeAs(alerts);
    Set<String> anchors = new LinkedHashSet<>();
    for (String heading : all(Pattern.compile("(?m)^#{2,3} (.+)$"), Files.readString(RUNBOOKS))) {
      anchors.add(heading.toLowerCase().replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
    }
    String tests = Files.readString(RULE_TESTS);
    for (int i = 0; i < alerts.size(); i++) {
      String alert = alerts.get(i);
      assertThat(runbooks.get(i)).as(alert).isEqualTo("docs/runbooks.md#" + alert.toLowerCase());
      assertThat(anchors).as("a section of docs/runbooks.md for " + alert).contains(alert.toLowerCase());
      assertThat(tests).as("a promtool test that expects " + alert + " to fire")
          .containsPattern("alertname: " + alert + "\\n\\s+exp_alerts:\\n\\s+- exp_labels");
    }
  }

  @Test
  void everyMetricOfTheAlertsAndTheDashboardIsDocumented() throws IOException {
    String documented = Files.readString(Path.of("docs/operations.md"));
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    StringBuilder queries = new StringBuilder(Files.readString(RULES));
    for (Object panel : dashboard.getJsonArray("panels")) {
      JsonArray targets = ((JsonObject) panel).getJsonArray("targets", new JsonArray());
      targets.forEach(t -> queries.append('\n').append(((JsonObject) t).getString("expr")));
    }
    Set<String> used = new LinkedHashSet<>(all(Pattern.compile("\\b(onboarder_[a-z_]+)"), queries.toString()));
    assertThat(used).hasSizeGreaterThan(15);
    for (String metric : used) {
      String base = metric.replaceFirst("_(bucket|sum|count|max)$", "");
      assertThat(documented).as(metric + " in the metrics table of docs/operations.md").contains("`" + base);
    }
  }

  @Test
  void theStopFitsInThePodsTerminationGracePeriodEverywhere() throws IOException {
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "cyclr.apiUrl", "https://api.cyclr.com");
    ConfigLoader.put(conf, "cyclr.clientId", "id");
    ConfigLoader.put(conf, "cyclr.clientSecret", "secret");
    ConfigLoader.put(conf, "api.tokens", "token");
    long graceMs = Settings.from(conf).shutdownGraceMs();
    assertThat(new JsonObject(Files.readString(Path.of("conf/config.json"))).getJsonObject("jobs")
        .getLong("shutdownGraceMs")).as("conf/config.json agrees with the built-in default").isEqualTo(graceMs);

    String deployment = Files.readString(Path.of("k8s/base/deployment.yaml"));
    long preStop = Long.parseLong(one(Pattern.compile("command: \\[\"sleep\", \"(\\d+)\"]"), deployment));
    long termination = Long.parseLong(one(Pattern.compile("terminationGracePeriodSeconds: (\\d+)"), deployment));
    long worstStop = preStop + (graceMs + Main.WATCHDOG_AFTER_GRACE_MS) / 1000;
    assertThat(preStop).as("the preStop pause lets endpoints update").isBetween(3L, 15L);
    assertThat(termination).as("SIGKILL only after the watchdog, with headroom").isGreaterThanOrEqualTo(worstStop + 10);
    try (Stream<Path> files = Files.walk(Path.of("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        String text = Files.readString(f);
        if (f.startsWith(Path.of("k8s/cluster-with-postgres"))) {
          continue; // PostgreSQL's own pod, with its own grace period
        }
        for (String other : all(Pattern.compile("terminationGracePeriodSeconds: (\\d+)"), text)) {
          assertThat(Long.parseLong(other)).as(f + " overrides the grace period").isEqualTo(termination);
        }
      }
    }
    // The docs state the same numbers.
    String numbers = preStop + " + " + graceMs / 1000 + " + " + Main.WATCHDOG_AFTER_GRACE_MS / 1000 + " = " + worstStop;
    assertThat(Files.readString(Path.of("docs/kubernetes.md"))).contains(numbers)
        .contains("terminationGracePeriodSeconds: " + termination);
    assertThat(deployment).contains(numbers);
  }

  @Test
  void theTryOutsEnvironmentIsAValidConfigurationPointingAtTheEmulator() throws IOException {
    // What the try-out's pod gets: conf/config.json in the image, then the base ConfigMap and the try-out's
    // ConfigMap and Secret literals as environment variables (env wins).
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf/config.json")));
    Matcher data = Pattern.compile("(?m)^  ([A-Z_]+): \"([^\"]*)\"$")
        .matcher(Files.readString(Path.of("k8s/base/configmap.yaml")));
    while (data.find()) {
      conf.put(data.group(1), data.group(2));
    }
    String tryOut = Files.readString(Path.of("k8s/try-out/kustomization.yaml"));
    Matcher literal = Pattern.compile("(?m)^\\s+- ([A-Z_]+)=(\\S+)").matcher(tryOut);
    int literals = 0;
    while (literal.find()) {
      conf.put(literal.group(1), literal.group(2));
      literals++;
    }
    assertThat(literals).isEqualTo(5);
    Settings settings = Settings.from(ConfigLoader.foldEnv(conf));
    String emulator = one(Pattern.compile("(?m)^\\s+- CYCLR_API_URL=(\\S+)"), tryOut);
    assertThat(emulator).isEqualTo("http://cyclr-emulator:" + one(Pattern.compile("\"--port\", \"(\\d+)\""),
        Files.readString(Path.of("k8s/try-out/emulator.yaml"))));
    assertThat(settings.cyclrApiUrl()).isEqualTo(emulator);
    assertThat(settings.sqlitePath()).isEqualTo("/app/data/onboarder.db");
    assertThat(settings.secretKey()).as("the service generates its key file on the volume").isNull();
    assertThat(settings.clientSecret()).isEqualTo(new io.onboarder.emulator.EmulatorOptions().getClientSecret());
  }

  private static List<String> all(Pattern p, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  private static String one(Pattern p, String text) {
    List<String> found = all(p, text);
    assertThat(found).as(p.pattern()).hasSize(1);
    return found.get(0);
  }
}
