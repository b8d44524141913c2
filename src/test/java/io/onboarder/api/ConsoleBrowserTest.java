package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.support.TestIdentityProvider;
import io.onboarder.support.TestService;
import io.onboarder.support.WebhookReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}), against a
 * running service and the Cyclr emulator: it signs in, the pages render, a running job's progress moves live over the
 * event stream, the status filter and the CSV download work, and the page's CSP holds (no violation is logged, and an
 * inline script is refused), and OIDC sign-in through a local identity provider (authorization code with PKCE) gives
 * the page a token the API takes as the caller its claim names. Tagged {@code browser}: run with {@code ./mvnw -Pbrowser test} (.ci/run does).
 * {@code -Dconsole.screenshot=true} also writes the job page to {@code docs/images/console-job.png}.
 */
@Tag("browser")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private Vertx vertx;
  private WebhookReceiver hooks;
  private TestIdentityProvider idp;
  private TestService s;
  private ChromeDriver browser;
  private Path downloads;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    vertx = Vertx.vertx();
    hooks = WebhookReceiver.start(vertx, WebhookReceiver.newSecret());
    hooks.answer(r -> WebhookReceiver.Answer.of(503)); // deliveries stay PENDING, waiting for a retry
    idp = TestIdentityProvider.start(vertx);
    // Slow enough (latency per Cyclr call, two calls in flight) that a job runs for seconds while the page watches.
    s = TestService.start(vertx, dir.resolve("service"), e -> e.setLatencyMs(50), c -> {
      TestService.relayLinks(c);
      ConfigLoader.put(c, "gateway.maxConcurrency", 2);
      ConfigLoader.put(c, "webhooks.url", hooks.url());
      ConfigLoader.put(c, "webhooks.secret", WebhookReceiver.newSecret());
      // Static tokens keep working beside the identity provider's (the other tests sign in with one).
      ConfigLoader.put(c, "auth.oidcIssuer", idp.issuer());
      ConfigLoader.put(c, "console.oidcClientId", "onboarder-console");
    });
    downloads = Files.createDirectories(dir.resolve("downloads"));
    browser = chromium(downloads);
    browser.get(s.base() + "/console/");
    wait(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(TestService.TOKEN);
    browser.findElement(By.cssSelector("#sign-in-form button")).click();
    wait(ExpectedConditions.visibilityOfElementLocated(By.id("nav")));
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (s != null) {
      s.close();
    }
    if (idp != null) {
      idp.close();
    }
    TestService.await(vertx.close());
  }

  /** Every page's JavaScript ran under the CSP without a violation and without an error. */
  @AfterEach
  void noErrorsInTheBrowserConsole() {
    assertThat(browserLog()).as("errors and CSP violations in the browser's console").isEmpty();
  }

  @Test
  void aRunningJobsPageShowsItsProgressMovingLiveThenTheFinalCounts() throws IOException {
    JsonObject mixed = mixedJob(60, 8, 4);
    String job = s.submit(mixed);
    open("#/jobs/" + job);
    int total = 72;
    Set<Integer> seen = new TreeSet<>();
    Set<String> states = new TreeSet<>();
    wait(d -> {
      states.add(browser.findElement(By.id("live")).getAttribute("data-state"));
      List<WebElement> processed = browser.findElements(By.id("processed"));
      if (!processed.isEmpty()) {
        seen.add(Integer.parseInt(processed.get(0).getAttribute("data-value")));
      }
      return TestService.TERMINAL.contains(page().getAttribute("data-status")) && seen.contains(total);
    });
    assertThat(seen).as("processed counts shown while the job ran").hasSizeGreaterThanOrEqualTo(3)
        .anyMatch(n -> n > 0 && n < total);
    assertThat(states).as("the stream was live").contains("live");
    assertThat(s.job(job).getString("status")).isEqualTo("COMPLETED_WITH_ERRORS");
    assertThat(page().getAttribute("data-status")).isEqualTo("COMPLETED_WITH_ERRORS");
    wait(d -> browser.findElement(By.id("funnel")).getText().contains("Got a link"));
    wait(d -> rows("items").size() == 50); // the first page of 50 (72 items: the service pages)
    WebElement chart = browser.findElement(By.cssSelector(".chart-slot svg"));
    assertThat(chart.findElements(By.cssSelector("polyline.line-done"))).hasSize(1);
    if (Boolean.getBoolean("console.screenshot")) {
      screenshot(Path.of("docs", "images", "console-job.png"));
    }
  }

  @Test
  void theStatusFilterAsksTheServiceForThatStatusOnlyAndTheCsvDownloads() throws IOException {
    String job = s.submit(mixedJob(20, 0, 3));
    s.awaitJob(job);
    open("#/jobs/" + job);
    wait(d -> rows("items").size() == 23);
    new Select(browser.findElement(By.id("status-filter"))).selectByValue("FAILED");
    wait(d -> {
      List<String> statuses = rows("items").stream()
          .map(r -> r.findElements(By.cssSelector(".badge")).get(0).getText()).toList();
      return statuses.size() == 3 && statuses.stream().allMatch("FAILED"::equals);
    });

    browser.findElement(By.id("download-csv")).click();
    Path csv = downloads.resolve("job-" + job + "-items.csv");
    wait(d -> Files.exists(csv) && !Files.exists(downloads.resolve(csv.getFileName() + ".crdownload")));
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).startsWith("itemId,account,connectorId");
    assertThat(lines).hasSize(4);
    assertThat(lines.subList(1, 4)).allMatch(l -> l.contains(",FAILED,") && l.contains("CONNECTOR_NOT_FOUND"));
  }

  @Test
  void theJobListShowsTheCallersJobsAndLeadsToEach() {
    String job = s.submit(TestService.apiKeyJob("listed", 3));
    s.awaitJob(job);
    open("#/jobs");
    WebElement link = wait(ExpectedConditions.elementToBeClickable(By.cssSelector("a[href='#/jobs/" + job + "']")));
    link.click();
    wait(d -> "SUCCEEDED".equals(page().getAttribute("data-status")));
    assertThat(browser.findElement(By.id("processed")).getAttribute("data-value")).isEqualTo("3");
  }

  @Test
  void aFleetsPageShowsItsRolloutDriftTenantsAndAPlan() {
    JsonArray tenants = new JsonArray();
    for (int i = 0; i < 6; i++) {
      tenants.add(new JsonObject().put("account", "fleet-" + i).put("authValue", "key-" + i));
    }
    JsonObject fleet = new JsonObject().put("connector", new JsonObject().put("id", 1)).put("tenants", tenants)
        .put("policy", new JsonObject().put("rollout", new JsonObject().put("steps", new JsonArray().add(50).add(100))));
    assertThat(TestService.await(s.http.requestAbs(HttpMethod.PUT, s.base() + "/v1/fleets/acme")
        .bearerTokenAuthentication(TestService.TOKEN).putHeader("Content-Type", "application/json")
        .sendBuffer(fleet.toBuffer())).statusCode()).isIn(200, 201);
    open("#/fleets");
    wait(ExpectedConditions.elementToBeClickable(By.cssSelector("a[href='#/fleets/acme']"))).click();
    wait(d -> browser.findElement(By.id("rollout")).findElements(By.tagName("li")).size() == 2);
    assertThat(browser.findElement(By.id("drift")).getText()).isEqualTo("No drift found.");
    wait(d -> rows("tenants").size() == 6);
    browser.findElement(By.id("plan")).click();
    wait(d -> rows("plan-actions").size() == 6);
    assertThat(rows("plan-actions")).allMatch(r -> r.getText().contains("INSTALL"));
  }

  @Test
  void webhookDeliveriesAreListedAndOneIsRetriedFromThePage() {
    String job = s.submit(TestService.apiKeyJob("hooked", 2));
    s.awaitJob(job);
    s.poll(() -> s.get("/v1/webhooks/deliveries?limit=1").bodyAsJsonObject().getJsonArray("deliveries").size(),
        n -> n > 0, WAIT, "a webhook delivery");
    open("#/deliveries");
    wait(d -> !rows("deliveries").isEmpty() && !browser.findElements(By.cssSelector("[data-retry]")).isEmpty());
    WebElement retry = browser.findElements(By.cssSelector("[data-retry]")).get(0);
    String id = retry.getAttribute("data-retry");
    int before = (int) hooks.received.stream().filter(r -> id.equals(r.id())).count();
    retry.click();
    wait(d -> browser.findElement(By.id("toast")).getText().contains("queued again"));
    s.poll(() -> hooks.received.stream().filter(r -> id.equals(r.id())).count(), n -> n > before, WAIT,
        "the retried delivery to be sent again");
  }

  @Test
  void oidcSignInBringsTheOperatorBackSignedInAsTheCallerOfTheTokensClaim() {
    String operator = "operator-" + Long.toString(System.nanoTime(), 36) + "@example.com";
    idp.signInAs(operator);
    String theirs = TestService.await(s.http.postAbs(s.base() + "/v1/jobs")
        .bearerTokenAuthentication(idp.token("rsa-1", operator)).putHeader("Content-Type", "application/json")
        .sendBuffer(TestService.apiKeyJob("oidc", 1).toBuffer())).bodyAsJsonObject().getString("id");
    String staticTokens = s.submit(TestService.apiKeyJob("static", 1));
    String tab = browser.getWindowHandle();
    // A new tab has its own session storage: signed out, whatever the other tests' tab holds.
    browser.switchTo().newWindow(WindowType.TAB);
    try {
      open("#/jobs");
      WebElement signIn = wait(ExpectedConditions.elementToBeClickable(By.id("oidc-sign-in")));
      assertThat(signIn.getText()).isEqualTo("Sign in with " + idp.issuer().substring("http://".length()));
      int issued = idp.tokensIssued();
      signIn.click();
      wait(ExpectedConditions.elementToBeClickable(By.cssSelector("a[href='#/jobs/" + theirs + "']")));
      assertThat(idp.tokensIssued()).as("one code exchanged").isEqualTo(issued + 1);
      assertThat(browser.findElements(By.cssSelector("a[href='#/jobs/" + staticTokens + "']")))
          .as("another caller's job").isEmpty();
      assertThat(browser.getCurrentUrl()).as("code and state left the address bar")
          .isEqualTo(s.base() + "/console/#/jobs");
      Object stored = ((JavascriptExecutor) browser).executeScript(
          "return [sessionStorage.getItem('onboarder.console.token'), sessionStorage.getItem('onboarder.console.oidc')]");
      assertThat((List<?>) stored).satisfies(v -> {
        assertThat((String) v.get(0)).as("the access token (a JWT)").matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
        assertThat(v.get(1)).as("state and verifier, once used").isNull();
      });
      // The token's expiry (its exp) is kept: once past, the next page is the sign-in form.
      JavascriptExecutor js = (JavascriptExecutor) browser;
      assertThat(((Number) js.executeScript("return Number(sessionStorage.getItem('onboarder.console.expires'))"))
          .longValue()).isGreaterThan(System.currentTimeMillis());
      js.executeScript("sessionStorage.setItem('onboarder.console.expires', String(Date.now() - 1));"
          + "location.hash = '#/fleets'");
      wait(ExpectedConditions.textToBe(By.id("sign-in-error"), "Your sign-in expired: sign in again."));
      assertThat(js.executeScript("return sessionStorage.getItem('onboarder.console.token')")).isNull();
      // Back with a code this tab did not ask for (a replayed or forged answer): refused, signed out.
      browser.get(s.base() + "/console/?code=forged&state=forged");
      WebElement error = wait(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error")));
      assertThat(error.getText()).contains("does not match a sign-in started in this tab");
    } finally {
      browser.close();
      browser.switchTo().window(tab);
    }
  }

  @Test
  void theContentSecurityPolicyRefusesInlineScriptInTheBrowser() {
    open("#/jobs");
    wait(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".jobs-body")));
    Object ran = ((JavascriptExecutor) browser).executeScript(
        "const s = document.createElement('script'); s.textContent = 'window.inlineRan = true';"
        + "document.body.append(s); return window.inlineRan === true;");
    assertThat(ran).as("an inline script ran").isEqualTo(false);
    wait(d -> !browserLog().isEmpty());
    // The violation was logged: the check after each test would have seen one of the console's own.
    assertThat(browserLog()).isEmpty();
  }

  /** The console's errors and CSP reports since the last call (reading the log empties it). */
  private List<String> browserLog() {
    List<String> found = new ArrayList<>();
    for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()
          || e.getMessage().contains("Content Security Policy")) {
        found.add(e.getMessage());
      }
    }
    return found;
  }

  private ChromeDriver chromium(Path downloadDir) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(System.getProperty("chromium.binary", "/usr/bin/chromium"));
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1440,1400", "--lang=en-US");
    Map<String, Object> prefs = new HashMap<>();
    prefs.put("download.default_directory", downloadDir.toString());
    prefs.put("download.prompt_for_download", false);
    options.setExperimentalOption("prefs", prefs);
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(System.getProperty("chromium.driver", "/usr/bin/chromedriver")))
        .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** A job of api-key installs, OAuth sign-ins (relay links) and items whose connector does not exist. */
  private static JsonObject mixedJob(int apiKey, int oauth, int missing) {
    JsonArray items = new JsonArray();
    String run = Long.toString(System.nanoTime(), 36);
    for (int i = 0; i < apiKey + oauth + missing; i++) {
      JsonObject item = new JsonObject().put("account", "tenant-" + run + "-" + i);
      if (i < apiKey) {
        item.put("authValue", "key-" + i);
      } else if (i < apiKey + oauth) {
        item.put("connector", new JsonObject().put("name", "Salesforce"));
      } else {
        item.put("connector", new JsonObject().put("id", 999));
      }
      items.add(item);
    }
    return new JsonObject().put("connector", new JsonObject().put("id", 1))
        .put("oauth", new JsonObject().put("targetOrigin", "https://app.example.com")).put("items", items);
  }

  private void open(String hash) {
    browser.get(s.base() + "/console/" + hash);
  }

  private WebElement page() {
    return browser.findElement(By.id("view"));
  }

  private List<WebElement> rows(String table) {
    return browser.findElements(By.cssSelector(".paged[data-name='" + table + "'] tbody tr"))
        .stream().filter(r -> r.findElements(By.cssSelector("td.empty")).isEmpty()).toList();
  }

  private <T> T wait(java.util.function.Function<org.openqa.selenium.WebDriver, T> condition) {
    // A table the page redraws (a refresh, the next page) leaves elements found just before stale: look again.
    return new WebDriverWait(browser, WAIT, Duration.ofMillis(50)).ignoring(StaleElementReferenceException.class)
        .until(condition::apply);
  }

  private void screenshot(Path to) throws IOException {
    ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    Files.createDirectories(to.getParent());
    Files.write(to, browser.getScreenshotAs(OutputType.BYTES));
  }
}
