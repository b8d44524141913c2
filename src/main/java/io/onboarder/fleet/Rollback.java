package io.onboarder.fleet;

import io.onboarder.fleet.FleetInstalls.Removal;
import io.onboarder.fleet.FleetInstalls.Scope;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Undoes a halted apply: exactly what its steps' jobs installed, as recorded on the plan's lines (the account
 * connectors they installed, {@code INSTALLED} items, and the cycles they installed where the plan saw none) is
 * removed, cycles first; an install a job found already there ({@code ALREADY_INSTALLED}, a cycle it reused) or that
 * nobody asked for is never touched. A removal Cyclr answers 404 for counts as done, so running a rollback again
 * after a failure is safe: each run is a new pass, which tries again what failed before.
 */
final class Rollback {
  /** How a rollback went; {@code left}: tenants with something of the apply's still installed. */
  record Result(Uninstaller.Tally tally, long left) {}

  private final Uninstaller uninstaller;
  private final FleetInstalls installs;

  Rollback(Uninstaller uninstaller, FleetInstalls installs) {
    this.uninstaller = uninstaller;
    this.installs = installs;
  }

  Future<Result> run(String fleet, String planId) {
    Removal r = new Removal(Scope.ROLLBACK, fleet, planId, "rollback:" + UUID.randomUUID());
    return uninstaller.run(r, Long.MAX_VALUE / 4)
        .compose(tally -> installs.remaining(r).map(left -> new Result(tally, left)));
  }
}
