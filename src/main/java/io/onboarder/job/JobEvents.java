package io.onboarder.job;

import io.onboarder.bus.Addresses;
import io.onboarder.metrics.Metrics;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Publishes job, item and account events, once, cluster-wide: the events a store transaction wrote, by the
 * node that committed it, right after the commit (the store calls {@link #published}). Also the
 * internal "work" notice that wakes every dispatcher.
 */
public final class JobEvents {
  private final EventBus bus;
  private final Metrics metrics;

  public JobEvents(EventBus bus, Metrics metrics) {
    this.bus = bus;
    this.metrics = metrics;
  }

  /** The events of one committed transaction, in order: each on its public address. */
  public void published(List<JobEvent> events) {
    for (JobEvent e : events) {
      switch (e.kind()) {
        case ITEM -> {
          metrics.item(e.body().getString("status"));
          funnel(e.body().getString("status"));
        }
        case OAUTH -> metrics.signInFunnel(e.body().containsKey("reminder") ? "reminded" : "issued");
        case JOB -> metrics.job(e.body().getString("status"));
        case ACCOUNT -> metrics.account(e.body().getString("status"));
        default -> { }
      }
      bus.publish(e.kind().address, e.body());
    }
  }

  private void funnel(String status) {
    if (ItemStatus.AUTHENTICATED.name().equals(status)) {
      metrics.signInFunnel("authenticated");
    } else if (ItemStatus.SIGN_IN_EXPIRED.name().equals(status)) {
      metrics.signInFunnel("expired");
    }
  }

  /** A new job of {@code items} items was accepted here: counted, and every node's dispatcher is told. */
  public void accepted(String jobId, long items) {
    metrics.jobAccepted(items);
    work(jobId);
  }

  /** Tells every node's dispatcher that a job may have claimable items (or may be finishable). */
  public void work(String jobId) {
    bus.publish(Addresses.JOBS_WORK, new JsonObject().put("jobId", jobId));
  }
}
