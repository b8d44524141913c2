package io.onboarder.intake;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Records what a reader reports, for assertions; feeds bodies in chunks of any size. */
final class RecordingListener implements BodyListener {
  final JsonObject jobFields = new JsonObject();
  final List<Object> items = new ArrayList<>();
  final List<Function<String, JsonObject>> wheres = new ArrayList<>();
  final List<String> problems = new ArrayList<>();
  boolean fieldsDone;

  @Override
  public void jobField(String name, Object value) {
    jobFields.put(name, value);
  }

  @Override
  public void jobFieldsDone() {
    fieldsDone = true;
  }

  @Override
  public void item(Object item, Function<String, JsonObject> where) {
    items.add(item);
    wheres.add(where);
  }

  @Override
  public void badItem(String message, JsonObject where) {
    items.add(null);
    wheres.add(p -> where);
    problems.add("item " + (items.size() - 1) + ": " + message + " " + where);
  }

  @Override
  public void error(String pointer, String message, JsonObject where) {
    problems.add(pointer + " " + message + (where == null ? "" : " " + where));
  }

  static RecordingListener read(BodyFormat format, String body, int chunkSize) {
    return read(format, body.getBytes(StandardCharsets.UTF_8), chunkSize);
  }

  /** Reads {@code body} fed in chunks of {@code chunkSize} bytes (splitting characters and tokens anywhere). */
  static RecordingListener read(BodyFormat format, byte[] body, int chunkSize) {
    RecordingListener l = new RecordingListener();
    BodyReader reader = format.reader(l);
    for (int i = 0; i < body.length; i += chunkSize) {
      reader.feed(Buffer.buffer().appendBytes(body, i, Math.min(chunkSize, body.length - i)));
    }
    reader.end();
    return l;
  }
}
