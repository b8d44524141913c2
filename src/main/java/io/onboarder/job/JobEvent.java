package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.vertx.core.json.JsonObject;

/**
 * One entry of a job's event log: written by the store in the same transaction as the change it
 * describes, numbered per job ({@code seq} 1, 2, 3… with no gaps: the SSE {@code id:}), and published
 * on the event bus after the commit. {@code body} is exactly what the bus carries.
 */
public record JobEvent(String jobId, long seq, Kind kind, JsonObject body) {

  /** Which public address (and SSE {@code event:} name) an event belongs to. */
  public enum Kind {
    ITEM("item", Addresses.EVENTS_ITEM),
    JOB("job", Addresses.EVENTS_JOB),
    OAUTH("oauth", Addresses.EVENTS_OAUTH);

    public final String wire;
    public final String address;

    Kind(String wire, String address) {
      this.wire = wire;
      this.address = address;
    }

    public static Kind parse(String wire) {
      for (Kind k : values()) {
        if (k.wire.equals(wire)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown event kind " + wire);
    }
  }

  /** {"id": seq, "event": kind, "data": body}: how the SSE stream and the events address show it. */
  public JsonObject toJson() {
    return new JsonObject().put("id", seq).put("event", kind.wire).put("data", body);
  }
}
