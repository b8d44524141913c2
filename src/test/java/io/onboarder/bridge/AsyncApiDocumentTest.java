package io.onboarder.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.onboarder.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * asyncapi.json against the code: every public event-bus address is a channel (and every channel an address the
 * code uses), the bridge's inbound and outbound addresses are the ones marked so, and the document holds
 * together as AsyncAPI 3.0 (channels, operations, messages with payloads, every reference resolving, into
 * openapi.json too).
 */
class AsyncApiDocumentTest {
  private static final JsonObject DOC = resource("asyncapi.json");
  private static final JsonObject OPENAPI = resource("openapi.json");
  /** Addresses the service keeps to itself (docs/events.md): not part of the document. */
  private static final Set<String> INTERNAL = Set.of(Addresses.JOBS_READY, Addresses.JOBS_DRAIN);

  private static JsonObject resource(String name) {
    try (InputStream in = AsyncApiDocumentTest.class.getClassLoader().getResourceAsStream(name)) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public addresses of {@link Addresses}: every onboarder.* address but the internal ones. */
  private static Set<String> publicAddresses() throws IllegalAccessException {
    Set<String> addresses = new TreeSet<>();
    for (Field f : Addresses.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        String address = (String) f.get(null);
        if (address.startsWith("onboarder.") && !address.startsWith("onboarder.internal.")
            && !INTERNAL.contains(address)) {
          addresses.add(address);
        }
      }
    }
    return addresses;
  }

  private static Set<String> channelAddresses() {
    Set<String> addresses = new TreeSet<>();
    DOC.getJsonObject("channels").forEach(c -> {
      String address = ((JsonObject) c.getValue()).getString("address");
      if (address != null) {
        addresses.add(address);
      }
    });
    return addresses;
  }

  @Test
  void everyPublicAddressIsAChannelAndEveryChannelAnAddressOfTheCode() throws IllegalAccessException {
    assertThat(publicAddresses()).as("public addresses").contains("onboarder.jobs.submit", "onboarder.events.oauth",
        "onboarder.fleets");
    assertThat(channelAddresses()).containsExactlyInAnyOrderElementsOf(publicAddresses());
  }

  @Test
  void everyAddressTheCodeUsesComesFromAddresses() throws IOException {
    // A literal address in a consumer/publish/send/request call would be an address the document cannot see.
    Pattern literal = Pattern.compile("\\.(?:consumer|localConsumer|publish|send|request)\\(\\s*\"([^\"]+)\"");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = literal.matcher(Files.readString(file));
        while (m.find()) {
          found.add(file.getFileName() + ": " + m.group(1));
        }
      }
    }
    assertThat(found).isEmpty();
  }

  @Test
  void theBridgeOffersTheAddressesMarkedInboundAndOutbound() {
    Set<String> inbound = new TreeSet<>();
    Set<String> outbound = new TreeSet<>();
    DOC.getJsonObject("operations").forEach(o -> {
      JsonObject op = (JsonObject) o.getValue();
      String address = channel(op).getString("address");
      if ("inbound".equals(op.getString("x-bridge"))) {
        inbound.add(address);
      } else if ("outbound".equals(op.getString("x-bridge"))) {
        outbound.add(address);
      }
    });
    assertThat(inbound).containsExactlyInAnyOrderElementsOf(BridgeVerticle.INBOUND);
    assertThat(outbound).isNotEmpty().allSatisfy(a -> assertThat(a).startsWith("onboarder.events."));
    assertThat(outbound).containsExactlyInAnyOrderElementsOf(channelAddresses().stream()
        .filter(a -> a.startsWith("onboarder.events.")).toList());
    assertThat(DOC.getJsonObject("servers").getJsonObject("bridge").getString("protocol")).isEqualTo("tcp");
  }

  @Test
  void theDocumentIsStructurallyAsyncApi30() {
    assertThat(DOC.getString("asyncapi")).isEqualTo("3.0.0");
    assertThat(DOC.getJsonObject("info").getString("title")).isNotBlank();
    assertThat(DOC.getJsonObject("info").getString("version")).isNotBlank();
    assertThat(DOC.getJsonObject("channels")).isNotEmpty();
    assertThat(DOC.getJsonObject("operations")).isNotEmpty();
    JsonObject messages = DOC.getJsonObject("components").getJsonObject("messages");
    assertThat(messages).isNotEmpty();
    messages.forEach(m -> assertThat(((JsonObject) m.getValue()).getJsonObject("payload"))
        .as("payload schema of message %s", m.getKey()).isNotNull().isNotEmpty());
    DOC.getJsonObject("operations").forEach(o -> {
      JsonObject op = (JsonObject) o.getValue();
      assertThat(op.getString("action")).as("action of %s", o.getKey()).isIn("send", "receive");
      assertThat(channel(op)).as("channel of %s", o.getKey()).isNotNull();
      assertThat(op.getJsonArray("messages")).as("messages of %s", o.getKey()).isNotEmpty();
    });
    List<String> unresolved = new ArrayList<>();
    references(DOC, unresolved);
    assertThat(unresolved).as("references that lead nowhere").isEmpty();
  }

  private static JsonObject channel(JsonObject operation) {
    return (JsonObject) at(DOC, operation.getJsonObject("channel").getString("$ref").substring(1));
  }

  /** Every $ref of {@code node}: local ones must resolve in this document, openapi.json# ones in that one. */
  private static void references(Object node, List<String> unresolved) {
    if (node instanceof JsonObject o) {
      if (o.getValue("$ref") instanceof String ref) {
        Object target = ref.startsWith("#/") ? at(DOC, ref.substring(1))
            : ref.startsWith("openapi.json#/") ? at(OPENAPI, ref.substring("openapi.json#".length())) : null;
        if (target == null) {
          unresolved.add(ref);
        }
      }
      o.forEach(e -> references(e.getValue(), unresolved));
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> references(v, unresolved));
    }
  }

  private static Object at(JsonObject doc, String pointer) {
    Object node = doc;
    for (String part : pointer.substring(1).split("/")) {
      if (!(node instanceof JsonObject o)) {
        return null;
      }
      node = o.getValue(part.replace("~1", "/").replace("~0", "~"));
    }
    return node;
  }
}
