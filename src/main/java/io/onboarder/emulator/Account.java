package io.onboarder.emulator;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** One Cyclr account and its installed account connectors, ordered by Id so pages are stable. */
final class Account {

  final String id;
  final String name;
  final String description;
  final String timezone;
  final String createdDate;

  private final ConcurrentSkipListMap<Integer, AccountConnector> connectors = new ConcurrentSkipListMap<>();
  // Cycles in installation order (a sequence number keeps pages stable).
  private final ConcurrentSkipListMap<Long, Cycle> cycles = new ConcurrentSkipListMap<>();
  private final java.util.concurrent.atomic.AtomicLong cycleSeq = new java.util.concurrent.atomic.AtomicLong();
  // How many live account connectors share a (connector Id, Name) pair: makes duplicate detection O(1).
  private final ConcurrentHashMap<String, Integer> liveByKey = new ConcurrentHashMap<>();

  Account(String id, String name, String description, String timezone, String createdDate) {
    this.id = id;
    this.name = name;
    this.description = description;
    this.timezone = timezone;
    this.createdDate = createdDate;
  }

  /** Adds an installed connector; returns true when the account already had one with the same connector Id and Name. */
  boolean add(AccountConnector ac) {
    connectors.put(ac.id, ac);
    return liveByKey.merge(ac.duplicateKey(), 1, Integer::sum) > 1;
  }

  AccountConnector remove(int accountConnectorId) {
    AccountConnector removed = connectors.remove(accountConnectorId);
    if (removed != null) {
      liveByKey.computeIfPresent(removed.duplicateKey(), (k, n) -> n <= 1 ? null : n - 1);
    }
    return removed;
  }

  AccountConnector connector(int accountConnectorId) {
    return connectors.get(accountConnectorId);
  }

  List<AccountConnector> connectors() {
    return new ArrayList<>(connectors.values());
  }

  void addCycle(Cycle cycle) {
    cycles.put(cycleSeq.incrementAndGet(), cycle);
  }

  void removeCycle(String id) {
    cycles.values().removeIf(c -> c.id.equals(id));
  }

  List<Cycle> cycles() {
    return new ArrayList<>(cycles.values());
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("Id", id)
        .put("Name", name)
        .put("Description", description)
        .put("Timezone", timezone)
        .put("CreatedDate", createdDate);
  }
}
