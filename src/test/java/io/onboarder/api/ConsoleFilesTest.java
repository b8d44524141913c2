package io.onboarder.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.config.ConfigLoader;
import io.onboarder.config.Settings;
import io.onboarder.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator console's files as the service serves them (no browser: see {@link ConsoleBrowserTest}): every file of
 * the jar's console folder with its content type and the strict CSP (no {@code unsafe-inline}, no framing), a page
 * that loads only same-origin files and has no inline script, style or handler, and modules that build the page
 * without {@code innerHTML} or {@code eval}.
 */
class ConsoleFilesTest {
  private static final Map<String, String> TYPES = Map.of("html", "text/html", "js", "text/javascript",
      "css", "text/css", "svg", "image/svg+xml");

  private static Vertx vertx;
  private static WebClient client;
  private static String base;

  /** One API verticle for the class (the files need no job service behind it). */
  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    JsonObject conf = new JsonObject();
    ConfigLoader.put(conf, "api.tokens", TestService.TOKEN);
    ConfigLoader.put(conf, "cyclr.apiUrl", "http://127.0.0.1:1");
    ConfigLoader.put(conf, "cyclr.clientId", "id");
    ConfigLoader.put(conf, "cyclr.clientSecret", "secret");
    Settings settings = Settings.from(conf);
    HttpApiVerticle api = HttpApiVerticle.instances(settings, 0, null, null, new BearerAuth(settings.apiTokens())).get();
    TestService.await(vertx.deployVerticle(api));
    base = "http://127.0.0.1:" + api.actualPort();
    client = WebClient.create(vertx);
  }

  @AfterAll
  static void stop() {
    client.close();
    TestService.await(vertx.close());
  }

  private static HttpResponse<Buffer> get(String path, String... headers) {
    var req = client.getAbs(base + path).followRedirects(false);
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return TestService.await(req.send());
  }

  private static List<Path> consoleFiles() throws IOException, URISyntaxException {
    Path folder = Path.of(ConsoleFilesTest.class.getClassLoader().getResource("console").toURI());
    try (Stream<Path> files = Files.list(folder)) {
      return files.sorted().toList();
    }
  }

  private static void assertSecurityHeaders(HttpResponse<Buffer> r) {
    String csp = r.getHeader("Content-Security-Policy");
    assertThat(csp).as("CSP").isNotNull().doesNotContain("unsafe-inline").doesNotContain("unsafe-eval")
        .contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
            "frame-ancestors 'none'", "base-uri 'none'");
    assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(r.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
    assertThat(r.getHeader("X-Frame-Options")).isEqualTo("DENY");
  }

  @Test
  void everyConsoleFileIsServedWithItsContentTypeAndTheStrictPolicyWithoutAToken() throws Exception {
    List<Path> files = consoleFiles();
    assertThat(files).extracting(p -> p.getFileName().toString())
        .contains("index.html", "app.js", "api.js", "sse.js", "chart.js", "console.css", "icon.svg");
    for (Path file : files) {
      String name = file.getFileName().toString();
      HttpResponse<Buffer> r = get("/console/" + name);
      assertThat(r.statusCode()).as(name).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(name).startsWith(TYPES.get(name.substring(name.lastIndexOf('.') + 1)));
      assertSecurityHeaders(r);
      assertThat(r.body().getBytes()).as(name).isEqualTo(Files.readAllBytes(file));
      // Unchanged files are answered 304 on revalidation.
      assertThat(get("/console/" + name, "If-None-Match", r.getHeader("ETag")).statusCode()).isEqualTo(304);
    }
    HttpResponse<Buffer> index = get("/console/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.getHeader("Content-Type")).startsWith("text/html");
    assertSecurityHeaders(index);
    HttpResponse<Buffer> bare = get("/console");
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.getHeader("Location")).isEqualTo("/console/");
  }

  @Test
  void unknownOrMalformedNamesAreNotFound() {
    for (String path : List.of("/console/missing.js", "/console/App.js", "/console/app.json", "/console/..%2Fopenapi.json",
        "/console/%2e%2e", "/console/.hidden.js", "/console/logback.xml")) {
      HttpResponse<Buffer> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.getHeader("Content-Type")).as(path).startsWith("application/problem+json");
    }
  }

  @Test
  void thePageLoadsOnlyItsOwnFilesAndHasNothingInline() throws Exception {
    String html = get("/console/").bodyAsString();
    Matcher refs = Pattern.compile("\\b(?:src|href)=\"([^\"]*)\"").matcher(html);
    List<String> assets = new ArrayList<>();
    while (refs.find()) {
      String ref = refs.group(1);
      if (ref.startsWith("#")) {
        continue; // a route of the page itself
      }
      assertThat(ref).as("a same-origin file of the console").matches("[a-z0-9-]+\\.(js|css|svg)");
      assets.add(ref);
    }
    assertThat(assets).contains("app.js", "console.css", "icon.svg");
    for (String asset : assets) {
      assertThat(get("/console/" + asset).statusCode()).as(asset).isEqualTo(200);
    }
    assertThat(html).as("inline script").doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>");
    assertThat(html).as("inline style").doesNotContain("<style").doesNotContainPattern("\\sstyle=");
    assertThat(html).as("inline event handler").doesNotContainPattern("\\son[a-z]+=");

    for (Path file : consoleFiles()) {
      String name = file.getFileName().toString();
      if (!name.endsWith(".js")) {
        continue;
      }
      String js = Files.readString(file).replace("'http://www.w3.org/2000/svg'", "SVG namespace");
      assertThat(js).as(name).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
          "eval(", "new Function", "setAttribute('style'", "localStorage", "http://", "https://");
      // Every module it imports is one of the console's files.
      Matcher imports = Pattern.compile("from '\\./([^']+)'").matcher(js);
      while (imports.find()) {
        assertThat(get("/console/" + imports.group(1)).statusCode()).as(name + " imports " + imports.group(1))
            .isEqualTo(200);
      }
    }
  }
}
