package io.onboarder.store;

import io.onboarder.intake.IntakeStore;
import io.onboarder.job.AccountQueue;
import io.onboarder.job.EventLog;
import io.onboarder.job.ItemQueue;
import io.onboarder.job.JobEvent;
import io.onboarder.job.JobRecords;
import io.onboarder.signin.LinkMints;
import io.onboarder.signin.SignIns;
import io.onboarder.webhook.WebhookEndpoints;
import io.onboarder.webhook.WebhookOutbox;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** The ports of one store under test, whichever back end holds them. */
record StorePorts(JobRecords jobs, IntakeStore intake, ItemQueue items, AccountQueue accounts, EventLog events,
                  SignIns signIns, LinkMints mints, WebhookOutbox outbox, WebhookEndpoints endpoints, Stores sql,
                  MemoryStores memory) {

  static StorePorts of(Stores s) {
    return new StorePorts(s.jobs(), s.intake(), s.items(), s.accounts(), s.events(), s.signIns(), s.mints(), s.outbox(),
        s.endpoints(), s, null);
  }

  static StorePorts of(MemoryStores m) {
    return new StorePorts(m.jobs(), m.intake(), m.items(), m.accounts(), m.events(), m.signIns(), m.mints(), m.outbox(),
        m.endpoints(), null, m);
  }

  void onCommitted(Consumer<List<JobEvent>> listener) {
    if (sql != null) {
      sql.onCommitted(listener);
    } else {
      memory.onCommitted(listener);
    }
  }

  void outboxTypes(Set<String> types) {
    if (sql != null) {
      sql.outboxTypes(types);
    } else {
      memory.outboxTypes(types);
    }
  }

  Future<Void> close() {
    return sql == null ? Future.succeededFuture() : sql.close();
  }
}
