package io.onboarder.support;

import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.openapitools.codegen.ClientOptInput;
import org.openapitools.codegen.DefaultGenerator;
import org.openapitools.codegen.TemplatingEngineLoader;
import org.openapitools.codegen.config.GlobalSettings;
import org.openapitools.codegen.languages.JavaClientCodegen;

/**
 * What a Java caller does with {@code GET /openapi.json}, in-process: the OpenAPI Generator's Java client
 * (library {@code native}: java.net.http and Jackson, nothing else) generated from the document, compiled with
 * javax.tools against the test classpath together with a caller's program, and loaded.
 */
public final class GeneratedJavaClient {
  /** The generated client's packages, as docs/clients.md generates them. */
  public static final String PACKAGE = "io.onboarder.client";

  /** The options of docs/clients.md's Java command that shape the code (not its Maven coordinates). */
  static final Map<String, Object> OPTIONS = Map.of(
      "invokerPackage", PACKAGE,
      "apiPackage", PACKAGE + ".api",
      "modelPackage", PACKAGE + ".model",
      "useJakartaEe", true,
      "openApiNullable", false,
      "useSingleRequestParameter", true,
      "hideGenerationTimestamp", true);

  private GeneratedJavaClient() {
  }

  /**
   * Generates the client from {@code document} into {@code dir}, compiles it with {@code programs} (class name
   * to source, in the unnamed package) and loads the result.
   */
  public static ClassLoader build(Path document, Path dir, Map<String, String> programs) {
    Path sources = generate(document, dir.resolve("generated"));
    Path classes = dir.resolve("classes");
    compile(sources, programs, classes);
    try {
      return new URLClassLoader(new URL[] {classes.toUri().toURL()}, GeneratedJavaClient.class.getClassLoader());
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The generator run as its CLI would, minus the scan of every language it knows (the CLI instantiates ~170
   * generators to find one by name: seconds). The parser must read the document without a single message:
   * what it does not understand, a generated client silently lacks.
   */
  static Path generate(Path document, Path out) {
    ParseOptions parse = new ParseOptions();
    parse.setResolve(true);
    parse.setResolveResponses(true);
    // A path, not a file: URL: from a URL the parser takes the document's own $refs for remote ones and
    // inlines them (SubmitJob202Response instead of JobSummary).
    SwaggerParseResult parsed = new OpenAPIParser().readLocation(document.toString(), null, parse);
    if (parsed.getMessages() != null && !parsed.getMessages().isEmpty()) {
      throw new AssertionError("the OpenAPI Generator's parser objects to the document: " + parsed.getMessages());
    }
    JavaClientCodegen config = new JavaClientCodegen();
    config.setLibrary("native");
    config.setInputSpec(document.toString());
    config.setOutputDir(out.toString());
    config.setTemplatingEngine(TemplatingEngineLoader.byIdentifier("mustache"));
    // JSON Schema's {"type": "null"} (an id that must be absent or null): a plain Object field, not a model class.
    config.typeMapping().put("null", "Object");
    config.additionalProperties().putAll(OPTIONS);
    // Sources only: no tests, docs or build files for a client that is compiled here and thrown away.
    GlobalSettings.setProperty("apiTests", "false");
    GlobalSettings.setProperty("modelTests", "false");
    GlobalSettings.setProperty("apiDocs", "false");
    GlobalSettings.setProperty("modelDocs", "false");
    try {
      DefaultGenerator generator = new DefaultGenerator();
      generator.opts(new ClientOptInput().config(config).openAPI(parsed.getOpenAPI()));
      generator.setGenerateMetadata(false);
      generator.generate();
    } finally {
      GlobalSettings.reset();
    }
    return out.resolve("src/main/java");
  }

  /**
   * Compiles every generated source (all of the document's APIs and models, not only those the programs use:
   * an operation or schema that generates Java that does not compile fails here) with {@code programs}.
   */
  static void compile(Path sources, Map<String, String> programs, Path classes) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8);
         Stream<Path> generated = Files.walk(sources)) {
      Files.createDirectories(classes);
      Path programDir = Files.createDirectories(sources.getParent().resolve("programs"));
      List<Path> units = generated.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
      for (Map.Entry<String, String> program : programs.entrySet()) {
        units.add(Files.writeString(programDir.resolve(program.getKey() + ".java"), program.getValue()));
      }
      List<String> options = List.of("-proc:none", "-nowarn", "-encoding", "UTF-8",
          "-classpath", testClasspath(), "-d", classes.toString());
      boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(units))
          .call();
      if (!ok) {
        throw new AssertionError("the generated client or a program does not compile: " + diagnostics.getDiagnostics());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Surefire runs tests from a manifest-only jar; the real classpath is in this property. */
  private static String testClasspath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** The fenced {@code ```java} block of a Markdown file that contains {@code marker} (a docs example). */
  public static String javaBlock(Path markdown, String marker) {
    String text;
    try {
      text = Files.readString(markdown);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(text);
    while (block.find()) {
      if (block.group(1).contains(marker)) {
        return block.group(1);
      }
    }
    throw new AssertionError(markdown + " has no ```java block with " + marker);
  }
}
